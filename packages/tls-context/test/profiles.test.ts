// PS3.15 profiles and the Orthanc keys DicomTlsMinimumProtocolVersion / DicomTlsCiphersAccepted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSecureContext } from "node:tls";
import { DicomTlsConfigError, PROFILE_NAMES, resolveProtocolPolicy, type TlsWarning } from "../src/index.js";

function configError(fn: () => unknown): DicomTlsConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DicomTlsConfigError, String(err));
    return err;
  }
  assert.fail("accepted");
}

test("default is B.12: TLS 1.2+, ECDHE AEAD only, security level 2, RSA-PSS kept", () => {
  const p = resolveProtocolPolicy({});
  assert.equal(p.profile, "bcp195-rfc8996");
  assert.equal(p.minVersion, "TLSv1.2");
  assert.equal(p.maxVersion, "TLSv1.3");
  for (const c of p.tls12Ciphers) assert.match(c, /^ECDHE-(RSA|ECDSA)-AES(128|256)-GCM-SHA(256|384)$/);
  assert.ok(!p.ciphers.includes("CHACHA20-POLY1305:") || p.tls12Ciphers.every((c) => !c.includes("CHACHA")));
  assert.match(p.ciphers, /@SECLEVEL=2$/);
  assert.ok(p.tls13Ciphersuites.includes("TLS_AES_256_GCM_SHA384"));
  for (const s of ["rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512", "rsa_pss_pss_sha256", "rsa_pss_pss_sha384", "rsa_pss_pss_sha512"]) {
    assert.ok(p.sigalgs.split(":").includes(s), `${s} kept`);
  }
  assert.ok(!/sha1/i.test(p.sigalgs));
  assert.deepEqual(p.keyRules, { minRsaBits: 2048, minEcBits: 256, refuseSha1: true, weakPeer: "refuse" });
});

test("B.13 adds ECDHE CHACHA20-POLY1305; B.9 opens TLS 1.0 with security level 0 and a warning", () => {
  const b13 = resolveProtocolPolicy({ profile: "bcp195-rfc8996-modified" });
  assert.ok(b13.tls12Ciphers.includes("ECDHE-RSA-CHACHA20-POLY1305"));
  const warnings: TlsWarning[] = [];
  const b9 = resolveProtocolPolicy({ profile: "bcp195" }, warnings);
  assert.equal(b9.minVersion, "TLSv1");
  assert.equal(b9.securityLevel, 0);
  assert.ok(b9.tls12Ciphers.includes("AES128-SHA"));
  assert.deepEqual(warnings.map((w) => w.code), ["LEGACY_PROTOCOLS"]);
});

test("every profile yields options OpenSSL accepts", () => {
  for (const profile of PROFILE_NAMES) {
    const p = resolveProtocolPolicy({ profile });
    assert.doesNotThrow(() => createSecureContext({ minVersion: p.minVersion, maxVersion: p.maxVersion, ciphers: p.ciphers, sigalgs: p.sigalgs, ecdhCurve: p.ecdhCurve }), profile);
  }
});

test("DicomTlsMinimumProtocolVersion 1..5 maps to Node versions (1 = SSLv3 becomes TLS 1.0 with a warning)", () => {
  const expected = { 1: "TLSv1", 2: "TLSv1", 3: "TLSv1.1", 4: "TLSv1.2", 5: "TLSv1.3" } as const;
  for (const [level, version] of Object.entries(expected)) {
    const warnings: TlsWarning[] = [];
    const p = resolveProtocolPolicy({ minimumProtocolVersion: Number(level) }, warnings);
    assert.equal(p.minVersion, version, `level ${level}`);
    const codes = warnings.map((w) => w.code);
    assert.equal(codes.includes("SSLV3_UNSUPPORTED"), level === "1");
    assert.equal(codes.includes("LEGACY_PROTOCOLS"), Number(level) <= 3);
  }
  const only13 = resolveProtocolPolicy({ minimumProtocolVersion: 5 });
  assert.doesNotThrow(() => createSecureContext({ minVersion: only13.minVersion, ciphers: only13.ciphers }));
  assert.equal(configError(() => resolveProtocolPolicy({ minimumProtocolVersion: 6 })).key, "DicomTlsMinimumProtocolVersion");
});

test("DicomTlsCiphersAccepted: forbidden with version 0, each entry validated and named when bad", () => {
  const v0 = configError(() => resolveProtocolPolicy({ ciphersAccepted: ["ECDHE-RSA-AES128-GCM-SHA256"] }));
  assert.equal(v0.key, "DicomTlsCiphersAccepted");
  assert.match(v0.message, /cannot be listed while DicomTlsMinimumProtocolVersion is 0/);
  const bad = configError(() => resolveProtocolPolicy({ minimumProtocolVersion: 4, ciphersAccepted: ["ECDHE-RSA-AES128-GCM-SHA256", "AES-999-FOO"] }));
  assert.equal(bad.key, "DicomTlsCiphersAccepted[1]");
  assert.match(bad.message, /"AES-999-FOO" is not a cipher suite known/);
  assert.match(configError(() => resolveProtocolPolicy({ minimumProtocolVersion: 4, ciphersAccepted: ["NULL-SHA"] })).message, /no encryption/);
  assert.match(configError(() => resolveProtocolPolicy({ minimumProtocolVersion: 4, ciphersAccepted: ["HIGH:!aNULL"] })).message, /one suite name per entry/);
  const only13 = configError(() => resolveProtocolPolicy({ minimumProtocolVersion: 4, ciphersAccepted: ["TLS_AES_128_GCM_SHA256"] }));
  assert.match(only13.message, /only TLS 1.3 suites/);
  const ok = resolveProtocolPolicy({ minimumProtocolVersion: 4, ciphersAccepted: ["ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"] });
  assert.deepEqual(ok.tls12Ciphers, ["ECDHE-ECDSA-AES128-GCM-SHA256"]);
  assert.deepEqual(ok.tls13Ciphersuites, ["TLS_AES_128_GCM_SHA256"]);
});

test("unknown profile name is a configuration error naming DicomTlsProfile", () => {
  const e = configError(() => resolveProtocolPolicy({ profile: "tls-anything" as never }));
  assert.equal(e.key, "DicomTlsProfile");
  assert.match(e.message, /bcp195-rfc8996/);
});
