import { strict as assert } from "node:assert";
import { test } from "node:test";
import { AbortReason, cEchoRq, cStoreRq, encodeCommand, type Pdv } from "@dicomtls/pdu-codec";
import { DimseProtocolError, MessageAssembler, type AcceptedPresentationContext } from "../src/index.js";
import { IMPLICIT_LE, VERIFICATION } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const contexts: AcceptedPresentationContext[] = [
  { id: 1, abstractSyntax: VERIFICATION, transferSyntax: IMPLICIT_LE, requestorRoles: { scu: true, scp: false } },
  { id: 3, abstractSyntax: CT, transferSyntax: IMPLICIT_LE, requestorRoles: { scu: true, scp: false } },
];
const store = encodeCommand(cStoreRq({ messageId: 7, affectedSopClassUid: CT, affectedSopInstanceUid: "1.2.3" }));

function pdv(presentationContextId: number, isCommand: boolean, isLast: boolean, data: Uint8Array): Pdv {
  return { presentationContextId, isCommand, isLast, data };
}

test("a command split in three fragments is reassembled; the data set fragments pass through unchanged", () => {
  const a = new MessageAssembler(contexts);
  const cut = [0, 10, 30, store.length];
  const outs = [0, 1, 2].map((i) => a.push(pdv(3, true, i === 2, store.subarray(cut[i], cut[i + 1]))));
  assert.deepEqual(outs.slice(0, 2).map((o) => o.kind), ["none", "none"]);
  const done = outs[2]!;
  assert.ok(done.kind === "command");
  assert.equal(done.command.messageId, 7);
  assert.equal(done.context.id, 3);
  assert.equal(done.hasDataset, true);
  const frag = new Uint8Array([1, 2, 3]);
  const d1 = a.push(pdv(3, false, false, frag));
  assert.ok(d1.kind === "dataset" && d1.data === frag && !d1.isLast);
  const d2 = a.push(pdv(3, false, true, new Uint8Array(0)));
  assert.ok(d2.kind === "dataset" && d2.isLast);
  assert.equal(a.inMessage, false);
});

test("a command without data set ends the message at once", () => {
  const a = new MessageAssembler(contexts);
  const out = a.push(pdv(1, true, true, encodeCommand(cEchoRq(1))));
  assert.ok(out.kind === "command" && !out.hasDataset);
  assert.equal(a.inMessage, false);
});

function expectAbort(fn: () => unknown, reason: number, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DimseProtocolError);
    assert.equal(err.code, "ERR_DICOM_PROTOCOL");
    assert.equal(err.abortReason, reason);
    assert.match(err.message, pattern);
    return true;
  });
}

test("protocol errors carry the A-ABORT reason: unknown context 6, data set first 5, interleaving 5", () => {
  expectAbort(() => new MessageAssembler(contexts).push(pdv(5, true, true, store)), AbortReason.InvalidPduParameterValue, /context 5, which was not accepted/);
  expectAbort(() => new MessageAssembler(contexts).push(pdv(3, false, true, new Uint8Array(4))), AbortReason.UnexpectedPduParameter, /no command before it/);

  const midCommand = new MessageAssembler(contexts);
  midCommand.push(pdv(3, true, false, store.subarray(0, 10)));
  expectAbort(() => midCommand.push(pdv(3, false, true, new Uint8Array(1))), AbortReason.UnexpectedPduParameter, /before the command set was complete/);

  const midDataset = new MessageAssembler(contexts);
  midDataset.push(pdv(3, true, true, store));
  midDataset.push(pdv(3, false, false, new Uint8Array(8)));
  expectAbort(() => midDataset.push(pdv(3, true, true, store)), AbortReason.UnexpectedPduParameter, /before the data set of the previous message ended/);

  const otherContext = new MessageAssembler(contexts);
  otherContext.push(pdv(3, true, true, store));
  expectAbort(() => otherContext.push(pdv(1, false, true, new Uint8Array(1))), AbortReason.UnexpectedPduParameter, /must not interleave/);
});

test("a malformed or oversized command set aborts with reason 6", () => {
  expectAbort(() => new MessageAssembler(contexts).push(pdv(1, true, true, new Uint8Array([0, 0, 0]))), AbortReason.InvalidPduParameterValue, /malformed command set/);
  const small = new MessageAssembler(contexts, 16);
  expectAbort(() => small.push(pdv(1, true, false, new Uint8Array(17))), AbortReason.InvalidPduParameterValue, /exceeds 16 bytes/);
});

/** A C-ECHO-RQ command set with its command field (0000,0100) rewritten. */
function withCommandField(field: number): Buffer {
  const bytes = Buffer.from(encodeCommand(cEchoRq(1)));
  // (0000,0100) US: tag, 4-byte length, then the value.
  bytes.writeUInt16LE(field, bytes.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00])) + 8);
  return bytes;
}

test("an N-ACTION-RQ (0x0130, which the fuzzer once saw aborted) is delivered as a command, for the SOP class's handler to answer", () => {
  const out = new MessageAssembler(contexts).push(pdv(1, true, true, withCommandField(0x0130)));
  assert.equal(out.kind, "command");
  assert.equal(out.kind === "command" && out.command.commandField, 0x0130);
});

test("a command field this node does not serve (N-GET-RQ 0x0110) is a protocol error, reason 4", () => {
  const a = new MessageAssembler(contexts);
  assert.throws(
    () => a.push(pdv(1, true, true, withCommandField(0x0110))),
    (err: unknown) => err instanceof DimseProtocolError && err.abortReason === AbortReason.UnrecognizedPduParameter && /0x0110/.test(err.message),
  );
});
