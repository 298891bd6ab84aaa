// Security matrix (facts §8) cases that are pure TLS matters, with Node clients on 127.0.0.1.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { writeCert } from "@dicomtls/test-pki";
import { loadTlsContext, type TlsContext } from "../src/index.js";
import { clientWith, handshake, pkiOnDisk, verdict, type PkiOnDisk } from "./helpers.js";

/** Lets the test client load weak certificates (RSA-1024, SHA-1) so that the server's policy is what is tested. */
const LAX_CLIENT = { ciphers: "DEFAULT@SECLEVEL=0" } as const;

describe("peer certificate policy (matrix cases 1-11, 20, 25, 26)", () => {
  let d: PkiOnDisk;
  let strict: TlsContext;

  before(async () => {
    d = await pkiOnDisk();
    strict = await loadTlsContext(d.settings);
  });
  after(() => d.remove());

  test("#1 valid mutual TLS: accepted over TLS 1.3 with the peer described for the log", async () => {
    const o = await handshake(strict, clientWith(d.pki, d.pki.client));
    assert.equal(verdict(o), "OK");
    assert.ok(o.evaluation?.ok);
    const peer = o.evaluation.peer;
    assert.equal(peer.protocol, "TLSv1.3");
    assert.equal(peer.remoteAddress, "127.0.0.1");
    assert.equal(typeof peer.remotePort, "number");
    assert.match(peer.cipher ?? "", /^TLS_AES_256_GCM_SHA384$/);
    assert.equal(peer.certificate?.subject, "CN=client");
    assert.equal(peer.certificate?.fingerprint256, d.pki.client.fingerprint256);
    assert.match(peer.certificate?.issuer ?? "", /Test Root CA/);
    assert.ok(peer.certificate?.subjectAltNames.includes("DNS:localhost"));
    assert.equal(peer.certificate?.keyType, "ec");
    assert.equal(peer.certificate?.signatureAlgorithm, "ecdsa-with-SHA256");
    assert.ok(Date.parse(peer.certificate?.validTo ?? "") > Date.now());
  });

  test("#1 chain: a leaf issued by the intermediate, sent with its chain, is accepted", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.chained()))), "OK");
  });

  test("#1b self-signed peer certificate pinned in the trusted bundle is accepted", async () => {
    const self = await d.pki.variants.selfSigned();
    const bundle = d.writeText("pinned.crt", `# modality A\n${d.pki.trustedBundle}# modality B (self-signed)\n${self.cert}`);
    const ctx = await loadTlsContext({ ...d.settings, trustedCertificatesFile: bundle });
    assert.equal(verdict(await handshake(ctx, clientWith(d.pki, self))), "OK");
  });

  test("#2 no client certificate while required: NO_PEER_CERTIFICATE", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, null))), "NO_PEER_CERTIFICATE");
  });

  test("#3 no client certificate while not required: accepted", async () => {
    const ctx = await loadTlsContext({ ...d.settings, remoteCertificateRequired: false });
    const o = await handshake(ctx, clientWith(d.pki, null));
    assert.equal(verdict(o), "OK");
    assert.equal(o.evaluation?.peer.certificate, undefined);
  });

  test("#3 not required, but an invalid certificate presented: still refused", async () => {
    const ctx = await loadTlsContext({ ...d.settings, remoteCertificateRequired: false });
    assert.equal(verdict(await handshake(ctx, clientWith(d.pki, await d.pki.variants.otherCa()))), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test("#4 client certificate from an untrusted CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.otherCa()))), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test("#5 expired client certificate: CERT_HAS_EXPIRED", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.expired()))), "CERT_HAS_EXPIRED");
  });

  test("#6 not-yet-valid client certificate: CERT_NOT_YET_VALID", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.notYetValid()))), "CERT_NOT_YET_VALID");
  });

  test("#7 client certificate with EKU serverAuth only: INVALID_PURPOSE", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.serverAuthOnly()))), "INVALID_PURPOSE");
  });

  test("#8 client certificate with KeyUsage keyCertSign only: INVALID_PURPOSE", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.keyCertSignOnly()))), "INVALID_PURPOSE");
  });

  test("#9 self-signed client certificate not in the bundle: DEPTH_ZERO_SELF_SIGNED_CERT", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.selfSigned()))), "DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  test("#10 RSA-1024 client certificate: WEAK_KEY in B.12 and B.13, accepted with a warning in B.10", async () => {
    const rsa1024 = await d.pki.variants.rsa1024();
    const o = await handshake(strict, clientWith(d.pki, rsa1024, LAX_CLIENT));
    assert.equal(verdict(o), "WEAK_KEY");
    assert.ok(o.evaluation && !o.evaluation.ok && /1024 bits/.test(o.evaluation.detail));
    const b13 = await loadTlsContext({ ...d.settings, profile: "bcp195-rfc8996-modified" });
    assert.equal(verdict(await handshake(b13, clientWith(d.pki, rsa1024, LAX_CLIENT))), "WEAK_KEY");
    const nd = await loadTlsContext({ ...d.settings, profile: "bcp195-nd" });
    const compat = await handshake(nd, clientWith(d.pki, rsa1024, LAX_CLIENT));
    assert.equal(verdict(compat), "OK");
    assert.ok(compat.evaluation?.ok);
    assert.match(compat.evaluation.warnings.join("\n"), /WEAK_KEY: CN=rsa-1024/);
  });

  test("#10 RSA-2048 client certificate: accepted in B.12", async () => {
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, await d.pki.variants.rsa2048()))), "OK");
  });

  test("#11 SHA-1-signed client certificate: WEAK_SIGNATURE in B.12 and B.10", async () => {
    const sha1 = await d.pki.variants.sha1Signed();
    assert.equal(verdict(await handshake(strict, clientWith(d.pki, sha1, LAX_CLIENT))), "WEAK_SIGNATURE");
    const nd = await loadTlsContext({ ...d.settings, profile: "bcp195-nd" });
    assert.equal(verdict(await handshake(nd, clientWith(d.pki, sha1, LAX_CLIENT))), "WEAK_SIGNATURE");
  });

  test("#11 SHA-1-signed client certificate in the legacy B.9 profile: accepted with a warning", async () => {
    const legacy = await loadTlsContext({ ...d.settings, profile: "bcp195" });
    const o = await handshake(legacy, clientWith(d.pki, await d.pki.variants.sha1Signed(), LAX_CLIENT));
    assert.equal(verdict(o), "OK");
    assert.ok(o.evaluation?.ok);
    assert.match(o.evaluation.warnings.join("\n"), /WEAK_SIGNATURE: CN=sha1-signed: signed with sha1WithRSAEncryption/);
  });

  test("#20 TLS 1.3 is negotiated by default; a TLS 1.2-only client still gets an ECDHE AEAD suite", async () => {
    const o13 = await handshake(strict, clientWith(d.pki, d.pki.client));
    assert.equal(o13.clientProtocol, "TLSv1.3");
    const o12 = await handshake(strict, clientWith(d.pki, d.pki.client, { maxVersion: "TLSv1.2" }));
    assert.equal(verdict(o12), "OK");
    assert.equal(o12.clientProtocol, "TLSv1.2");
    assert.match(o12.clientCipher ?? "", /^ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)$/);
  });

  test("#25 ALPN: 'dicom' and no ALPN are served, other protocols are refused in the handshake", async () => {
    const dicom = await handshake(strict, clientWith(d.pki, d.pki.client, { ALPNProtocols: ["h2", "dicom"] }));
    assert.equal(verdict(dicom), "OK");
    assert.equal(dicom.clientAlpn, "dicom");
    const none = await handshake(strict, clientWith(d.pki, d.pki.client));
    assert.equal(verdict(none), "OK");
    assert.equal(none.evaluation?.peer.alpnProtocol, false);
    const http = await handshake(strict, clientWith(d.pki, d.pki.client, { ALPNProtocols: ["http/1.1"] }));
    assert.equal(verdict(http), "HANDSHAKE:ERR_SSL_NO_APPLICATION_PROTOCOL");
    assert.equal(http.evaluation, undefined);
  });

  test("#26 password-protected own key (PKCS#8 encrypted): the node serves with it", async () => {
    const enc = createPrivateKey(d.pki.server.key).export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "s3cret" }).toString();
    const keyFile = d.writeText("server-enc.key", enc);
    const ctx = await loadTlsContext({ ...d.settings, privateKeyFile: keyFile, privateKeyPassword: "s3cret" });
    assert.equal(verdict(await handshake(ctx, clientWith(d.pki, d.pki.client))), "OK");
  });

  test("an RSA-2048 server certificate works over TLS 1.3 (RSA-PSS kept) and TLS 1.2", async () => {
    const rsa = writeCert(d.dir, "rsa-server", await d.pki.issue({ key: "rsa-2048" }));
    const ctx = await loadTlsContext({ ...d.settings, certificateFile: rsa.chainFile, privateKeyFile: rsa.keyFile });
    const o13 = await handshake(ctx, clientWith(d.pki, d.pki.client));
    assert.equal(verdict(o13), "OK");
    assert.equal(o13.clientProtocol, "TLSv1.3");
    const o12 = await handshake(ctx, clientWith(d.pki, d.pki.client, { maxVersion: "TLSv1.2", sigalgs: "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256" }));
    assert.equal(verdict(o12), "OK");
    assert.equal(o12.clientCipher, "ECDHE-RSA-AES256-GCM-SHA384");
  });
});
