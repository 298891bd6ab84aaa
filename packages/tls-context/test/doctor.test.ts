// Certificate doctor: offline checks of a node's configuration and of loose certificate files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeCert } from "@dicomtls/test-pki";
import { checkCertificates, checkFiles, type DoctorRow } from "../src/index.js";
import { pkiOnDisk, type PkiOnDisk } from "./helpers.js";

function row(rows: readonly DoctorRow[], check: string, subject?: string): DoctorRow {
  const r = rows.find((x) => x.check === check && (subject === undefined || x.subject === subject));
  assert.ok(r, `no ${check} row${subject ? ` for ${subject}` : ""} in ${JSON.stringify(rows, null, 1)}`);
  return r;
}

describe("certificate doctor", () => {
  let d: PkiOnDisk;
  before(async () => {
    d = await pkiOnDisk();
  });
  after(() => d.remove());

  test("a healthy configuration: every row ok, days left reported", async () => {
    const rows = await checkCertificates(d.settings);
    assert.deepEqual(rows.filter((r) => r.verdict !== "ok"), []);
    assert.match(row(rows, "validity", "CN=localhost").detail, /\(3\d\d days left\)/);
    assert.equal(row(rows, "chain", "CN=localhost").detail, "chains to a trusted certificate");
    assert.equal(row(rows, "key-match").verdict, "ok");
    assert.equal(row(rows, "usage-server").verdict, "ok");
    assert.equal(row(rows, "usage-client").verdict, "ok");
  });

  test("problems are all reported at once: untrusted chain, server-only EKU on a modality, weak key, SHA-1", async () => {
    const other = writeCert(d.dir, "node-other", await d.pki.variants.otherCa());
    const serverOnly = d.writeText("mod-server-only.crt", (await d.pki.variants.serverAuthOnly()).cert);
    const rsa1024 = d.writeText("mod-rsa1024.crt", (await d.pki.variants.rsa1024()).cert);
    const sha1 = await d.pki.variants.sha1Signed();
    const sha1File = d.writeText("mod-sha1.crt", sha1.chain);
    const rows = await checkCertificates({
      ...d.settings,
      certificateFile: other.certFile,
      privateKeyFile: other.keyFile,
      modalityCertificates: [
        { name: "a", aet: "A", file: serverOnly },
        { name: "b", aet: "B", file: rsa1024 },
        { name: "c", aet: "C", file: sha1File },
      ],
    });
    const chain = row(rows, "chain", "CN=other-ca");
    assert.equal(chain.verdict, "error");
    assert.match(chain.detail, /does not chain/);
    const usage = row(rows, "usage-client", "CN=server-auth-only");
    assert.equal(usage.verdict, "warn");
    assert.match(usage.detail, /lacks clientAuth/);
    assert.equal(row(rows, "usage-server", "CN=server-auth-only").verdict, "ok");
    const key = row(rows, "key-size", "CN=rsa-1024");
    assert.equal(key.verdict, "error");
    assert.match(key.detail, /1024 bits/);
    const sig = row(rows, "signature", "CN=sha1-signed");
    assert.equal(sig.verdict, "error");
    assert.match(sig.detail, /sha1WithRSAEncryption/);
    assert.equal(row(rows, "chain", "CN=sha1-signed").verdict, "ok", "pkijs validates the chain through the RSA intermediate");
  });

  test("key mismatch, expired own certificate and a missing modality file are rows, not exceptions", async () => {
    const mismatch = await checkCertificates({ ...d.settings, privateKeyFile: d.writeText("c.key", d.pki.client.key) });
    assert.equal(row(mismatch, "key-match").verdict, "error");
    const expired = writeCert(d.dir, "exp", await d.pki.variants.expired());
    const rows = await checkCertificates({ ...d.settings, certificateFile: expired.certFile, privateKeyFile: expired.keyFile, modalityCertificates: [{ name: "x", aet: "X", file: `${d.dir}/none.crt` }] });
    const v = row(rows, "validity", "CN=expired");
    assert.equal(v.verdict, "error");
    assert.match(v.detail, /expired on/);
    assert.equal(row(rows, "chain", "CN=expired").verdict, "error");
    const load = row(rows, "load");
    assert.match(load.detail, /DicomModalities.x.TlsCertificate: file not found/);
  });

  test("checkFiles: loose files validated against the CAs among them", async () => {
    const root = d.writeText("root.crt", d.pki.root.cert);
    const leaf = writeCert(d.dir, "loose", await d.pki.variants.keyCertSignOnly());
    const rows = await checkFiles([root, leaf.certFile]);
    assert.equal(row(rows, "chain", "CN=key-cert-sign-only").verdict, "ok");
    const u = row(rows, "usage-server", "CN=key-cert-sign-only");
    assert.equal(u.verdict, "warn");
    assert.match(u.detail, /lacks digitalSignature/);
    const withOther = await checkFiles([leaf.certFile], { trustedCertificatesFile: d.writeText("other-root.crt", (await d.pki.otherRoot()).cert) });
    assert.equal(row(withOther, "chain").verdict, "error");
  });
});
