import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, test } from "node:test";
import { createCodecRunner } from "@dicomtls/dataset";
import { CommandField, NO_DATASET, Status, type DimseCommand, type PduBatch } from "@dicomtls/pdu-codec";
import { readDatasetBytes, SyntheticTransferSyntax, tempDir, writePart10File } from "@dicomtls/test-peers";
import {
  AssociationErrorCode,
  acceptAssociation,
  prebuiltDataset,
  requestAssociation,
  type Association,
} from "../src/index.js";
import { listen } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

const dir = tempDir("dicomtls-prebuilt-");
const runner = createCodecRunner({ threads: 1, inlineFileThresholdBytes: 0 });
const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup) await c();
  await runner.close();
  dir.remove();
});

function cStoreRq(messageId: number, sopInstanceUid: string): DimseCommand {
  return { commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: CT, affectedSopInstanceUid: sopInstanceUid, priority: 0, commandDataSetType: 0x0000 };
}

/** An acceptor that keeps each C-STORE dataset it receives, answering Success. */
async function storeAcceptor(maxPduLength: number): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const srv = await listen((socket) => {
    void acceptAssociation(socket, {
      aeTitle: "ACCEPTOR",
      maxPduLength,
      policy: { abstractSyntaxes: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] }] },
      onMessage: async (m) => {
        received.push(Buffer.from(await m.dataset!.readAll()));
        return { command: { commandField: CommandField.CStoreRsp, messageIdBeingRespondedTo: m.command.messageId ?? 0, affectedSopClassUid: CT, commandDataSetType: NO_DATASET, status: Status.Success } };
      },
    });
  });
  cleanup.push(srv.close);
  return { port: srv.port, received };
}

async function connect(port: number, transferSyntaxes: string[]): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "REQUESTOR",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: CT, transferSyntaxes }],
  });
}

/** Counts release() calls, to show each batch goes back once the socket wrote it. */
async function* counting(batches: AsyncIterable<PduBatch>, released: { n: number; batches: number }): AsyncGenerator<PduBatch> {
  for await (const b of batches) {
    released.batches++;
    yield { ...b, release: () => { released.n++; b.release(); } };
  }
}

test("a dataset prepared as PDU batches in a worker arrives byte for byte, each batch released after its write", async () => {
  const file = join(dir.path, "mf.dcm");
  // 9 MB with 4 MB batches: three batches, 16 KB PDUs from the acceptor's limit.
  await writePart10File(file, { seed: 7, rows: 512, columns: 512, frames: 18, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian });
  const acceptor = await storeAcceptor(16_384);
  const assoc = await connect(acceptor.port, [EXPLICIT_LE]);
  const ctx = assoc.contexts[0]!;
  const prepared = await runner.prepareFile(file, { transferSyntaxUid: ctx.transferSyntax, presentationContextId: ctx.id, maxPduLength: assoc.peerMaxPduLength });
  const released = { n: 0, batches: 0 };
  const rsp = await assoc.request(ctx.id, cStoreRq(assoc.nextMessageId(), prepared.info.sopInstanceUid), prebuiltDataset(counting(prepared, released), ctx.id, assoc.peerMaxPduLength));
  assert.equal(rsp.command.status, Status.Success);
  await assoc.release();
  assert.equal(acceptor.received.length, 1);
  assert.ok(acceptor.received[0]!.equals(await readDatasetBytes(file)), "received dataset differs from the file's");
  assert.ok(released.batches >= 3, `expected several batches, got ${released.batches}`);
  assert.equal(released.n, released.batches);
});

test("a converted dataset (Explicit file on an Implicit context) goes out as the worker converted it", async () => {
  const file = join(dir.path, "ex.dcm");
  await writePart10File(file, { seed: 8, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian });
  const acceptor = await storeAcceptor(131_072);
  const assoc = await connect(acceptor.port, [IMPLICIT_LE]);
  const ctx = assoc.contexts[0]!;
  assert.equal(ctx.transferSyntax, IMPLICIT_LE);
  const prepared = await runner.prepareFile(file, { transferSyntaxUid: ctx.transferSyntax, presentationContextId: ctx.id, maxPduLength: assoc.peerMaxPduLength });
  assert.equal(prepared.converted, true);
  await assoc.request(ctx.id, cStoreRq(assoc.nextMessageId(), prepared.info.sopInstanceUid), prebuiltDataset(prepared, ctx.id, assoc.peerMaxPduLength));
  await assoc.release();
  assert.equal(acceptor.received[0]!.length, prepared.datasetLength);
  assert.notEqual(acceptor.received[0]!.length, (await readDatasetBytes(file)).length, "an Implicit LE dataset is shorter than its Explicit LE source");
});

test("PDUs built for another context or a larger PDU limit are refused before anything is sent", async () => {
  const file = join(dir.path, "small.dcm");
  await writePart10File(file, { seed: 9 });
  const acceptor = await storeAcceptor(16_384);
  const assoc = await connect(acceptor.port, [EXPLICIT_LE]);
  const ctx = assoc.contexts[0]!;
  const tooBig = await runner.prepareFile(file, { transferSyntaxUid: EXPLICIT_LE, presentationContextId: ctx.id, maxPduLength: 131_072 });
  await assert.rejects(assoc.send({ presentationContextId: ctx.id, command: cStoreRq(1, tooBig.info.sopInstanceUid), dataset: prebuiltDataset(tooBig, ctx.id, 131_072) }), (e: { code?: string; message: string }) => e.code === AssociationErrorCode.InvalidArgument && /16384/.test(e.message));
  const otherCtx = await runner.prepareFile(file, { transferSyntaxUid: EXPLICIT_LE, presentationContextId: 3, maxPduLength: 16_384 });
  await assert.rejects(assoc.send({ presentationContextId: ctx.id, command: cStoreRq(2, otherCtx.info.sopInstanceUid), dataset: prebuiltDataset(otherCtx, 3, 16_384) }), /context 3/);
  // Nothing went out: the association still works and the acceptor saw no message.
  const ok = await runner.prepareFile(file, { transferSyntaxUid: EXPLICIT_LE, presentationContextId: ctx.id, maxPduLength: 16_384 });
  const rsp = await assoc.request(ctx.id, cStoreRq(assoc.nextMessageId(), ok.info.sopInstanceUid), prebuiltDataset(ok, ctx.id, 16_384));
  assert.equal(rsp.command.status, Status.Success);
  await assoc.release();
  assert.equal(acceptor.received.length, 1);
});
