/**
 * The seed's DCMTK flows (Orthanc book, "Configuring DICOM TLS"), replayed verbatim against dicomtls-server:
 * the seed's openssl commands, its minimal configurations (our paths, a free DicomPort), its echoscu commands.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { assertEchoRefused, assertEchoSucceeded, echoscu, requirePeers, seedCertificate, waitForTlsRefusal, writeConfig } from "./helpers.js";

requirePeers("openssl", "echoscu");
const tmp = tempDir("dicomtls-seed-");
after(async () => {
  await stopAll();
  tmp.remove();
});

describe("seed flow 1: DCMTK echoscu with its own certificate", () => {
  let server: StartedServer;
  let orthanc: { cert: string; key: string };
  let dcmtk: { cert: string; key: string };

  before(async () => {
    orthanc = await seedCertificate(tmp.path, "orthanc");
    dcmtk = await seedCertificate(tmp.path, "dcmtk");
    const port = await freePort();
    // The seed's minimal configuration; only DicomPort is added (the seed relies on the default 4242).
    const config = writeConfig(tmp.path, "flow1.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: "orthanc.crt",
      DicomTlsPrivateKey: "orthanc.key",
      DicomTlsTrustedCertificates: "dcmtk.crt",
      DicomModalities: {
        dmctk: { Host: "localhost", Port: 4242, AET: "DCMTK", UseDicomTls: true },
      },
      DicomPort: port,
    });
    server = await startServer(config);
    assert.equal(server.port, port);
  });
  after(() => server.stop());

  test("echoscu -v -aet DCMTK localhost PORT +tls dcmtk.key dcmtk.crt +cf orthanc.crt: Received Echo Response (Success)", async () => {
    const r = await echoscu(["-v", "-aet", "DCMTK", "localhost", String(server.port), "+tls", dcmtk.key, dcmtk.cert, "+cf", orthanc.cert]);
    assertEchoSucceeded(r);
    assert.match(r.output, /Association Accepted/);
    assert.match(r.output, /Releasing Association/);
    const opened = await server.waitForRecord((rec) => rec["event"] === "association-opened" && rec["callingAet"] === "DCMTK");
    assert.match(String(opened["tls"]), /^TLSv1\.[23]$/, "the association ran over TLS");
  });

  test("the listening line names the port, the AE title and that TLS is on", () => {
    const listening = server.records().find((r) => r["event"] === "listening");
    assert.ok(listening, "a listening record");
    assert.equal(listening["port"], server.port);
    assert.equal(listening["aet"], "ORTHANC");
    assert.equal(listening["tls"], true);
    assert.match(String(listening["msg"]), /listening on port \d+ \(AE ORTHANC, DICOM TLS on/);
  });

  test("a client with no certificate is refused: the seed's Orthanc <= 1.9.2 behaviour is the default", async () => {
    const r = await echoscu(["-v", "localhost", String(server.port), "--anonymous-tls", "+cf", orthanc.cert]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^NO_PEER_CERTIFICATE$/);
    assert.match(String(rec["msg"]), /refused \(NO_PEER_CERTIFICATE\)/);
  });
});

describe("seed flow 2: secure connection without a client certificate", () => {
  let server: StartedServer;
  let orthanc: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  const dir = `${tmp.path}/anonymous`;

  before(async () => {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    orthanc = await seedCertificate(dir, "orthanc");
    // A certificate the node does not trust, made the same way.
    stranger = await seedCertificate(dir, "dcmtk");
    const port = await freePort();
    const config = writeConfig(dir, "flow2.json", {
      DicomTlsEnabled: true,
      DicomTlsCertificate: "orthanc.crt",
      DicomTlsPrivateKey: "orthanc.key",
      // The seed: "a dummy value, because this option must always be present".
      DicomTlsTrustedCertificates: "orthanc.crt",
      DicomTlsRemoteCertificateRequired: false,
      DicomPort: port,
    });
    server = await startServer(config);
  });
  after(() => server.stop());

  test("echoscu -v localhost PORT --anonymous-tls +cf orthanc.crt: Received Echo Response (Success)", async () => {
    const r = await echoscu(["-v", "localhost", String(server.port), "--anonymous-tls", "+cf", orthanc.cert]);
    assertEchoSucceeded(r);
    await server.waitForRecord((rec) => rec["event"] === "association-opened" && rec["callingAet"] === "ECHOSCU");
  });

  test("a client presenting an untrusted certificate is still refused, and the log says why", async () => {
    const r = await echoscu(["-v", "-aet", "STRANGER", "localhost", String(server.port), "+tls", stranger.key, stranger.cert, "+cf", orthanc.cert]);
    assertEchoRefused(r);
    const rec = await waitForTlsRefusal(server, /^(DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/);
    assert.match(String(rec["msg"]), new RegExp(`refused \\(${String(rec["reason"])}\\)`));
    assert.equal(
      server.records().some((x) => x["event"] === "association-opened" && x["callingAet"] === "STRANGER"),
      false,
      "no association was opened for the refused peer",
    );
  });
});
