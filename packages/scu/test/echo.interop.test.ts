import { strict as assert } from "node:assert";
import { after, before, test } from "node:test";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { dcmtkEnv, freePort, requireTool, startProcess, stopAll, tempDir, waitListening } from "@dicomtls/test-peers";
import { echo } from "../src/index.js";

requireTool("storescp");
let pki: TestPki;
const tmp = tempDir("dicomtls-scu-");
let files: { serverKey: string; serverCrt: string; ca: string };

before(async () => {
  pki = await createTestPki({ name: "scu-echo " });
  const server = writeCert(tmp.path, "server", pki.server);
  files = { serverKey: server.keyFile, serverCrt: server.chainFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
});
after(async () => {
  await stopAll();
  tmp.remove();
});

test("echo x3 against DCMTK storescp over plain TCP, in one association", async () => {
  const port = await freePort();
  const peer = await startProcess("storescp", ["-v", "-aet", "STORESCP", "--output-directory", tmp.path, String(port)], { env: dcmtkEnv() });
  await waitListening(port);
  const result = await echo({ host: "127.0.0.1", port, callingAeTitle: "DICOMTLS", calledAeTitle: "STORESCP", repeat: 3 });
  assert.equal(result.responses.length, 3);
  assert.ok(result.ok);
  assert.deepEqual(result.responses.map((r) => r.status), [0, 0, 0]);
  assert.deepEqual(result.responses.map((r) => r.messageId), [1, 2, 3]);
  assert.match(result.peerImplementationVersionName ?? "", /OFFIS_DCMTK/);
  await peer.waitFor(/Association Release/i, 10_000);
  assert.equal((peer.output().match(/Association Acknowledged/g) ?? []).length, 1, peer.output());
  assert.equal((peer.output().match(/Received Echo Request/g) ?? []).length, 3, peer.output());
  await peer.stop();
});

test("echo over DICOM TLS against storescp +tls, our side verifying the server", async () => {
  const port = await freePort();
  const peer = await startProcess("storescp", ["+tls", files.serverKey, files.serverCrt, "+cf", files.ca, "-aet", "STORESCP", "--output-directory", tmp.path, String(port)], {
    env: dcmtkEnv(),
  });
  await waitListening(port);
  const result = await echo({
    host: "127.0.0.1",
    port,
    callingAeTitle: "DICOMTLS",
    calledAeTitle: "STORESCP",
    tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
  });
  assert.ok(result.ok);
  assert.equal(result.responses.length, 1);
  await peer.stop();
});

test("an untrusted server certificate fails with ERR_DICOM_TLS saying it is not trusted", async () => {
  const other = await pki.otherRoot();
  const port = await freePort();
  const peer = await startProcess("storescp", ["+tls", files.serverKey, files.serverCrt, "+cf", files.ca, "-aet", "STORESCP", "--output-directory", tmp.path, String(port)], {
    env: dcmtkEnv(),
  });
  await waitListening(port);
  await assert.rejects(
    echo({
      host: "127.0.0.1",
      port,
      callingAeTitle: "DICOMTLS",
      calledAeTitle: "STORESCP",
      // We trust only an unrelated CA: the server's chain cannot be verified.
      tls: { ca: other.cert, cert: pki.client.chain, key: pki.client.key },
    }),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, "ERR_DICOM_TLS");
      assert.match((err as Error).message, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
      return true;
    },
  );
  await peer.stop();
});

test("nothing listening: ERR_DICOM_CONNECT naming the address", async () => {
  const port = await freePort();
  await assert.rejects(echo({ host: "127.0.0.1", port, callingAeTitle: "A", calledAeTitle: "B" }), (err: unknown) => {
    assert.equal((err as { code?: string }).code, "ERR_DICOM_CONNECT");
    assert.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    return true;
  });
});

