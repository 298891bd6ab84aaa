import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestPki, writeCert, writePem, concatPem } from "../src/index.js";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

test("default PKI: server and client leaves chain to the root and match their keys", async () => {
  const pki = await createTestPki();
  const root = new X509Certificate(pki.root.cert);
  const inter = new X509Certificate(pki.intermediate.cert);
  assert.equal(root.ca, true);
  assert.equal(inter.checkIssued(root), true);
  const server = new X509Certificate(pki.server.cert);
  assert.equal(server.checkIssued(root), true);
  assert.equal(server.verify(root.publicKey), true);
  assert.equal(server.checkPrivateKey(createPrivateKey(pki.server.key)), true);
  assert.equal(server.checkHost("localhost"), "localhost");
  assert.equal(server.checkIP("127.0.0.1"), "127.0.0.1");
  assert.equal(server.checkIP("::1"), "::1");
  assert.deepEqual([...(server.keyUsage ?? [])].sort(), [SERVER_AUTH, CLIENT_AUTH]);
  const client = new X509Certificate(pki.client.cert);
  assert.deepEqual(client.keyUsage, [CLIENT_AUTH]);
  assert.equal(client.checkPrivateKey(createPrivateKey(pki.client.key)), true);
  assert.equal(pki.server.fingerprint256, server.fingerprint256);
  assert.equal(pki.trustedBundle.trim(), pki.root.cert.trim());
});

test("variants carry the defect they are named after", async () => {
  const pki = await createTestPki();
  const v = pki.variants;
  const now = pki.now.getTime();
  const expired = new X509Certificate((await v.expired()).cert);
  assert.ok(new Date(expired.validTo).getTime() < now);
  const future = new X509Certificate((await v.notYetValid()).cert);
  assert.ok(new Date(future.validFrom).getTime() > now);
  assert.deepEqual(new X509Certificate((await v.serverAuthOnly()).cert).keyUsage, [SERVER_AUTH]);
  const self = new X509Certificate((await v.selfSigned()).cert);
  assert.equal(self.subject, self.issuer);
  assert.equal(self.verify(self.publicKey), true);
  const other = new X509Certificate((await v.otherCa()).cert);
  assert.equal(other.checkIssued(new X509Certificate(pki.root.cert)), false);
  const rsa1024 = new X509Certificate((await v.rsa1024()).cert);
  assert.equal(rsa1024.publicKey.asymmetricKeyDetails?.modulusLength, 1024);
  const rsa2048 = new X509Certificate((await v.rsa2048()).cert);
  assert.equal(rsa2048.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  const ec = new X509Certificate((await v.ecP256()).cert);
  assert.equal(ec.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  const sha1 = await v.sha1Signed();
  // sha1WithRSAEncryption = 1.2.840.113549.1.1.5 (RFC 3279 §2.2.1), DER 06 09 2a 86 48 86 f7 0d 01 01 05
  assert.ok(new X509Certificate(sha1.cert).raw.includes(Buffer.from("06092a864886f70d010105", "hex")));
  assert.equal(sha1.issuers.length, 2);
  const chained = await v.chained();
  assert.equal(chained.chain.match(/BEGIN CERTIFICATE/g)?.length, 2);
  assert.equal(new X509Certificate(chained.cert).checkIssued(new X509Certificate(pki.intermediate.cert)), true);
  const wrong = new X509Certificate((await v.wrongSan()).cert);
  assert.equal(wrong.checkHost("localhost"), undefined);
  assert.equal(wrong.checkIP("127.0.0.1"), undefined);
  const kcs = new X509Certificate((await v.keyCertSignOnly()).cert);
  // KeyUsage extension (2.5.29.15) critical, BIT STRING with only bit 5 (keyCertSign) set: 03 02 02 04
  assert.ok(kcs.raw.includes(Buffer.from("0603551d0f0101ff040403020204", "hex")));
});

test("writeCert and writePem lay files out for a node's configuration", async () => {
  const pki = await createTestPki({ name: "files" });
  const dir = mkdtempSync(join(tmpdir(), "test-pki-"));
  try {
    const w = writeCert(dir, "server", pki.server);
    assert.equal(readFileSync(w.certFile, "utf8"), pki.server.cert);
    assert.equal(statSync(w.keyFile).mode & 0o777, 0o600);
    const bundle = writePem(dir, "trusted.crt", concatPem(pki.root.cert, pki.client.cert));
    assert.equal(readFileSync(bundle, "utf8").match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.match(pki.server.subject, /CN=files localhost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
