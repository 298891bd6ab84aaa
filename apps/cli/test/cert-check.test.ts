/**
 * `dicomtls cert check`: the certificate doctor over an Orthanc-style configuration (node certificate and key,
 * trusted bundle, every modality's TlsCertificate) and over loose PEM files. One table line per check with its
 * verdict; exit 1 when any check is an error, with the line saying why.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestPki, writeCert, writePem, type TestPki, type WrittenCert } from "@dicomtls/test-pki";
import { runCli, tempDir } from "@dicomtls/test-peers";
import { main } from "../src/main.js";

const tmp = tempDir("dicomtls-cert-check-");
after(() => tmp.remove());

/** Runs the CLI in this process; returns the exit code and what it printed. */
async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["cert", "check", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The table line of one check for one file (the file column is matched by its name). */
function line(out: string, check: string, file: string): string {
  const found = out.split("\n").find((l) => new RegExp(`^\\S+\\s+${check}\\s`).test(l) && l.includes(file));
  assert.ok(found !== undefined, `no "${check}" line for ${file} in:\n${out}`);
  return found;
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(tmp.path, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

describe("cert check", () => {
  let pki: TestPki;
  let ca: string;
  let node: WrittenCert;
  let modality: WrittenCert;
  let expired: WrittenCert;
  let serverAuthOnly: WrittenCert;
  let otherCa: WrittenCert;
  let goodConfig: string;

  before(async () => {
    pki = await createTestPki({ name: "doctor" });
    ca = writePem(tmp.path, "ca.crt", pki.trustedBundle);
    node = writeCert(tmp.path, "node", pki.server);
    modality = writeCert(tmp.path, "modality", await pki.issue({ commonName: "modality" }));
    expired = writeCert(tmp.path, "expired", await pki.variants.expired());
    serverAuthOnly = writeCert(tmp.path, "server-auth-only", await pki.variants.serverAuthOnly());
    otherCa = writeCert(tmp.path, "other-ca", await pki.variants.otherCa());
    goodConfig = writeConfig("good.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: node.chainFile,
      DicomTlsPrivateKey: node.keyFile,
      DicomTlsTrustedCertificates: ca,
      DicomModalities: { CT: { AET: "CT", Host: "127.0.0.1", Port: 104, TlsCertificate: modality.certFile } },
    });
  });

  test("--config with good files: exit 0, one line per check for the node and the modality (the command line as users run it)", async () => {
    const r = await runCli(["cert", "check", "--config", goodConfig]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /^VERDICT\s+CHECK\s+CERTIFICATE\s+FILE\s+DETAIL$/m);
    assert.match(line(r.stdout, "key-match", "node.key"), /^ok\s.*the private key matches the certificate/);
    for (const check of ["validity", "chain", "usage-server", "usage-client", "key-size", "signature"]) {
      assert.match(line(r.stdout, check, "node-chain.crt"), /^ok\s/, check);
      assert.match(line(r.stdout, check, "modality.crt"), /^ok\s/, `modality ${check}`);
    }
    assert.match(line(r.stdout, "chain", "node-chain.crt"), /chains to a trusted certificate/);
    assert.match(r.stdout, /errors?: all checks passed$/m);
  });

  test("--config whose node certificate expired: exit 1, the validity line says when", async () => {
    const config = writeConfig("expired.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: expired.chainFile,
      DicomTlsPrivateKey: expired.keyFile,
      DicomTlsTrustedCertificates: ca,
    });
    const r = await cli(["--config", config]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "validity", "expired-chain.crt"), /^ERROR\s.*expired on \d{4}-\d\d-\d\d/);
    assert.match(r.out, /\d+ errors?: NOT usable as it is$/m);
  });

  test("--config whose key does not match the certificate: exit 1, the key-match line names both files", async () => {
    const config = writeConfig("mismatch.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: node.chainFile,
      DicomTlsPrivateKey: modality.keyFile,
      DicomTlsTrustedCertificates: ca,
    });
    const r = await cli(["--config", config]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "key-match", "modality.key"), /^ERROR\s.*DicomTlsPrivateKey.*does not match DicomTlsCertificate.*node-chain\.crt/);
  });

  test("--config with an expired modality TlsCertificate: exit 1 on that modality's line", async () => {
    const config = writeConfig("modality-expired.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: node.chainFile,
      DicomTlsPrivateKey: node.keyFile,
      DicomTlsTrustedCertificates: ca,
      DicomModalities: { OLD: { AET: "OLD", Host: "127.0.0.1", Port: 104, TlsCertificate: expired.certFile } },
    });
    const r = await cli(["--config", config]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "validity", "expired.crt"), /^ERROR\s+validity\s+CN=doctor\s*expired/);
    assert.match(line(r.out, "key-match", "node.key"), /^ok\s/);
  });

  test("--config that is not valid: exit 1 with the configuration's own message", async () => {
    const config = writeConfig("missing.json", { DicomTlsEnabled: true, DicomTlsCertificate: join(tmp.path, "nope.crt"), DicomTlsPrivateKey: node.keyFile, DicomTlsTrustedCertificates: ca });
    const r = await cli(["--config", config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /DicomTlsCertificate: file not found/);
  });

  test("FILE --trusted CA with a good certificate: exit 0", async () => {
    const r = await cli([node.chainFile, "--trusted", ca]);
    assert.equal(r.code, 0, r.out);
    assert.match(line(r.out, "chain", "node-chain.crt"), /^ok\s/);
  });

  test("FILE with EKU serverAuth only: a warning that it serves as TLS server only (clientAuth missing), exit 0", async () => {
    const r = await cli([serverAuthOnly.certFile, "--trusted", ca]);
    assert.equal(r.code, 0, r.out);
    assert.match(line(r.out, "usage-client", "server-auth-only.crt"), /^WARN\s.*INVALID_PURPOSE.*ExtendedKeyUsage lacks clientAuth.*usable only as TLS server/);
    assert.match(line(r.out, "usage-server", "server-auth-only.crt"), /^ok\s/);
  });

  test("FILE usable in neither role (KeyUsage keyCertSign only): exit 1, both usage lines are errors", async () => {
    const bad = writeCert(tmp.path, "cert-sign-only", await pki.variants.keyCertSignOnly());
    const r = await cli([bad.certFile, "--trusted", ca]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "usage-client", "cert-sign-only.crt"), /^ERROR\s/);
    assert.match(line(r.out, "usage-server", "cert-sign-only.crt"), /^ERROR\s/);
  });

  test("FILE expired: exit 1 on the validity line", async () => {
    const r = await cli([expired.certFile, "--trusted", ca]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "validity", "expired.crt"), /^ERROR\s.*expired on/);
  });

  test("FILE from another CA than --trusted: exit 1 on the chain line", async () => {
    const r = await cli([otherCa.certFile, "--trusted", ca]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "chain", "other-ca.crt"), /^ERROR\s.*does not chain to a trusted certificate/);
  });

  test("--now: a good certificate checked at a date after its expiry fails", async () => {
    const r = await cli([node.chainFile, "--trusted", ca, "--now", "2200-01-01"]);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.out, "validity", "node-chain.crt"), /^ERROR\s.*expired on/);
  });

  test("--json prints the rows", async () => {
    const r = await cli([node.chainFile, "--trusted", ca, "--json"]);
    assert.equal(r.code, 0);
    const rows = JSON.parse(r.out) as Array<{ check: string; verdict: string; file: string }>;
    assert.ok(rows.some((x) => x.check === "chain" && x.verdict === "ok" && x.file === node.chainFile));
  });

  test("usage errors exit 2: nothing to check, or both --config and files", async () => {
    assert.equal((await cli([])).code, 2);
    const both = await cli(["--config", goodConfig, node.certFile]);
    assert.equal(both.code, 2);
    assert.match(both.err, /either --config CONFIG or FILE/);
  });
});
