/**
 * DicomTlsEnabled false: plain DICOM with echoscu. And `dicomtls echo --repeat 1000` inside one DICOM TLS association
 * against our own node (the benchmark tooling/bench/src/echo.ts times the same thing next to DCMTK).
 */
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { createTestPki, writeCert, writePem } from "@dicomtls/test-pki";
import { freePort, runCli, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { assertEchoRefused, assertEchoSucceeded, echoscu, requirePeers, writeConfig } from "./helpers.js";

requirePeers("echoscu");
const tmp = tempDir("dicomtls-plain-repeat-");
after(async () => {
  await stopAll();
  tmp.remove();
});

describe("DicomTlsEnabled: false", () => {
  let server: StartedServer;
  before(async () => {
    const port = await freePort();
    server = await startServer(writeConfig(tmp.path, "plain.json", { DicomAet: "PLAINNODE", DicomPort: port, DicomTlsEnabled: false, StorageDirectory: `${tmp.path}/plain-storage` }));
  });
  after(() => server.stop());

  test("plain echoscu: Received Echo Response (Success)", async () => {
    const r = await echoscu(["-v", "-aet", "PLAIN", "-aec", "PLAINNODE", "127.0.0.1", String(server.port)]);
    assertEchoSucceeded(r);
    const opened = await server.waitForRecord((rec) => rec["event"] === "association-opened" && rec["callingAet"] === "PLAIN");
    assert.equal(opened["tls"], false);
    const listening = server.records().find((rec) => rec["event"] === "listening");
    assert.equal(listening?.["tls"], false);
    assert.match(String(listening?.["msg"]), /DICOM TLS off/);
  });

  test("echoscu +tls against the plain port does not get an echo through", async () => {
    const pki = await createTestPki({ name: "plain-tls " });
    const c = writeCert(tmp.path, "client", pki.client);
    const r = await echoscu(["-v", "127.0.0.1", String(server.port), "+tls", c.keyFile, c.chainFile, "+cf", writePem(tmp.path, "ca.crt", pki.trustedBundle)]);
    assertEchoRefused(r);
    await server.waitForRecord((rec) => rec["event"] === "connection-refused" && typeof rec["reason"] === "string");
  });
});

describe("dicomtls echo --repeat 1000 inside one DICOM TLS association", () => {
  let server: StartedServer;
  let files: { clientKey: string; clientCert: string; ca: string };
  before(async () => {
    const pki = await createTestPki({ name: "repeat " });
    const node = writeCert(tmp.path, "node", pki.server);
    const client = writeCert(tmp.path, "repeat-client", pki.client);
    files = { clientKey: client.keyFile, clientCert: client.chainFile, ca: writePem(tmp.path, "repeat-ca.crt", pki.trustedBundle) };
    const port = await freePort();
    server = await startServer(
      writeConfig(tmp.path, "tls.json", {
        DicomAet: "DICOMTLS",
        DicomPort: port,
        DicomTlsEnabled: true,
        DicomTlsCertificate: node.chainFile,
        DicomTlsPrivateKey: node.keyFile,
        DicomTlsTrustedCertificates: files.ca,
        StorageDirectory: `${tmp.path}/tls-storage`,
      }),
    );
  });
  after(() => server.stop());

  test("exit 0, 1000/1000 answered Success, one association opened and released", async () => {
    const r = await runCli(
      ["echo", "127.0.0.1", String(server.port), "--aet", "REPEATER", "--call", "DICOMTLS", "--key", files.clientKey, "--cert", files.clientCert, "--trusted", files.ca, "--repeat", "1000"],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /Success \(1000\/1000\) over DICOM TLS/);
    await server.waitForRecord((rec) => rec["event"] === "association-released" && rec["callingAet"] === "REPEATER");
    const mine = server.records().filter((rec) => rec["callingAet"] === "REPEATER");
    assert.equal(mine.filter((rec) => rec["event"] === "association-opened").length, 1, "exactly one association");
    assert.equal(mine.filter((rec) => rec["event"] === "association-aborted").length, 0);
    assert.match(String(mine.find((rec) => rec["event"] === "association-opened")?.["tls"]), /^TLSv1\.[23]$/);
  });
});
