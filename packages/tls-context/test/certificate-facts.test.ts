import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { createDevPki, certificateFacts, EkuOids } from "../src/index.js";

test("certificateFacts: the facts of the dev PKI's certificates, extensions read from the certificate itself", async () => {
  const pki = await createDevPki({ name: "facts" });
  const ca = certificateFacts(pki.caCert);
  const client = certificateFacts(Buffer.from(pki.clientCert));
  assert.equal(ca.isCa, true);
  assert.equal(ca.selfSigned, true);
  assert.equal(client.isCa, false);
  assert.equal(client.selfSigned, false);
  assert.deepEqual(client.extendedKeyUsage, [EkuOids.clientAuth]);
  assert.ok(client.keyUsage?.includes("digitalSignature"), String(client.keyUsage));
  assert.equal(client.keyType, "rsa");
  assert.equal(client.keyBits, 2048);
  assert.equal(client.signatureAlgorithm, "sha256WithRSAEncryption");
  assert.equal(client.weakSignature, false);
  assert.equal(client.fingerprint256, new X509Certificate(pki.clientCert).fingerprint256);
  // A spread or JSON copy carries the extension facts too (they are read on first access).
  assert.deepEqual((JSON.parse(JSON.stringify(client)) as { extendedKeyUsage?: unknown }).extendedKeyUsage, [EkuOids.clientAuth]);
  assert.equal({ ...ca }.isCa, true);
});

test("certificateFacts: a certificate seen before is not parsed again (peers connect again and again)", async () => {
  const pki = await createDevPki({ name: "cache" });
  const node = new X509Certificate(pki.nodeCert);
  const first = certificateFacts(node);
  assert.equal(certificateFacts(pki.nodeCert), first, "the same facts object from PEM text");
  // With the fingerprint Node already computed for a peer certificate, the bytes are not even looked at.
  assert.equal(certificateFacts(Buffer.alloc(0), node.fingerprint256), first);
  // An unknown fingerprint falls back to the bytes.
  const other = certificateFacts(new X509Certificate(pki.clientCert).raw, "00:11");
  assert.equal(other.subject.includes("CN="), true);
  assert.notEqual(other, first);
});
