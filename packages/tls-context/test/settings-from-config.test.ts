import assert from "node:assert/strict";
import { test } from "node:test";
import { tlsSettingsFromConfig, type OrthancTlsConfig } from "../src/index.js";

const base: OrthancTlsConfig = {
  dicomTlsCertificate: "/etc/dicomtls/node.crt",
  dicomTlsPrivateKey: null,
  dicomTlsPrivateKeyPassword: null,
  dicomTlsTrustedCertificates: "/etc/dicomtls/trusted.crt",
  dicomTlsRemoteCertificateRequired: false,
  dicomTlsProfile: "bcp195-nd",
  dicomTlsMinimumProtocolVersion: 0,
  dicomTlsCiphersAccepted: [],
  dicomTlsHandshakeTimeout: 7,
  dicomModalities: [
    { name: "ct1", aet: "CT1", tlsCertificate: "/etc/dicomtls/ct1.crt" },
    { name: "mr1", aet: "MR1", tlsCertificate: null },
  ],
};

test("Orthanc's TLS keys map to settings: null -> unset, seconds -> ms, no ciphers -> profile's, only modalities with a TlsCertificate", () => {
  const s = tlsSettingsFromConfig(base);
  assert.equal(s.certificateFile, "/etc/dicomtls/node.crt");
  assert.equal(s.privateKeyFile, undefined);
  assert.equal(s.privateKeyPassword, undefined);
  assert.equal(s.trustedCertificatesFile, "/etc/dicomtls/trusted.crt");
  assert.equal(s.remoteCertificateRequired, false);
  assert.equal(s.profile, "bcp195-nd");
  assert.equal(s.handshakeTimeoutMs, 7000);
  assert.equal(s.ciphersAccepted, undefined);
  assert.deepEqual(s.modalityCertificates, [{ name: "ct1", aet: "CT1", file: "/etc/dicomtls/ct1.crt" }]);
});

test("explicit ciphers and a password pass through", () => {
  const s = tlsSettingsFromConfig({ ...base, dicomTlsCiphersAccepted: ["TLS_AES_128_GCM_SHA256"], dicomTlsMinimumProtocolVersion: 5, dicomTlsPrivateKeyPassword: "s3cret" });
  assert.deepEqual(s.ciphersAccepted, ["TLS_AES_128_GCM_SHA256"]);
  assert.equal(s.minimumProtocolVersion, 5);
  assert.equal(s.privateKeyPassword, "s3cret");
});

test("the revocation keys pass through; without them no list is configured", () => {
  assert.equal(tlsSettingsFromConfig(base).revocationLists, undefined);
  const s = tlsSettingsFromConfig({
    ...base,
    dicomTlsCertificateRevocationLists: ["/etc/dicomtls/crl.d", "/etc/dicomtls/root.crl"],
    dicomTlsRevocationCheck: "leaf",
    dicomTlsRevocationListGraceDays: 3,
  });
  assert.deepEqual(s.revocationLists, ["/etc/dicomtls/crl.d", "/etc/dicomtls/root.crl"]);
  assert.equal(s.revocationCheck, "leaf");
  assert.equal(s.revocationGraceDays, 3);
});
