/**
 * DicomTlsRemoteCertificateRequired (the default): a client without a certificate, with an untrusted one, or with an
 * expired one is refused by DCMTK's echoscu's own account (no echo, non-zero exit), and the server logs one
 * record per refusal naming the peer (ip:port) and OpenSSL's or our reason code.
 */
import { strict as assert } from "node:assert";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { assertEchoRefused, assertEchoSucceeded, echoscu, requirePeers, waitForTlsRefusal, within, writeConfig } from "./helpers.js";

requirePeers("echoscu");
const tmp = tempDir("dicomtls-refusals-");
after(async () => {
  await stopAll();
  tmp.remove();
});

describe("certificates required: who is refused, and what the log says", () => {
  let pki: TestPki;
  let server: StartedServer;
  let ca: string;

  before(async () => {
    pki = await createTestPki({ name: "server-refusals " });
    const node = writeCert(tmp.path, "node", pki.server);
    ca = writePem(tmp.path, "ca.crt", pki.trustedBundle);
    const port = await freePort();
    const config = writeConfig(tmp.path, "node.json", {
      DicomAet: "DICOMTLS",
      DicomPort: port,
      DicomTlsEnabled: true,
      DicomTlsCertificate: node.chainFile,
      DicomTlsPrivateKey: node.keyFile,
      DicomTlsTrustedCertificates: ca,
      StorageDirectory: `${tmp.path}/storage`,
    });
    server = await startServer(config);
  });
  after(() => server.stop());

  test("a client certificate issued by the trusted CA is accepted (the control case)", async () => {
    const client = writeCert(tmp.path, "client", pki.client);
    const r = await echoscu(["-v", "-aet", "GOOD", "127.0.0.1", String(server.port), "+tls", client.keyFile, client.chainFile, "+cf", ca]);
    assertEchoSucceeded(r);
    await server.waitForRecord((rec) => rec["event"] === "association-opened" && rec["callingAet"] === "GOOD");
  });

  test("no client certificate: refused, NO_PEER_CERTIFICATE with the peer's ip:port", async () => {
    const r = await echoscu(["-v", "-aet", "ANON", "127.0.0.1", String(server.port), "--anonymous-tls", "+cf", ca]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^NO_PEER_CERTIFICATE$/);
    assert.match(String(rec["msg"]), /DICOM TLS peer 127\.0\.0\.1:\d+ refused \(NO_PEER_CERTIFICATE\)/);
    assert.equal(rec["level"], "warn");
  });

  test("the record names exactly the refused connection's source port", async () => {
    // A Node client lets us know our source port; under TLS 1.3 the server refuses after the handshake.
    const before = server.records().length;
    const localPort = await within(
      10_000,
      "the server closing an anonymous TLS connection",
      new Promise<number>((resolve, reject) => {
        const s = connect({ host: "127.0.0.1", port: server.port, ca: pki.trustedBundle, servername: "localhost" });
        let port = -1;
        s.once("secureConnect", () => (port = s.localPort ?? -1));
        s.on("error", () => undefined);
        s.once("close", () => (port > 0 ? resolve(port) : reject(new Error("the TLS handshake itself failed"))));
      }),
    );
    const rec = await server.waitForRecord((r) => r["event"] === "tls-peer-refused" && r["peer"] === `127.0.0.1:${localPort}`);
    assert.equal(rec["reason"], "NO_PEER_CERTIFICATE");
    assert.ok(server.records().length > before);
  });

  test("an untrusted client certificate (self-signed): refused, with OpenSSL's reason", async () => {
    const stranger = writeCert(tmp.path, "self-signed", await pki.variants.selfSigned());
    const r = await echoscu(["-v", "-aet", "SELF", "127.0.0.1", String(server.port), "+tls", stranger.keyFile, stranger.chainFile, "+cf", ca]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^DEPTH_ZERO_SELF_SIGNED_CERT$/);
    assert.match(String(rec["certSubject"]), /self-signed/);
  });

  test("an untrusted client certificate (issued by another CA): refused, with OpenSSL's reason", async () => {
    const other = writeCert(tmp.path, "other-ca", await pki.variants.otherCa());
    const r = await echoscu(["-v", "-aet", "OTHER", "127.0.0.1", String(server.port), "+tls", other.keyFile, other.chainFile, "+cf", ca]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    assert.match(String(rec["certSubject"]), /other-ca/);
  });

  test("an expired client certificate from the trusted CA: refused, CERT_HAS_EXPIRED", async () => {
    const expired = writeCert(tmp.path, "expired", await pki.variants.expired());
    const r = await echoscu(["-v", "-aet", "EXPIRED", "127.0.0.1", String(server.port), "+tls", expired.keyFile, expired.chainFile, "+cf", ca]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^CERT_HAS_EXPIRED$/);
    assert.match(String(rec["certSubject"]), /expired/);
  });

  test("no refused peer ever got an association", () => {
    const opened = server.records().filter((r) => r["event"] === "association-opened").map((r) => r["callingAet"]);
    assert.deepEqual(opened, ["GOOD"]);
  });
});
