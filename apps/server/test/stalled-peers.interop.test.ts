/**
 * DicomScpTimeout bounds the time without progress in every phase, against the built bin: a peer that stops in the
 * middle of a data set (DICOM TLS, our requestor), in the middle of a PDU, or after a release request (raw bytes on
 * the plain port) is aborted within the timeout plus a margin, and no `.partial` file stays behind; a slow but moving
 * transfer is not cut. SIGTERM with such peers still connected exits 0 within the promised bound.
 */
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { requestAssociation, type Association } from "@dicomtls/association";
import { CommandField, PduType, Status, cEchoRq, cStoreRq } from "@dicomtls/pdu-codec";
import { SyntheticTransferSyntax, freePort, makeDataset, resolveSpec, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { within, writeConfig } from "./helpers.js";
import { RawPeer } from "./raw-peer.js";
import { instanceLeftovers, writePki, type NodeFiles } from "./store-support.js";

const tmp = tempDir("dicomtls-stalled-");
/** Short, so the tests are quick; every bound below is generous, none is an exact wall-clock assertion. */
const SCP_TIMEOUT_S = 2;
/** The timeout, one sampling period of the watch, and room for a busy machine. */
const ABORT_BOUND_MS = SCP_TIMEOUT_S * 1000 + 13_000;
const VERIFICATION = "1.2.840.10008.1.1";
const CT = "1.2.840.10008.5.1.4.1.1.2";
const IMPLICIT_LE = SyntheticTransferSyntax.ImplicitVrLittleEndian;

let files: NodeFiles;
let server: StartedServer;
let plainPort: number;
const storage = `${tmp.path}/storage`;
/** Lets the stalled data set generators end once a test is over. */
const releaseStalls: Array<() => void> = [];

async function startNode(name: string, scpTimeoutS: number, store: string): Promise<{ server: StartedServer; plainPort: number }> {
  const plain = await freePort();
  const config = writeConfig(tmp.path, `${name}.json`, {
    DicomAet: "DICOMTLS",
    DicomPort: await freePort(),
    DicomPlainPort: plain,
    DicomTlsEnabled: true,
    DicomTlsCertificate: files.serverCert,
    DicomTlsPrivateKey: files.serverKey,
    DicomTlsTrustedCertificates: files.caFile,
    DicomScpTimeout: scpTimeoutS,
    StorageDirectory: store,
  });
  return { server: await startServer(config, { built: true }), plainPort: plain };
}

before(async () => {
  files = await writePki(tmp.path);
  ({ server, plainPort } = await startNode("node", SCP_TIMEOUT_S, storage));
});
after(async () => {
  for (const r of releaseStalls) r();
  await stopAll();
  tmp.remove();
});

async function openTls(port: number, callingAeTitle: string): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle,
    calledAeTitle: "DICOMTLS",
    presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] }],
    tls: { ca: files.pki.trustedBundle, cert: files.pki.client.chain, key: files.pki.client.key },
  });
}

/** Starts a C-STORE whose data set stops after its first part; the request never completes on its own. */
function storeThatStalls(association: Association, seed: number): { sopInstanceUid: string } {
  const spec = { seed, transferSyntax: IMPLICIT_LE, sopClassUid: CT, rows: 256, columns: 256 };
  const dataset = makeDataset(spec);
  const { sopInstanceUid } = resolveSpec(spec);
  const stall = new Promise<void>((resolve) => releaseStalls.push(resolve));
  async function* firstHalfThenNothing(): AsyncGenerator<Uint8Array> {
    yield dataset.subarray(0, dataset.length >> 1);
    await stall;
  }
  const context = association.findContext(CT);
  assert.ok(context, "CT accepted");
  void association.request(context.id, cStoreRq({ messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: sopInstanceUid }), firstHalfThenNothing()).catch(() => undefined);
  return { sopInstanceUid };
}

/** Waits (bounded) until the storage folder holds a `.partial` file, or holds none. */
async function waitForPartial(folder: string, present: boolean): Promise<void> {
  await within(ABORT_BOUND_MS, `a .partial file ${present ? "appears" : "is removed"} in ${folder}`, (async () => {
    for (;;) {
      const partial = existsSync(folder) && instanceLeftovers(folder).some((p) => p.endsWith(".partial"));
      if (partial === present) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  })());
}

function stallRecord(s: StartedServer, callingAet: string): Promise<Record<string, unknown>> {
  return s.waitForRecord((r) => r["event"] === "association-idle-timeout" && r["callingAet"] === callingAet, ABORT_BOUND_MS);
}

test("a peer that stops in the middle of a C-STORE data set (DICOM TLS) is aborted after DicomScpTimeout; no .partial file stays", { timeout: 60_000 }, async () => {
  const association = await openTls(server.port, "MIDDATASET");
  storeThatStalls(association, 11);
  await waitForPartial(storage, true);
  const end = await within(ABORT_BOUND_MS, "the abort of a peer stalled mid data set", association.closed, () => server.process.output());
  assert.equal(end.kind, "aborted");
  const record = await stallRecord(server, "MIDDATASET");
  assert.equal(record["phase"], "data-set");
  assert.equal(record["idleSeconds"], SCP_TIMEOUT_S);
  await waitForPartial(storage, false);
  assert.deepEqual(instanceLeftovers(storage), [], "neither .partial nor .dcm of the aborted instance");
});

test("a peer that stops in the middle of a PDU is aborted (A-ABORT, then the connection closes)", { timeout: 60_000 }, async () => {
  const peer = await RawPeer.connect(plainPort);
  const ac = await peer.associate("MIDPDU", "DICOMTLS", [VERIFICATION]);
  assert.equal(ac?.type, PduType.AAssociateAc);
  // The first 10 bytes of a P-DATA-TF that announces 74: a PDU header and part of a PDV, then nothing.
  peer.write(Buffer.from([0x04, 0x00, 0x00, 0x00, 0x00, 0x4a, 0x00, 0x00, 0x00, 0x46]));
  await within(ABORT_BOUND_MS, "the server's close of a connection stalled mid PDU", peer.closed, () => server.process.output());
  assert.ok(peer.received.some((p) => p.type === PduType.AAbort), `A-ABORT before the close; got ${peer.received.map((p) => p.type).join(",")}`);
  assert.equal((await stallRecord(server, "MIDPDU"))["phase"], "command");
});

test("a peer that stops in the middle of its A-ASSOCIATE-RQ is dropped (ARTIM, held to DicomScpTimeout)", { timeout: 60_000 }, async () => {
  const peer = await RawPeer.connect(plainPort);
  // An A-ASSOCIATE-RQ header announcing 200 bytes, and 4 of them.
  peer.write(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x01, 0x00, 0x00]));
  await within(ABORT_BOUND_MS, "the server's close of a connection stalled in its A-ASSOCIATE-RQ", peer.closed, () => server.process.output());
  assert.ok(!peer.received.some((p) => p.type === PduType.AAssociateAc), "no association came about");
});

test("A-RELEASE-RQ after a C-ECHO-RQ that announces a data set it never sends: answered by an abort in bounded time", { timeout: 60_000 }, async () => {
  const peer = await RawPeer.connect(plainPort);
  const ac = await peer.associate("ECHORELEASE", "DICOMTLS", [VERIFICATION]);
  assert.equal(ac?.type, PduType.AAssociateAc);
  // Command Data Set Type 0x0000: a data set follows (PS3.7 §E.2), which never comes.
  peer.sendCommand(1, { ...cEchoRq(1), commandDataSetType: 0x0000 });
  peer.sendReleaseRq();
  await within(ABORT_BOUND_MS, "the end of an association whose release followed an announced data set", peer.closed, () => server.process.output());
  const types = peer.received.map((p) => p.type);
  assert.ok(types.includes(PduType.AAbort) || types.includes(PduType.AReleaseRp), `A-ABORT or A-RELEASE-RP; got ${types.join(",")}`);
  assert.equal((await stallRecord(server, "ECHORELEASE"))["phase"], "data-set");
});

test("A-RELEASE-RQ after a stalled C-STORE: aborted in bounded time, no .partial file stays", { timeout: 60_000 }, async () => {
  const peer = await RawPeer.connect(plainPort);
  const ac = await peer.associate("STORERELEASE", "DICOMTLS", [CT]);
  assert.equal(ac?.type, PduType.AAssociateAc);
  const spec = { seed: 12, transferSyntax: IMPLICIT_LE, sopClassUid: CT };
  const dataset = makeDataset(spec);
  peer.sendCommand(1, cStoreRq({ messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: resolveSpec(spec).sopInstanceUid }));
  peer.sendDatasetFragment(1, dataset.subarray(0, 4096));
  await waitForPartial(storage, true);
  peer.sendReleaseRq();
  await within(ABORT_BOUND_MS, "the end of an association whose release followed a stalled store", peer.closed, () => server.process.output());
  assert.ok(peer.received.some((p) => p.type === PduType.AAbort), `A-ABORT; got ${peer.received.map((p) => p.type).join(",")}`);
  await waitForPartial(storage, false);
  assert.deepEqual(instanceLeftovers(storage), []);
});

test("a slow but moving data set is not cut: fragments half a timeout apart for three timeouts, then Success", { timeout: 60_000 }, async () => {
  const association = await openTls(server.port, "SLOWSTORE");
  // 128 KiB of pixels in 6 parts: each part fills at least one 16 KiB PDU, so each goes on the wire when yielded.
  const spec = { seed: 13, transferSyntax: IMPLICIT_LE, sopClassUid: CT, rows: 256, columns: 256 };
  const dataset = makeDataset(spec);
  const parts = 6;
  async function* paced(): AsyncGenerator<Uint8Array> {
    const step = Math.ceil(dataset.length / parts);
    for (let i = 0; i < parts; i++) {
      yield dataset.subarray(i * step, Math.min(dataset.length, (i + 1) * step));
      // Pacing is what this test is about: each gap is well inside the timeout, the total well past it.
      if (i < parts - 1) await new Promise((r) => setTimeout(r, (SCP_TIMEOUT_S * 1000) / 2));
    }
  }
  const context = association.findContext(CT);
  assert.ok(context);
  const rsp = await association.request(context.id, cStoreRq({ messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: resolveSpec(spec).sopInstanceUid }), paced());
  assert.equal(rsp.command.commandField, CommandField.CStoreRsp);
  assert.equal(rsp.command.status, Status.Success);
  await association.release();
  assert.ok(!server.records().some((r) => r["event"] === "association-idle-timeout" && r["callingAet"] === "SLOWSTORE"));
});

test("SIGTERM with stalled peers (mid data set, mid PDU, after a release request) exits 0 within the bound", { timeout: 90_000 }, async (t) => {
  // A long DicomScpTimeout: the peers are still stalled, not yet timed out, when the signal comes.
  const store = `${tmp.path}/sigterm-storage`;
  const node = await startNode("sigterm", 600, store);
  const association = await openTls(node.server.port, "HOLD-DATASET");
  storeThatStalls(association, 21);
  const midPdu = await RawPeer.connect(node.plainPort);
  assert.equal((await midPdu.associate("HOLD-PDU", "DICOMTLS", [VERIFICATION]))?.type, PduType.AAssociateAc);
  midPdu.write(Buffer.from([0x04, 0x00, 0x00, 0x00, 0x00, 0x4a]));
  const releasing = await RawPeer.connect(node.plainPort);
  assert.equal((await releasing.associate("HOLD-RELEASE", "DICOMTLS", [VERIFICATION]))?.type, PduType.AAssociateAc);
  releasing.sendCommand(1, { ...cEchoRq(1), commandDataSetType: 0x0000 });
  releasing.sendReleaseRq();
  await waitForPartial(store, true);
  const started = performance.now();
  process.kill(node.server.process.pid, "SIGTERM");
  // README: about 5 s; the bound here leaves room for a busy machine.
  const code = await within(20_000, "exit after SIGTERM with stalled peers", node.server.process.exited, () => node.server.process.output());
  const seconds = (performance.now() - started) / 1000;
  assert.equal(code, 0, node.server.process.output());
  await Promise.all([association.closed, midPdu.closed, releasing.closed]);
  assert.ok(node.server.records().some((r) => r["event"] === "stopped"), `a stopped record (exit after ${seconds.toFixed(1)} s)`);
  assert.deepEqual(instanceLeftovers(store).filter((p) => p.endsWith(".partial")), [], "no .partial after the stop");
  t.diagnostic(`exited ${seconds.toFixed(2)} s after SIGTERM`);
});
