// Start-up loading: every refusal names the configuration key and the file; warnings are returned, not printed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { writeCert } from "@dicomtls/test-pki";
import { requireTool, runProcess } from "@dicomtls/test-peers";
import { DicomTlsConfigError, loadTlsContext, type DicomTlsSettings } from "../src/index.js";
import { clientWith, handshake, pkiOnDisk, verdict, type PkiOnDisk } from "./helpers.js";

const DAY = 86_400_000;

async function refusal(settings: DicomTlsSettings): Promise<DicomTlsConfigError> {
  try {
    await loadTlsContext(settings);
  } catch (err) {
    assert.ok(err instanceof DicomTlsConfigError, `expected DicomTlsConfigError, got ${String(err)}`);
    assert.equal(err.code, "ERR_DICOM_TLS_CONFIG");
    return err;
  }
  assert.fail("the settings were accepted");
}

async function openssl(args: string[]): Promise<void> {
  const r = await runProcess("openssl", args, { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `openssl ${args.join(" ")} failed:\n${r.output}`);
}

describe("loading the node's certificate, key and trust", () => {
  let d: PkiOnDisk;
  before(async () => {
    requireTool("openssl");
    d = await pkiOnDisk();
  });
  after(() => d.remove());

  test("a valid PEM configuration loads with no warning", async () => {
    const ctx = await loadTlsContext(d.settings);
    assert.deepEqual(ctx.warnings, []);
    assert.equal(ctx.certificate.subject, "CN=localhost");
    assert.equal(ctx.trustedBundle.length, 1);
    assert.deepEqual([...ctx.files].sort(), [d.settings.certificateFile, d.settings.privateKeyFile, d.settings.trustedCertificatesFile].sort());
  });

  test("missing certificate file: names DicomTlsCertificate and the path", async () => {
    const missing = join(d.dir, "nope.crt");
    const e = await refusal({ ...d.settings, certificateFile: missing });
    assert.equal(e.key, "DicomTlsCertificate");
    assert.equal(e.file, missing);
    assert.match(e.message, /file not found/);
  });

  test("unreadable key file (a folder): names DicomTlsPrivateKey", async () => {
    const e = await refusal({ ...d.settings, privateKeyFile: d.dir });
    assert.equal(e.key, "DicomTlsPrivateKey");
    assert.match(e.message, /folder/);
  });

  test("certificate file that is neither PEM nor PKCS#12", async () => {
    const junk = d.writeText("junk.crt", "this is not a certificate\n");
    const e = await refusal({ ...d.settings, certificateFile: junk });
    assert.equal(e.key, "DicomTlsCertificate");
    assert.match(e.message, /neither a PEM certificate .* nor a PKCS#12/);
  });

  test("key file that is not a PEM key", async () => {
    const e = await refusal({ ...d.settings, privateKeyFile: d.settings.certificateFile });
    assert.equal(e.key, "DicomTlsPrivateKey");
    assert.match(e.message, /not a PEM private key/);
  });

  test("key that does not match the certificate", async () => {
    const e = await refusal({ ...d.settings, privateKeyFile: d.writeText("client.key", d.pki.client.key) });
    assert.equal(e.key, "DicomTlsPrivateKey");
    assert.match(e.message, /does not match DicomTlsCertificate/);
  });

  test("encrypted PKCS#8 key (openssl pkcs8 -topk8 -v2 aes-256-cbc): loads with the password, clear errors without or with a wrong one", async () => {
    const enc = join(d.dir, "enc8.key");
    await openssl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", d.settings.privateKeyFile!, "-out", enc, "-passout", "pass:right"]);
    const ok = await loadTlsContext({ ...d.settings, privateKeyFile: enc, privateKeyPassword: "right" });
    assert.equal(ok.certificate.subject, "CN=localhost");
    const none = await refusal({ ...d.settings, privateKeyFile: enc });
    assert.equal(none.key, "DicomTlsPrivateKey");
    assert.match(none.message, /encrypted: set DicomTlsPrivateKeyPassword/);
    const wrong = await refusal({ ...d.settings, privateKeyFile: enc, privateKeyPassword: "wrong" });
    assert.equal(wrong.key, "DicomTlsPrivateKeyPassword");
    assert.equal(wrong.file, enc);
  });

  test("encrypted traditional RSA key (Proc-Type: 4,ENCRYPTED): loads with the password, refuses a wrong one", async () => {
    const rsa = writeCert(d.dir, "rsa", await d.pki.variants.rsa2048());
    const trad = join(d.dir, "trad.key");
    await openssl(["rsa", "-in", rsa.keyFile, "-aes256", "-traditional", "-out", trad, "-passout", "pass:right"]);
    const ctx = await loadTlsContext({ ...d.settings, certificateFile: rsa.certFile, privateKeyFile: trad, privateKeyPassword: "right" });
    assert.equal(ctx.certificate.keyBits, 2048);
    const wrong = await refusal({ ...d.settings, certificateFile: rsa.certFile, privateKeyFile: trad, privateKeyPassword: "wrong" });
    assert.equal(wrong.key, "DicomTlsPrivateKeyPassword");
  });

  test("PKCS#12 with password (openssl pkcs12 -export): loads, serves, refuses a wrong or missing password", async () => {
    const chained = writeCert(d.dir, "p12src", await d.pki.variants.chained());
    const p12 = join(d.dir, "node.p12");
    await openssl(["pkcs12", "-export", "-in", chained.chainFile, "-inkey", chained.keyFile, "-out", p12, "-passout", "pass:pw12"]);
    const settings: DicomTlsSettings = { certificateFile: p12, privateKeyPassword: "pw12", trustedCertificatesFile: d.settings.trustedCertificatesFile };
    const ctx = await loadTlsContext(settings);
    assert.equal(ctx.certificate.subject, "CN=chained");
    assert.equal(ctx.certificates.length, 2, "the intermediate comes along");
    assert.equal(verdict(await handshake(ctx, clientWith(d.pki, d.pki.client))), "OK");
    const wrong = await refusal({ ...settings, privateKeyPassword: "nope" });
    assert.equal(wrong.key, "DicomTlsPrivateKeyPassword");
    assert.match(wrong.message, /PKCS#12/);
    const missing = await refusal({ ...settings, privateKeyPassword: undefined });
    assert.equal(missing.key, "DicomTlsCertificate");
    assert.match(missing.message, /set DicomTlsPrivateKeyPassword/);
  });

  test("PKCS#12 without password (.pfx, empty export password) loads without DicomTlsPrivateKeyPassword", async () => {
    const pfx = join(d.dir, "node.pfx");
    await openssl(["pkcs12", "-export", "-in", d.settings.certificateFile, "-inkey", d.settings.privateKeyFile!, "-out", pfx, "-passout", "pass:"]);
    const ctx = await loadTlsContext({ certificateFile: pfx, trustedCertificatesFile: d.settings.trustedCertificatesFile });
    assert.equal(ctx.certificate.fingerprint256, d.pki.server.fingerprint256);
  });

  test("legacy PKCS#12 (RC2/3DES, openssl -legacy): refused with a re-export hint", async () => {
    const rsa = writeCert(d.dir, "legacy", await d.pki.variants.rsa2048());
    const p12 = join(d.dir, "legacy.p12");
    await openssl(["pkcs12", "-export", "-legacy", "-in", rsa.certFile, "-inkey", rsa.keyFile, "-out", p12, "-passout", "pass:pw"]);
    const e = await refusal({ certificateFile: p12, privateKeyPassword: "pw", trustedCertificatesFile: d.settings.trustedCertificatesFile });
    assert.equal(e.key, "DicomTlsCertificate");
    assert.match(e.message, /legacy PKCS#12 encryption .* re-export/);
  });

  test("trusted bundle with comment lines between certificates is read whole", async () => {
    const other = await d.pki.otherRoot();
    const bundle = d.writeText("commented.crt", `# Site A root\n${d.pki.root.cert}\n# Site B root, added 2024\nsubject=CN=Other\n${other.cert}`);
    const ctx = await loadTlsContext({ ...d.settings, trustedCertificatesFile: bundle });
    assert.equal(ctx.trustedBundle.length, 2);
  });

  test("empty trusted bundle while certificates are required", async () => {
    const empty = d.writeText("empty.crt", "# nothing here yet\n");
    const e = await refusal({ ...d.settings, trustedCertificatesFile: empty });
    assert.equal(e.key, "DicomTlsTrustedCertificates");
    assert.equal(e.file, empty);
    assert.match(e.message, /no PEM certificate/);
  });

  test("no trusted bundle while certificates are not required: loads with a warning", async () => {
    const ctx = await loadTlsContext({ ...d.settings, trustedCertificatesFile: undefined, remoteCertificateRequired: false });
    assert.deepEqual(ctx.warnings.map((w) => w.code), ["NO_TRUSTED_CERTIFICATES"]);
  });

  test("own certificate expired or not yet valid: refused at start-up", async () => {
    const exp = writeCert(d.dir, "expired", await d.pki.variants.expired());
    const e = await refusal({ ...d.settings, certificateFile: exp.certFile, privateKeyFile: exp.keyFile });
    assert.equal(e.key, "DicomTlsCertificate");
    assert.match(e.message, /expired on/);
    const nyv = writeCert(d.dir, "nyv", await d.pki.variants.notYetValid());
    assert.match((await refusal({ ...d.settings, certificateFile: nyv.certFile, privateKeyFile: nyv.keyFile })).message, /not valid before/);
  });

  test("own certificate expiring within 30 days: a warning with the days left", async () => {
    const soon = writeCert(d.dir, "soon", await d.pki.issue({ commonName: "soon", notAfter: new Date(d.pki.now.getTime() + 10 * DAY + 3_600_000) }));
    const ctx = await loadTlsContext({ ...d.settings, certificateFile: soon.certFile, privateKeyFile: soon.keyFile });
    const w = ctx.warnings.find((x) => x.code === "OWN_CERTIFICATE_EXPIRES_SOON");
    assert.ok(w);
    assert.equal(w.key, "DicomTlsCertificate");
    assert.match(w.message, /in 10 days/);
  });

  test("weak own key: refused by OpenSSL under B.12, a warning under B.10", async () => {
    const weak = writeCert(d.dir, "weak", await d.pki.variants.rsa1024());
    const s = { ...d.settings, certificateFile: weak.certFile, privateKeyFile: weak.keyFile };
    const e = await refusal(s);
    assert.match(e.message, /OpenSSL refuses .* "bcp195-rfc8996"/);
    const ctx = await loadTlsContext({ ...s, profile: "bcp195-nd" });
    assert.deepEqual(ctx.warnings.map((w) => w.code), ["WEAK_OWN_KEY"]);
  });

  test("modality certificates join the trusted set and are watched", async () => {
    const self = await d.pki.variants.selfSigned();
    const file = d.writeText("modality-a.crt", self.cert);
    const ctx = await loadTlsContext({ ...d.settings, modalityCertificates: [{ name: "ctA", aet: "CT_A", file }] });
    assert.equal(ctx.modalities[0]?.fingerprint256, self.fingerprint256);
    assert.ok(ctx.trustedFingerprints.has(self.fingerprint256));
    assert.ok(ctx.files.includes(file));
    assert.equal(verdict(await handshake(ctx, clientWith(d.pki, self))), "OK");
    const missing = await refusal({ ...d.settings, modalityCertificates: [{ name: "ctB", aet: "CT_B", file: join(d.dir, "absent.crt") }] });
    assert.equal(missing.key, "DicomModalities.ctB.TlsCertificate");
  });

  test("the options a loaded context yields are accepted by createSecureContext", async () => {
    const ctx = await loadTlsContext(d.settings);
    assert.doesNotThrow(() => createSecureContext({ cert: ctx.certificatePem, key: ctx.privateKey.export({ format: "pem", type: "pkcs8" }).toString() }));
    assert.equal(createPrivateKey(d.pki.server.key).asymmetricKeyType, ctx.privateKey.asymmetricKeyType);
  });
});
