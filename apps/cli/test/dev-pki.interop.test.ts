/**
 * `dicomtls cert dev-pki DIR` gives a new user working DICOM TLS in one command: the node certificate and key serve a
 * server configuration as they are, and DCMTK accepts the PKI (echoscu +tls client.key client.crt +cf ca.crt).
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { dcmtkEnv, freePort, requireTool, runCli, runProcess, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";

requireTool("echoscu");
const tmp = tempDir("dicomtls-dev-pki-");
const pki = `${tmp.path}/pki`;
let server: StartedServer;

before(async () => {
  const r = await runCli(["cert", "dev-pki", pki]);
  assert.equal(r.code, 0, r.output);
  const port = await freePort();
  const config = `${tmp.path}/dicomtls.json`;
  // Relative paths, as a user would write them next to the config file.
  writeFileSync(
    config,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomPort: port,
      HttpServerEnabled: false,
      DicomTlsEnabled: true,
      DicomTlsCertificate: "pki/node.crt",
      DicomTlsPrivateKey: "pki/node.key",
      DicomTlsTrustedCertificates: "pki/ca.crt",
      StorageDirectory: "storage",
    }),
  );
  server = await startServer(config);
});
after(async () => {
  await stopAll();
  tmp.remove();
});

test("echoscu +tls client.key client.crt +cf ca.crt against the node: Received Echo Response (Success)", async () => {
  const r = await runProcess("echoscu", ["-v", "-aet", "DEVCLIENT", "-aec", "DICOMTLS", "localhost", String(server.port), "+tls", `${pki}/client.key`, `${pki}/client.crt`, "+cf", `${pki}/ca.crt`], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assert.match(r.output, /Received Echo Response \(Success\)/, r.output);
  assert.equal(r.code, 0, r.output);
  const opened = await server.waitForRecord((rec) => rec["event"] === "association-opened" && rec["callingAet"] === "DEVCLIENT");
  assert.match(String(opened["certSubject"]), /client/i);
});

test("our own echo with the same PKI, by IP address (the node certificate names 127.0.0.1 too)", async () => {
  const r = await runCli(["echo", "127.0.0.1", String(server.port), "--call", "DICOMTLS", "--key", `${pki}/client.key`, "--cert", `${pki}/client.crt`, "--trusted", `${pki}/ca.crt`]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /Success \(1\/1\) over DICOM TLS/);
});

test("echoscu trusting only ca.crt but presenting no certificate is refused (the node requires one)", async () => {
  const r = await runProcess("echoscu", ["-v", "localhost", String(server.port), "--anonymous-tls", "+cf", `${pki}/ca.crt`], { env: dcmtkEnv(), timeoutMs: 30_000 });
  assert.notEqual(r.code, 0, r.output);
  assert.doesNotMatch(r.output, /Received Echo Response/);
  await server.waitForRecord((rec) => rec["event"] === "tls-peer-refused" && rec["reason"] === "NO_PEER_CERTIFICATE");
});
