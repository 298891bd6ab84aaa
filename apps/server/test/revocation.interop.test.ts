/**
 * Certificate revocation on the SCP (issue 9): a PKI run with `openssl ca` (config written here into a temp folder),
 * a client certificate revoked with `openssl ca -revoke` and listed by `openssl ca -gencrl`. The built server bin
 * refuses the revoked client (echoscu +tls) with CERT_REVOKED in both modes and names the certificate and the list,
 * serves a non-revoked one, picks up a regenerated list without restart, and DCMTK's own storescp +crl (+cra, +crv)
 * refuses the same client with the same files. A list past its nextUpdate warns at start-up, and stops the start
 * once DicomTlsRevocationListGraceDays are spent.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  appCommand,
  createOpensslCa,
  dcmtkEnv,
  freePort,
  requireTool,
  runProcess,
  startProcess,
  startServer,
  stopAll,
  tempDir,
  waitListening,
  type IssuedCert,
  type OpensslCa,
  type StartedServer,
} from "@dicomtls/test-peers";

requireTool("echoscu");
requireTool("storescp");
requireTool("openssl");
const DAY = 86_400_000;
const tmp = tempDir("dicomtls-crl-");
let ca: OpensslCa;
let node: IssuedCert;
let good: IssuedCert;
let stolen: IssuedCert;
let second: IssuedCert;
/** The list as the CA publishes it, next to the configuration (configured by a relative path). */
let crlFile: string;

function serialOf(cert: IssuedCert): string {
  return new X509Certificate(readFileSync(cert.leafFile)).serialNumber;
}

function writeConfig(name: string, extra: Record<string, unknown>): string {
  const file = join(tmp.path, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      // Off: the default HttpPort 8042 would be shared by every server of every test.
      HttpServerEnabled: false,
      DicomTlsEnabled: true,
      DicomTlsCertificate: node.certFile,
      DicomTlsPrivateKey: node.keyFile,
      DicomTlsTrustedCertificates: ca.cert,
      DicomTlsCertificateRevocationLists: "crl/hospital.crl",
      StorageDirectory: join(tmp.path, `${name}-storage`),
      ...extra,
    }),
  );
  return file;
}

/** echoscu +tls with a client certificate; true when the echo succeeded. */
async function echoWith(cert: IssuedCert, port: number, aet: string): Promise<{ ok: boolean; output: string }> {
  const r = await runProcess("echoscu", ["-aet", aet, "-aec", "DICOMTLS", "127.0.0.1", String(port), "+tls", cert.keyFile, cert.certFile, "+cf", ca.cert], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  const ok = r.code === 0 && !/E: /.test(r.output);
  return { ok, output: r.output };
}

before(async () => {
  ca = await createOpensslCa(join(tmp.path, "ca"), "Hospital Root CA");
  node = await ca.issue("node");
  good = await ca.issue("ct-good");
  stolen = await ca.issue("ct-stolen");
  second = await ca.issue("ct-second");
  await ca.revoke(stolen.leafFile, "keyCompromise");
  mkdirSync(join(tmp.path, "crl"));
  crlFile = await ca.gencrl(join(tmp.path, "crl", "hospital.crl"));
});
after(async () => {
  await stopAll();
  tmp.remove();
});

for (const mode of ["leaf", "chain"] as const) {
  describe(`DicomTlsRevocationCheck "${mode}": the built server bin`, () => {
    let server: StartedServer;
    before(async () => {
      server = await startServer(writeConfig(`node-${mode}`, { DicomPort: await freePort(), DicomTlsRevocationCheck: mode }), { built: true });
    });
    after(() => server.stop());

    test("a revoked client (echoscu +tls) is refused with CERT_REVOKED naming the certificate and the list", async () => {
      const r = await echoWith(stolen, server.port, "STOLEN");
      assert.equal(r.ok, false, r.output);
      const rec = await server.waitForRecord((x) => x["event"] === "tls-peer-refused" && x["reason"] === "CERT_REVOKED");
      assert.equal(rec["refusedSerial"], serialOf(stolen));
      assert.match(String(rec["refusedSubject"]), /CN=ct-stolen/);
      assert.equal(rec["revocationList"], crlFile);
      assert.match(String(rec["revocationListIssuer"]), /CN=Hospital Root CA/);
      assert.equal(rec["revocationReason"], "keyCompromise");
      assert.ok(!Number.isNaN(Date.parse(String(rec["revocationDate"]))));
      assert.ok(!server.records().some((x) => x["event"] === "association-opened" && x["callingAet"] === "STOLEN"), "no association for the revoked client");
    });

    test("a client that is not revoked is served", async () => {
      const r = await echoWith(good, server.port, "GOOD");
      assert.equal(r.ok, true, r.output);
      await server.waitForRecord((x) => x["event"] === "association-opened" && x["callingAet"] === "GOOD");
    });
  });
}

describe("hot reload of the list", () => {
  test("revoking a second certificate and regenerating the list in place shuts it out without a restart", async () => {
    const server = await startServer(writeConfig("node-reload", { DicomPort: await freePort() }), { built: true });
    const before = await echoWith(second, server.port, "SECOND");
    assert.equal(before.ok, true, before.output);
    const isReload = (x: Record<string, unknown>): boolean => x["event"] === "tls-reloaded";
    const reloads = server.records().filter(isReload).length;
    await ca.revoke(second.leafFile, "affiliationChanged");
    await ca.gencrl(crlFile);
    await server.waitForRecord((x) => isReload(x) && server.records().filter(isReload).length > reloads);
    const after = await echoWith(second, server.port, "SECOND");
    assert.equal(after.ok, false, after.output);
    const rec = await server.waitForRecord((x) => x["event"] === "tls-peer-refused" && x["refusedSerial"] === serialOf(second));
    assert.equal(rec["reason"], "CERT_REVOKED");
    assert.equal(rec["revocationReason"], "affiliationChanged");
    const still = await echoWith(good, server.port, "GOOD");
    assert.equal(still.ok, true, still.output);
    await server.stop();
  });
});

describe("parity: DCMTK storescp +tls +crl with the same files", () => {
  async function storescp(crlArgs: readonly string[]): Promise<{ port: number; scp: Awaited<ReturnType<typeof startProcess>> }> {
    const port = await freePort();
    const scp = await startProcess("storescp", ["-v", "+tls", node.keyFile, node.certFile, "+cf", ca.cert, ...crlArgs, "-aet", "DICOMTLS", "--output-directory", tmp.path, String(port)], {
      env: dcmtkEnv(),
    });
    await waitListening(port);
    return { port, scp };
  }

  for (const flag of ["+cra", "+crv"]) {
    test(`storescp +crl ${flag} refuses the revoked client (certificate verify failed) and serves the good one`, async () => {
      const { port, scp } = await storescp(["+crl", crlFile, flag]);
      const revoked = await echoWith(stolen, port, "STOLEN");
      assert.equal(revoked.ok, false, revoked.output);
      // DCMTK 3.6.7 logs OpenSSL's generic text, not the verify code: that is why our refusal names the list itself.
      await scp.waitFor(/TLS error: certificate verify failed/, 10_000);
      const served = await echoWith(good, port, "GOOD");
      assert.equal(served.ok, true, served.output);
      await scp.waitFor(/Received Echo Request/, 10_000);
      await scp.stop();
    });
  }

  test("control: the same storescp without +crl serves the revoked client (the refusal above is the list's doing)", async () => {
    const { port, scp } = await storescp([]);
    const r = await echoWith(stolen, port, "STOLEN");
    assert.equal(r.ok, true, r.output);
    await scp.stop();
  });
});

describe("an expired list", () => {
  test("past nextUpdate: a start-up warning (REVOCATION_LIST_STALE) naming the file; the node serves", async () => {
    const now = Date.now();
    const stale = await ca.gencrl(join(tmp.path, "crl", "stale.crl"), { lastUpdate: new Date(now - 9 * DAY), nextUpdate: new Date(now - 2 * DAY) });
    const server = await startServer(writeConfig("node-stale", { DicomPort: await freePort(), DicomTlsCertificateRevocationLists: stale }), { built: true });
    const w = await server.waitForRecord((x) => x["event"] === "tls-warning" && x["code"] === "REVOCATION_LIST_STALE");
    assert.match(JSON.stringify(w), /stale\.crl/);
    const r = await echoWith(good, server.port, "GOOD");
    assert.equal(r.ok, true, r.output);
    await server.stop();
  });

  test("past the grace: the server does not start, and says which file and which key", async () => {
    const stale = join(tmp.path, "crl", "stale.crl");
    const file = writeConfig("node-expired", { DicomPort: await freePort(), DicomTlsCertificateRevocationLists: stale, DicomTlsRevocationListGraceDays: 1 });
    const { cmd, args } = appCommand("server", { built: true });
    const r = await runProcess(cmd, [...args, file], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /DicomTlsCertificateRevocationLists: .*past the 1-day grace \(DicomTlsRevocationListGraceDays\)/);
    assert.match(r.output, /stale\.crl/);
  });
});
