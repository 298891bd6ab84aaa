import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { test } from "node:test";
import { createDevPki, EkuOids } from "../src/index.js";

test("createDevPki: RSA-2048 CA, a node certificate for localhost/127.0.0.1/::1 usable both ways, a client certificate; keys match", async () => {
  const pki = await createDevPki({ name: "unit" });
  const ca = new X509Certificate(pki.caCert);
  const node = new X509Certificate(pki.nodeCert);
  const client = new X509Certificate(pki.clientCert);
  assert.equal(ca.ca, true);
  for (const leaf of [node, client]) {
    assert.equal(leaf.ca, false);
    assert.equal(leaf.checkIssued(ca), true);
    assert.equal(leaf.verify(ca.publicKey), true);
  }
  assert.equal(node.checkHost("localhost"), "localhost");
  assert.equal(node.checkIP("127.0.0.1"), "127.0.0.1");
  assert.equal(node.checkIP("::1"), "::1");
  // Node's X509Certificate.keyUsage holds the extended key usages.
  assert.deepEqual([...(node.keyUsage ?? [])].sort(), [EkuOids.clientAuth, EkuOids.serverAuth].sort());
  assert.deepEqual([...(client.keyUsage ?? [])], [EkuOids.clientAuth]);
  assert.equal(node.checkPrivateKey(createPrivateKey(pki.nodeKey)), true);
  assert.equal(client.checkPrivateKey(createPrivateKey(pki.clientKey)), true);
  assert.equal(ca.checkPrivateKey(createPrivateKey(pki.caKey)), true);
  assert.equal(createPrivateKey(pki.nodeKey).asymmetricKeyDetails?.modulusLength, 2048);
});
