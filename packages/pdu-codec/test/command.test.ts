import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cCancelRq,
  cEchoRq,
  cEchoRsp,
  CommandField,
  cFindRq,
  cFindRsp,
  cGetRq,
  cGetRsp,
  cMoveRq,
  cMoveRsp,
  cStoreRq,
  cStoreRsp,
  decodeCommand,
  encodeCommand,
  hasDataset,
  NO_DATASET,
  PduDecodeError,
  PduEncodeError,
  Status,
  type DimseCommand,
} from "@dicomtls/pdu-codec";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// C-ECHO-RQ as PS3.7 Annex E lays it out, Implicit VR Little Endian, written by hand.
const echoRq = hex(
  "0000 0000 04000000 38000000" + // (0000,0000) UL group length 56
    "0000 0200 12000000 312e322e3834302e31303030382e312e3100" + // (0000,0002) UI "1.2.840.10008.1.1" + NUL pad
    "0000 0001 02000000 3000" + // (0000,0100) US 0x0030 C-ECHO-RQ
    "0000 1001 02000000 0700" + // (0000,0110) US message id 7
    "0000 0008 02000000 0101", // (0000,0800) US 0x0101 no data set
);

describe("command sets", () => {
  it("C-ECHO-RQ encodes and decodes per PS3.7 Annex E", () => {
    assert.deepEqual(encodeCommand(cEchoRq(7)), echoRq);
    assert.deepEqual(decodeCommand(echoRq), { affectedSopClassUid: "1.2.840.10008.1.1", commandField: CommandField.CEchoRq, messageId: 7, commandDataSetType: NO_DATASET });
  });

  it("pads AE with a space and UI with NUL to even length, and strips them on decode", () => {
    const rq = cMoveRq({ messageId: 3, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.1.2", moveDestination: "DEST1" });
    const bytes = encodeCommand(rq);
    assert.ok(bytes.includes(Buffer.from("DEST1 ")), "AE title padded with a space");
    assert.ok(bytes.includes(Buffer.from("1.2.840.10008.5.1.4.1.2.1.2\0")), "UID padded with NUL");
    assert.deepEqual(decodeCommand(bytes), rq);
    assert.equal(bytes.readUInt32LE(8), bytes.length - 12, "group length counts what follows it");
  });

  it("round-trips every builder", () => {
    const store = cStoreRq({
      messageId: 9,
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      affectedSopInstanceUid: "1.2.3.4.5",
      moveOriginatorApplicationEntityTitle: "MOVER",
      moveOriginatorMessageId: 2,
    });
    const find = cFindRq({ messageId: 1, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.1" });
    const get = cGetRq({ messageId: 2, affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.3", priority: 1 });
    const all: DimseCommand[] = [
      cEchoRq(1),
      cEchoRsp(cEchoRq(1), Status.Success),
      store,
      cStoreRsp(store, Status.OutOfResources, { errorComment: "disk full", offendingElement: [0x00100010, 0x7fe00010] }),
      find,
      cFindRsp(find, Status.Pending),
      cFindRsp(find, Status.Success),
      get,
      cGetRsp(get, Status.Pending, { numberOfRemainingSuboperations: 3, numberOfCompletedSuboperations: 1, numberOfFailedSuboperations: 0, numberOfWarningSuboperations: 0 }),
      cMoveRsp(cMoveRq({ messageId: 5, affectedSopClassUid: "1.2", moveDestination: "X" }), Status.MoveDestinationUnknown),
      cCancelRq(1),
    ];
    for (const cmd of all) assert.deepEqual(decodeCommand(encodeCommand(cmd)), cmd);
  });

  it("responses echo the request and say whether a data set follows", () => {
    const store = cStoreRq({ messageId: 9, affectedSopClassUid: "1.2.3", affectedSopInstanceUid: "4.5.6" });
    const rsp = cStoreRsp(store, Status.Success);
    assert.equal(rsp.messageIdBeingRespondedTo, 9);
    assert.equal(rsp.affectedSopInstanceUid, "4.5.6");
    assert.equal(hasDataset(store), true);
    assert.equal(hasDataset(rsp), false);
    assert.equal(hasDataset(cFindRsp(store, Status.Pending)), true);
    assert.equal(hasDataset(cFindRsp(store, Status.Success)), false);
  });

  it("refuses to encode a command missing a mandatory field", () => {
    assert.throws(() => encodeCommand({ commandField: CommandField.CStoreRq, commandDataSetType: 1, messageId: 1 }), PduEncodeError);
  });

  it("ignores unknown group-0000 elements", () => {
    const extra = Buffer.concat([echoRq, hex("0000 5555 02000000 abcd")]);
    assert.equal(decodeCommand(extra).messageId, 7);
  });

  it("refuses other groups, truncated values and wrongly sized US values", () => {
    const code = (e: unknown): boolean => e instanceof PduDecodeError && e.code === "ERR_DICOM_COMMAND_MALFORMED";
    assert.throws(() => decodeCommand(Buffer.concat([echoRq, hex("0800 1800 02000000 3132")])), code);
    assert.throws(() => decodeCommand(echoRq.subarray(0, echoRq.length - 1)), code);
    assert.throws(() => decodeCommand(echoRq.subarray(0, echoRq.length - 10 + 3)), code);
    assert.throws(() => decodeCommand(hex("0000 0001 03000000 300000 0000 0008 02000000 0101")), code);
    assert.throws(() => decodeCommand(hex("0000 0008 02000000 0101")), code, "no command field");
  });
  it("keeps a response's elements outside group 0000 as statusDetail (DCMTK puts the status detail there) and encodes them back", () => {
    // Captured from Orthanc 1.10.1 (C-GET of an MR instance on an association that proposed only CT Image Storage):
    // a Pending C-GET-RSP whose command set goes on with (0008,0000) and (0008,0058) Failed SOP Instance UID List.
    const pendingGetRsp = hex(
      "0000 0000 04000000 74000000" + // (0000,0000) UL group length 116
        "0000 0200 1c000000 312e322e3834302e31303030382e352e312e342e312e322e322e3300" + // (0000,0002) Study Root GET
        "0000 0001 02000000 1080" + // (0000,0100) C-GET-RSP
        "0000 2001 02000000 0100" + // (0000,0120) responding to 1
        "0000 0008 02000000 0101" + // (0000,0800) no data set
        "0000 0009 02000000 00ff" + // (0000,0900) Pending
        "0000 2010 02000000 0100 0000 2110 02000000 0000 0000 2210 02000000 0100 0000 2310 02000000 0000" + // counts 1/0/1/0
        "0800 0000 04000000 2e000000" + // (0008,0000) group length 46
        "0800 5800 26000000 322e32352e3331343135393236353335383937393332333834363236343333303030313132 00", // (0008,0058)
    );
    const rsp = decodeCommand(pendingGetRsp);
    assert.equal(rsp.status, Status.Pending);
    assert.equal(rsp.numberOfFailedSuboperations, 1);
    assert.ok(rsp.statusDetail !== undefined);
    assert.equal(Buffer.from(rsp.statusDetail).toString("hex"), pendingGetRsp.subarray(pendingGetRsp.indexOf(hex("0800 0000"))).toString("hex"));
    assert.ok(encodeCommand(rsp).equals(pendingGetRsp), "statusDetail is written back after group 0000");
    const code = (e: unknown): boolean => e instanceof PduDecodeError && e.code === "ERR_DICOM_COMMAND_MALFORMED";
    assert.throws(() => decodeCommand(Buffer.concat([pendingGetRsp, hex("0000 0209 02000000 4142")])), code, "group 0000 after another group");
    assert.throws(() => decodeCommand(pendingGetRsp.subarray(0, pendingGetRsp.length - 2)), code, "truncated status detail");
  });

  it("refuses string values the encoder could not write back (fuzz seed 2: a UID holding 0xff, echoed into a response)", () => {
    const code = (e: unknown): boolean => e instanceof PduDecodeError && e.code === "ERR_DICOM_COMMAND_MALFORMED" && /affectedSopClassUid/.test(e.message);
    const bad = Buffer.from(echoRq);
    const at = bad.indexOf(Buffer.from("1.2.840.10008.1.1", "latin1"));
    bad[at + 4] = 0xff;
    assert.throws(() => decodeCommand(bad), code);
    const control = Buffer.from(echoRq);
    control[at + 4] = 0x0a;
    assert.throws(() => decodeCommand(control), code);
  });
});
