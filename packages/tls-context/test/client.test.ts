// SCU side: the server's chain is always verified; the name check follows the trust model (cases 12, 13) and
// the AE-title binding of DicomTlsCheckModalityCertificate (case 24's opt-in).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeCert } from "@dicomtls/test-pki";
import { buildClientOptions, certificateBindsAet, classifyHandshakeError, loadTlsContext, type TlsContext } from "../src/index.js";
import { handshake, pkiOnDisk, verdict, type PkiOnDisk } from "./helpers.js";

describe("client options and identity", () => {
  let d: PkiOnDisk;
  let node: TlsContext;
  before(async () => {
    d = await pkiOnDisk();
    node = await loadTlsContext(d.settings);
  });
  after(() => d.remove());

  /** A server context using the given certificate, trusting the test root (so our client cert passes). */
  async function serverWith(name: string, cert: Parameters<PkiOnDisk["write"]>[1]): Promise<TlsContext> {
    const w = writeCert(d.dir, name, cert);
    return await loadTlsContext({ ...d.settings, certificateFile: w.chainFile, privateKeyFile: w.keyFile });
  }

  test("client options: ALPN dicom, chain always verified, the node's certificate presented, no SNI for an IP", () => {
    const o = buildClientOptions(node, { host: "127.0.0.1", port: 104 });
    assert.deepEqual(o.ALPNProtocols, ["dicom"]);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.cert, node.certificatePem);
    assert.equal(o.servername, undefined);
    assert.equal(buildClientOptions(node, { host: "pacs.example" }).servername, "pacs.example");
    assert.equal(buildClientOptions(node, { presentCertificate: false }).cert, undefined);
  });

  test("valid server for 127.0.0.1 (IP SAN): connects with ALPN dicom and mutual authentication", async () => {
    const o = await handshake(node, buildClientOptions(node, { host: "127.0.0.1" }));
    assert.equal(verdict(o), "OK");
    assert.equal(o.clientError, undefined);
    assert.equal(o.clientAlpn, "dicom");
    assert.equal(o.evaluation?.peer.certificate?.fingerprint256, d.pki.server.fingerprint256);
  });

  test("#12 server certificate whose SAN does not match the host: ERR_TLS_CERT_ALTNAME_INVALID by default", async () => {
    const srv = await serverWith("wrong-san", await d.pki.variants.wrongSan());
    const o = await handshake(srv, buildClientOptions(node, { host: "127.0.0.1" }));
    assert.equal((o.clientError as NodeJS.ErrnoException | undefined)?.code, "ERR_TLS_CERT_ALTNAME_INVALID");
  });

  test("#12 per-modality override: a name string checks that name, false skips the name check", async () => {
    const srv = await serverWith("wrong-san2", await d.pki.variants.wrongSan());
    const named = await handshake(srv, buildClientOptions(node, { host: "127.0.0.1", checkServerName: "wrong.example" }));
    assert.equal(named.clientError, undefined);
    assert.equal(named.clientProtocol, "TLSv1.3");
    const other = await handshake(srv, buildClientOptions(node, { host: "127.0.0.1", checkServerName: "pacs.example" }));
    assert.equal((other.clientError as NodeJS.ErrnoException | undefined)?.code, "ERR_TLS_CERT_ALTNAME_INVALID");
    const off = await handshake(srv, buildClientOptions(node, { host: "127.0.0.1", checkServerName: false }));
    assert.equal(off.clientError, undefined);
  });

  test("#13 server certificate from an untrusted CA: refused even with the name check off", async () => {
    const srv = await serverWith("untrusted", await d.pki.variants.otherCa());
    const o = await handshake(srv, buildClientOptions(node, { host: "127.0.0.1", checkServerName: false }));
    assert.equal((o.clientError as NodeJS.ErrnoException | undefined)?.code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test("pinned server certificate (cat a.crt b.crt > trusted.crt): name check off automatically, on when asked", async () => {
    // A self-signed server certificate whose SAN does not name 127.0.0.1, pinned in the SCU's trusted set.
    const pinnedCert = await d.pki.issue({ commonName: "orthanc", issuer: "self", subjectAltNames: [{ type: "dns", value: "orthanc.example" }] });
    const srv = await serverWith("pinned", pinnedCert);
    const bundle = d.writeText("scu-trusted.crt", `${d.pki.trustedBundle}${pinnedCert.cert}`);
    const scu = await loadTlsContext({ ...d.settings, trustedCertificatesFile: bundle });
    const auto = await handshake(srv, buildClientOptions(scu, { host: "127.0.0.1" }));
    assert.equal(auto.clientError, undefined);
    assert.equal(auto.clientProtocol, "TLSv1.3");
    const forced = await handshake(srv, buildClientOptions(scu, { host: "127.0.0.1", checkServerName: true }));
    assert.equal((forced.clientError as NodeJS.ErrnoException | undefined)?.code, "ERR_TLS_CERT_ALTNAME_INVALID");
    // Per-modality trust replaces the node's set: without the pin the same server is refused.
    const notPinned = await handshake(srv, buildClientOptions(scu, { host: "127.0.0.1", trustedCertificates: d.pki.trustedBundle }));
    assert.equal((notPinned.clientError as NodeJS.ErrnoException | undefined)?.code, "DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  test("certificateBindsAet: the presented leaf must be the modality's TlsCertificate", async () => {
    const a = await d.pki.issue({ commonName: "modality-a", extendedKeyUsage: ["clientAuth"] });
    const b = await d.pki.issue({ commonName: "modality-b", extendedKeyUsage: ["clientAuth"] });
    const ctx = await loadTlsContext({
      ...d.settings,
      modalityCertificates: [
        { name: "a", aet: "MOD_A", file: d.writeText("a.crt", a.cert) },
        { name: "b", aet: "MOD_B", file: d.writeText("b.crt", b.cert) },
      ],
    });
    const o = await handshake(ctx, { ca: d.pki.trustedBundle, cert: a.chain, key: a.key });
    assert.ok(o.evaluation?.ok);
    const peer = o.evaluation.peer;
    assert.deepEqual(certificateBindsAet(peer, ctx.modalities, "mod_a"), { ok: true, modality: "a" });
    const strict = certificateBindsAet(peer, ctx.modalities, "mod_a", { strictAetComparison: true });
    assert.equal(strict.ok ? "ok" : strict.reason, "NO_CERTIFICATE_FOR_AET");
    const other = certificateBindsAet(peer, ctx.modalities, "MOD_B");
    assert.equal(other.ok ? "ok" : other.reason, "CERTIFICATE_AET_MISMATCH");
    const unknown = certificateBindsAet(peer, ctx.modalities, "NOBODY");
    assert.equal(unknown.ok ? "ok" : unknown.reason, "NO_CERTIFICATE_FOR_AET");
  });

  test("classifyHandshakeError maps Node/OpenSSL errors to stable codes", () => {
    const e = (code: string, message = ""): Error => Object.assign(new Error(message), { code });
    assert.equal(classifyHandshakeError(e("ERR_SSL_UNSUPPORTED_PROTOCOL")), "UNSUPPORTED_PROTOCOL");
    assert.equal(classifyHandshakeError(e("ERR_SSL_NO_SHARED_CIPHER")), "NO_SHARED_CIPHER");
    assert.equal(classifyHandshakeError(e("ERR_SSL_NO_APPLICATION_PROTOCOL")), "ALPN_MISMATCH");
    assert.equal(classifyHandshakeError(e("ERR_SSL_WRONG_VERSION_NUMBER")), "NOT_TLS");
    assert.equal(classifyHandshakeError(e("ERR_SSL_HTTP_REQUEST")), "NOT_TLS");
    assert.equal(classifyHandshakeError(e("ERR_TLS_HANDSHAKE_TIMEOUT")), "HANDSHAKE_TIMEOUT");
    assert.equal(classifyHandshakeError(e("ECONNRESET")), "CONNECTION_RESET");
  });
});
