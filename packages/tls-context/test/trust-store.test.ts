/** `writeTrustStore`: a certificates-only PKCS#12 that Java's keytool lists as trustedCertEntry, with any password. */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requireTool, runProcess, tempDir } from "@dicomtls/test-peers";
import { createDevPki, readCertificateFiles, TrustStoreError, writeTrustStore } from "../src/index.js";

requireTool("keytool");
requireTool("openssl");
const tmp = tempDir("dicomtls-truststore-");
after(() => tmp.remove());

async function keytoolList(file: string, password: string): Promise<{ code: number | string; output: string }> {
  return await runProcess("keytool", ["-list", "-keystore", file, "-storetype", "PKCS12", "-storepass", password], { timeoutMs: 60_000 });
}

describe("writeTrustStore", () => {
  let ca: X509Certificate;
  let node: X509Certificate;
  before(async () => {
    const pki = await createDevPki();
    ca = new X509Certificate(pki.caCert);
    node = new X509Certificate(pki.nodeCert);
  });

  for (const password of ["", "s3cret pass"]) {
    test(`keytool lists every certificate as trustedCertEntry (password ${JSON.stringify(password)})`, async () => {
      const file = join(tmp.path, `trust-${password.length}.p12`);
      writeFileSync(file, await writeTrustStore([{ certificate: ca }, { certificate: node, alias: "node" }], password));
      const r = await keytoolList(file, password);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /Your keystore contains 2 entries/);
      assert.equal(r.output.match(/trustedCertEntry/g)?.length, 2, r.output);
      assert.doesNotMatch(r.output, /PrivateKeyEntry/);
      assert.match(r.output, /^node, .*trustedCertEntry/m);
      // keytool prints the SHA-256 fingerprint with ':' like Node's fingerprint256.
      assert.ok(r.output.includes(ca.fingerprint256) && r.output.includes(node.fingerprint256), r.output);
    });
  }

  test("a wrong password fails the integrity check (the MAC is keyed by the password)", async () => {
    const file = join(tmp.path, "trust-wrong.p12");
    writeFileSync(file, await writeTrustStore([{ certificate: ca }], "right"));
    const r = await keytoolList(file, "wrong");
    assert.notEqual(r.code, 0);
    assert.match(r.output, /integrity|password/i);
  });

  test("OpenSSL reads it too, with no private key inside", async () => {
    const file = join(tmp.path, "trust-openssl.p12");
    writeFileSync(file, await writeTrustStore([{ certificate: ca }], ""));
    const r = await runProcess("openssl", ["pkcs12", "-in", file, "-passin", "pass:", "-nodes"], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  test("two certificates with the same CN get distinct aliases (Java keys entries by alias)", async () => {
    const file = join(tmp.path, "trust-dup.p12");
    writeFileSync(file, await writeTrustStore([{ certificate: node }, { certificate: node }], ""));
    const r = await keytoolList(file, "");
    assert.equal(r.output.match(/trustedCertEntry/g)?.length, 2, r.output);
  });

  test("no certificate at all is an error", async () => {
    await assert.rejects(writeTrustStore([], ""), TrustStoreError);
  });
});

describe("readCertificateFiles: errors name the file", () => {
  test("a missing file", () => {
    const missing = join(tmp.path, "nope.crt");
    assert.throws(() => readCertificateFiles([missing]), (e: Error) => e instanceof TrustStoreError && e.message.includes(missing) && /ENOENT/.test(e.message));
  });

  test("a private key instead of a certificate", async () => {
    const pki = await createDevPki();
    const keyFile = join(tmp.path, "node.key");
    writeFileSync(keyFile, pki.nodeKey);
    assert.throws(() => readCertificateFiles([keyFile]), (e: Error) => e.message.includes(keyFile) && /private key/.test(e.message));
  });

  test("a PEM bundle gives each certificate; DER works too", async () => {
    const pki = await createDevPki();
    const bundle = join(tmp.path, "bundle.crt");
    writeFileSync(bundle, pki.caCert + pki.nodeCert);
    const der = join(tmp.path, "ca.der");
    writeFileSync(der, new X509Certificate(pki.caCert).raw);
    const certs = readCertificateFiles([bundle, der]);
    assert.equal(certs.length, 3);
    assert.equal(certs[2]!.fingerprint256, new X509Certificate(pki.caCert).fingerprint256);
  });
});
