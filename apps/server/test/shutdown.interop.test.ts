/**
 * SIGTERM and SIGINT stop the node with associations open: the process exits 0 within a bounded time, and the peer
 * sees its association end (released or aborted), never a hang.
 */
import { strict as assert } from "node:assert";
import { connect } from "node:tls";
import { after, before, test } from "node:test";
import { requestAssociation } from "@dicomtls/association";
import { VERIFICATION_SOP_CLASS, cEchoRq } from "@dicomtls/pdu-codec";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { within, writeConfig } from "./helpers.js";

const tmp = tempDir("dicomtls-shutdown-");
let pki: TestPki;
let files: { nodeCert: string; nodeKey: string; ca: string };

before(async () => {
  pki = await createTestPki({ name: "server-shutdown " });
  const node = writeCert(tmp.path, "node", pki.server);
  files = { nodeCert: node.chainFile, nodeKey: node.keyFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
});
after(async () => {
  await stopAll();
  tmp.remove();
});

/** The server's own bound on waiting for peers to release (scp.close, 5 s) plus start-up slack on a busy machine. */
const EXIT_BOUND_MS = 20_000;

async function startNode(name: string): Promise<StartedServer> {
  const port = await freePort();
  const config = writeConfig(tmp.path, `${name}.json`, {
    DicomAet: "DICOMTLS",
    DicomPort: port,
    DicomTlsEnabled: true,
    DicomTlsCertificate: files.nodeCert,
    DicomTlsPrivateKey: files.nodeKey,
    DicomTlsTrustedCertificates: files.ca,
    StorageDirectory: `${tmp.path}/${name}-storage`,
  });
  return await startServer(config);
}

async function openAssociation(port: number) {
  const association = await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "HOLDER",
    calledAeTitle: "DICOMTLS",
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
    tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
  });
  // Prove it is live before the signal: one echo answered Success.
  const ctx = association.findContext(VERIFICATION_SOP_CLASS);
  assert.ok(ctx);
  const rsp = await association.request(ctx.id, cEchoRq(association.nextMessageId()));
  assert.equal(rsp.command.status, 0);
  return association;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} with an idle association open: exit 0 in bounded time, the peer sees the association end`, async () => {
    const server = await startNode(`idle-${signal}`);
    const association = await openAssociation(server.port);
    await server.waitForRecord((r) => r["event"] === "association-opened" && r["callingAet"] === "HOLDER");
    process.kill(server.process.pid, signal);
    const [code, end] = await within(EXIT_BOUND_MS, `exit after ${signal}`, Promise.all([server.process.exited, association.closed]), () => server.process.output());
    assert.equal(code, 0, server.process.output());
    assert.ok(end.kind === "released" || end.kind === "aborted", JSON.stringify(end));
    const events = server.records().map((r) => r["event"]);
    assert.ok(events.includes("stopping"), "a stopping record");
    assert.ok(events.includes("stopped"), "a stopped record");
    const stopping = server.records().find((r) => r["event"] === "stopping");
    assert.equal(stopping?.["signal"], signal);
    const stats = server.records().find((r) => r["event"] === "runtime-stats");
    assert.equal(typeof stats?.["loopDelayP99Ms"], "number");
    assert.equal(typeof stats?.["peakRssMb"], "number");
    // GC pauses while serving, to tell a collection from other stalls in the loop delay.
    for (const key of ["gcCount", "gcTotalMs", "gcMaxPauseMs"]) assert.equal(typeof stats?.[key], "number", key);
    assert.ok((stats?.["gcMaxPauseMs"] as number) <= (stats?.["gcTotalMs"] as number));
  });
}

test("SIGTERM with a TLS connection mid-association (half an A-ASSOCIATE-RQ sent): exit 0, the connection is closed", async () => {
  const server = await startNode("half-rq");
  const closed = new Promise<void>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port: server.port, ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key });
    s.on("error", () => undefined);
    s.once("secureConnect", () => {
      // PDU type 0x01 (A-ASSOCIATE-RQ), announced length 0x44, then nothing more: the server is mid-PDU.
      s.write(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x01]));
      setTimeout(() => process.kill(server.process.pid, "SIGTERM"), 200);
    });
    s.once("close", () => resolve());
    s.once("timeout", () => reject(new Error("timeout")));
  });
  const [code] = await within(EXIT_BOUND_MS, "exit after SIGTERM", Promise.all([server.process.exited, closed]), () => server.process.output());
  assert.equal(code, 0, server.process.output());
  assert.ok(server.records().some((r) => r["event"] === "stopped"), server.process.output());
});

test("a stopped node refuses new connections (nothing listens any more)", async () => {
  const server = await startNode("after-stop");
  const port = server.port;
  assert.equal(await server.stop(), 0);
  await assert.rejects(
    requestAssociation({
      host: "127.0.0.1",
      port,
      callingAeTitle: "LATE",
      calledAeTitle: "DICOMTLS",
      presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
      tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
      timeouts: { connectMs: 5_000 },
    }),
    (err: unknown) => (err as { code?: string }).code === "ERR_DICOM_CONNECT",
  );
});
