/**
 * Certificate revocation on the SCU (issue 9): our `echo` and `store` with a configuration that holds
 * DicomTlsCertificateRevocationLists refuse a `storescp +tls` whose server certificate the CA revoked
 * (`openssl ca -revoke`, `-gencrl`), in both DicomTlsRevocationCheck modes, and say which certificate and which list;
 * the same configuration reaches a storescp with a certificate that is not revoked. `cert check --config` reports
 * each list and whether the node's own certificate is revoked.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createOpensslCa,
  dcmtkEnv,
  freePort,
  requireTool,
  runCli,
  startProcess,
  stopAll,
  tempDir,
  waitListening,
  writePart10File,
  type IssuedCert,
  type OpensslCa,
  type TrackedProcess,
} from "@dicomtls/test-peers";

requireTool("storescp");
requireTool("openssl");
const tmp = tempDir("dicomtls-cli-crl-");
let ca: OpensslCa;
let node: IssuedCert;
let pacsGood: IssuedCert;
let pacsStolen: IssuedCert;
let dicomFile: string;

before(async () => {
  ca = await createOpensslCa(join(tmp.path, "ca"), "Hospital Root CA");
  node = await ca.issue("node");
  pacsGood = await ca.issue("pacs-good");
  pacsStolen = await ca.issue("pacs-stolen");
  await ca.revoke(pacsStolen.leafFile, "keyCompromise");
  // DER this time (the server test uses PEM): both are read.
  await ca.gencrl(join(tmp.path, "hospital.crl.der"));
  dicomFile = join(tmp.path, "ct.dcm");
  await writePart10File(dicomFile, { seed: 91 });
});
after(async () => {
  await stopAll();
  tmp.remove();
});

async function storescp(server: IssuedCert, out: string): Promise<{ port: number; peer: TrackedProcess }> {
  mkdirSync(out, { recursive: true });
  const port = await freePort();
  const peer = await startProcess("storescp", ["-v", "+tls", server.keyFile, server.certFile, "+cf", ca.cert, "-aet", "STORESCP", "-fe", ".dcm", "--output-directory", out, String(port)], {
    env: dcmtkEnv(),
  });
  await waitListening(port);
  return { port, peer };
}

function nodeConfig(name: string, port: number, mode: "leaf" | "chain"): string {
  const path = join(tmp.path, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomTlsCertificate: node.certFile,
      DicomTlsPrivateKey: node.keyFile,
      DicomTlsTrustedCertificates: ca.cert,
      DicomTlsCertificateRevocationLists: "hospital.crl.der",
      DicomTlsRevocationCheck: mode,
      DicomModalities: { pacs: { AET: "STORESCP", Host: "127.0.0.1", Port: port, UseDicomTls: true } },
    }),
  );
  return path;
}

for (const mode of ["leaf", "chain"] as const) {
  describe(`DicomTlsRevocationCheck "${mode}"`, () => {
    test("echo and store to a storescp presenting a revoked certificate: refused, CERT_REVOKED, nothing sent", async () => {
      const out = join(tmp.path, `out-stolen-${mode}`);
      const { port, peer } = await storescp(pacsStolen, out);
      const config = nodeConfig(`stolen-${mode}`, port, mode);
      const echo = await runCli(["echo", "--config", config, "pacs"]);
      assert.notEqual(echo.code, 0, echo.output);
      assert.match(echo.stderr, /server certificate of 127\.0\.0\.1:\d+ is refused by the revocation lists \(CERT_REVOKED\)/);
      assert.match(echo.stderr, /CN=pacs-stolen \(serial [0-9A-F]+\) was revoked on .*reason keyCompromise, by the list .*hospital\.crl\.der/);
      const store = await runCli(["store", "--config", config, "pacs", dicomFile]);
      assert.notEqual(store.code, 0, store.output);
      assert.match(store.output, /CERT_REVOKED/);
      assert.doesNotMatch(peer.output(), /Received Echo Request|Received Store Request/);
      assert.deepEqual(readdirSync(out), []);
      await peer.stop();
    });

    test("the same configuration reaches a storescp whose certificate is not revoked", async () => {
      const out = join(tmp.path, `out-good-${mode}`);
      const { port, peer } = await storescp(pacsGood, out);
      const config = nodeConfig(`good-${mode}`, port, mode);
      const echo = await runCli(["echo", "--config", config, "pacs"]);
      assert.equal(echo.code, 0, echo.output);
      const store = await runCli(["store", "--config", config, "pacs", dicomFile]);
      assert.equal(store.code, 0, store.output);
      assert.equal(readdirSync(out).filter((n) => n.endsWith(".dcm")).length, 1);
      await peer.stop();
    });
  });
}

describe("dicomtls cert check --config", () => {
  function checkConfig(name: string, cert: IssuedCert, lists: string[]): string {
    const path = join(tmp.path, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        DicomTlsEnabled: true,
        DicomTlsCertificate: cert.certFile,
        DicomTlsPrivateKey: cert.keyFile,
        DicomTlsTrustedCertificates: ca.cert,
        DicomTlsCertificateRevocationLists: lists,
      }),
    );
    return path;
  }
  const rowOf = (stdout: string, check: string): string => stdout.split("\n").find((l) => new RegExp(`^\\S+\\s+${check}\\s`).test(l)) ?? "";

  test("a node whose certificate is not revoked: the list (fresh, signed by the CA) and the revocation line are ok", async () => {
    const r = await runCli(["cert", "check", "--config", checkConfig("check-good", node, ["hospital.crl.der"])]);
    assert.equal(r.code, 0, r.output);
    assert.match(rowOf(r.stdout, "crl"), /^ok\s.*hospital\.crl\.der\s+1 revoked, signed by the trusted O=dicomtls test, CN=Hospital Root CA, next update .*\(in \d+ days\)/);
    assert.match(rowOf(r.stdout, "revocation"), /^ok\s.*not revoked \(1 certificate\(s\) checked, DicomTlsRevocationCheck "chain"\)/);
  });

  test("a node whose own certificate is revoked: exit 1, the revocation line names the serial and the list", async () => {
    const r = await runCli(["cert", "check", "--config", checkConfig("check-revoked", pacsStolen, ["hospital.crl.der"])]);
    assert.equal(r.code, 1, r.output);
    assert.match(rowOf(r.stdout, "revocation"), /^ERROR\s.*CN=pacs-stolen \(serial [0-9A-F]+\) was revoked on .*hospital\.crl\.der/);
  });

  test("an unreadable list and a list signed by an unknown CA: an error line each, naming the file", async () => {
    const junk = join(tmp.path, "junk.crl");
    writeFileSync(junk, "not a list\n");
    const other = await createOpensslCa(join(tmp.path, "other-ca"), "Unknown CA");
    const foreign = await other.gencrl(join(tmp.path, "foreign.crl"));
    const r = await runCli(["cert", "check", "--config", checkConfig("check-bad", node, [junk, foreign])]);
    assert.equal(r.code, 1, r.output);
    const crlRows = r.stdout.split("\n").filter((l) => /^\S+\s+crl\s/.test(l));
    assert.equal(crlRows.length, 2, r.stdout);
    assert.match(crlRows[0] ?? "", /^ERROR\s.*junk\.crl.*not a valid X\.509 revocation list/);
    assert.match(crlRows[1] ?? "", /^ERROR\s.*foreign\.crl.*not signed by a trusted CA/);
  });
});
