/**
 * `dicomtls cert trust-store CERT... --out FILE.p12 [--password P]`: the Orthanc book's dcm4che flow without
 * Orthanc's private key in dcm4che's trust store. Java's keytool must list each certificate as trustedCertEntry.
 */
import { strict as assert } from "node:assert";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestPki, writeCert, type TestPki } from "@dicomtls/test-pki";
import { requireTool, runProcess, tempDir } from "@dicomtls/test-peers";
import { main } from "../src/main.js";

requireTool("keytool");
const tmp = tempDir("dicomtls-cli-truststore-");
after(() => tmp.remove());

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["cert", "trust-store", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("cert trust-store", () => {
  let pki: TestPki;
  let serverCert: string;
  let clientCert: string;
  before(async () => {
    pki = await createTestPki({ name: "cli-truststore " });
    serverCert = writeCert(tmp.path, "server", pki.server).certFile;
    clientCert = writeCert(tmp.path, "client", pki.client).certFile;
  });

  test("empty password (the book's): keytool -storepass '' lists two trustedCertEntry and no key", async () => {
    const out = join(tmp.path, "trust.p12");
    const r = await cli([serverCert, clientCert, "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2 trusted certificates, no private key/);
    const k = await runProcess("keytool", ["-list", "-keystore", out, "-storetype", "PKCS12", "-storepass", ""], { timeoutMs: 60_000 });
    assert.equal(k.code, 0, k.output);
    assert.equal(k.output.match(/trustedCertEntry/g)?.length, 2, k.output);
    assert.doesNotMatch(k.output, /PrivateKeyEntry/);
  });

  test("--password P: keytool needs P", async () => {
    const out = join(tmp.path, "trust-pw.p12");
    assert.equal((await cli([serverCert, "--out", out, "--password", "changeit"])).code, 0);
    const ok = await runProcess("keytool", ["-list", "-keystore", out, "-storetype", "PKCS12", "-storepass", "changeit"], { timeoutMs: 60_000 });
    assert.match(ok.output, /trustedCertEntry/);
    const wrong = await runProcess("keytool", ["-list", "-keystore", out, "-storetype", "PKCS12", "-storepass", "other"], { timeoutMs: 60_000 });
    assert.notEqual(wrong.code, 0);
  });

  test("a missing certificate file: exit 1, the file named, nothing written", async () => {
    const out = join(tmp.path, "never.p12");
    const missing = join(tmp.path, "missing.crt");
    const r = await cli([missing, "--out", out]);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(missing), r.err);
    assert.match(r.err, /ERR_DICOM_TRUST_STORE/);
    assert.equal(existsSync(out), false);
  });

  test("a key file given as a certificate: refused, naming the file and why", async () => {
    const key = writeCert(tmp.path, "keyonly", pki.client).keyFile;
    const r = await cli([key, "--out", join(tmp.path, "k.p12")]);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(key) && /private key/.test(r.err), r.err);
  });

  test("an unwritable output names the output file", async () => {
    const out = join(tmp.path, "no-such-dir", "t.p12");
    const r = await cli([serverCert, "--out", out]);
    assert.equal(r.code, 1);
    assert.ok(r.err.includes(out), r.err);
  });

  test("--out missing or equal to an input: usage error (exit 2)", async () => {
    assert.equal((await cli([serverCert])).code, 2);
    const copy = join(tmp.path, "copy.crt");
    writeFileSync(copy, "x");
    assert.equal((await cli([copy, "--out", copy])).code, 2);
  });
});
