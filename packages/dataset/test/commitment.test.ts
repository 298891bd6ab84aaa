/**
 * Storage Commitment Push Model on the wire: the N-ACTION / N-EVENT-REPORT command sets (PS3.7 §10.3), and the
 * Action / Event Information data sets (PS3.4 J.3) checked against DCMTK's own reader and writer (dcmdump, dump2dcm).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CommandField, Status, decodeCommand, encodeCommand, hasDataset, nActionRq, nActionRsp, nEventReportRq, nEventReportRsp, PduEncodeError } from "@dicomtls/pdu-codec";
import { CommitmentEventType, CommitmentFailureReason, DatasetError, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, commitmentEventType, decodeCommitmentReport, decodeCommitmentRequest, encodeCommitmentReport, encodeCommitmentRequest } from "../src/index.js";
import { dcmtkEnv, requireTool, runProcess, tempDir } from "@dicomtls/test-peers";

const EXPLICIT = "1.2.840.10008.1.2.1";
const IMPLICIT = "1.2.840.10008.1.2";
const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";

requireTool("dcmdump");
requireTool("dump2dcm");
const tmp = tempDir("dicomtls-commitment-codec-");
after(() => tmp.remove());

/** The (0000,eeee) element of an Implicit VR LE command set, as raw value bytes (undefined when absent). */
function commandElement(bytes: Uint8Array, element: number): Buffer | undefined {
  const b = Buffer.from(bytes);
  for (let p = 0; p + 8 <= b.length; ) {
    const len = b.readUInt32LE(p + 4);
    if (b.readUInt16LE(p) === 0 && b.readUInt16LE(p + 2) === element) return b.subarray(p + 8, p + 8 + len);
    p += 8 + len;
  }
  return undefined;
}

describe("N-ACTION and N-EVENT-REPORT command sets", () => {
  it("N-ACTION-RQ carries Requested SOP Class/Instance and Action Type ID (0000,1008) and says a data set follows", () => {
    const rq = nActionRq({ messageId: 7, requestedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, requestedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, actionTypeId: 1 });
    const bytes = encodeCommand(rq);
    assert.equal(commandElement(bytes, 0x0100)?.readUInt16LE(0), 0x0130);
    assert.equal(commandElement(bytes, 0x1008)?.readUInt16LE(0), 1);
    assert.equal(commandElement(bytes, 0x0003)?.toString("latin1"), STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
    assert.equal(commandElement(bytes, 0x1001)?.toString("latin1"), STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
    assert.equal(commandElement(bytes, 0x0002), undefined);
    const back = decodeCommand(bytes);
    assert.equal(back.commandField, CommandField.NActionRq);
    assert.equal(back.actionTypeId, 1);
    assert.equal(back.requestedSopInstanceUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
    assert.ok(hasDataset(back));
  });

  it("N-ACTION-RSP answers with the Affected SOP Class/Instance the request named", () => {
    const rq = decodeCommand(encodeCommand(nActionRq({ messageId: 9, requestedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, requestedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, actionTypeId: 1 })));
    const rsp = decodeCommand(encodeCommand(nActionRsp(rq, Status.Success)));
    assert.equal(rsp.commandField, 0x8130);
    assert.equal(rsp.messageIdBeingRespondedTo, 9);
    assert.equal(rsp.affectedSopClassUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
    assert.equal(rsp.affectedSopInstanceUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
    assert.equal(rsp.actionTypeId, 1);
    assert.equal(rsp.status, 0);
    assert.ok(!hasDataset(rsp));
    // A failure status carries no Action Type ID (PS3.7 Table 10.3-4: C, present on success).
    assert.equal(decodeCommand(encodeCommand(nActionRsp(rq, Status.NoSuchActionType))).actionTypeId, undefined);
  });

  it("N-EVENT-REPORT-RQ/RSP carry Event Type ID (0000,1002)", () => {
    const rq = nEventReportRq({ messageId: 3, affectedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, affectedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, eventTypeId: 2 });
    const bytes = encodeCommand(rq);
    assert.equal(commandElement(bytes, 0x0100)?.readUInt16LE(0), 0x0100);
    assert.equal(commandElement(bytes, 0x1002)?.readUInt16LE(0), 2);
    const back = decodeCommand(bytes);
    assert.equal(back.eventTypeId, 2);
    const rsp = decodeCommand(encodeCommand(nEventReportRsp(back)));
    assert.equal(rsp.commandField, CommandField.NEventReportRsp);
    assert.equal(rsp.eventTypeId, 2);
    assert.equal(rsp.affectedSopInstanceUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
  });

  it("refuses to encode an N-ACTION-RQ without its Action Type ID", () => {
    assert.throws(
      () => encodeCommand({ commandField: CommandField.NActionRq, messageId: 1, requestedSopClassUid: "1.2", requestedSopInstanceUid: "1.2.3", commandDataSetType: 1 }),
      (e: unknown) => e instanceof PduEncodeError && /actionTypeId/.test(e.message),
    );
  });
});

describe("storage commitment data sets", () => {
  const request = {
    transactionUid: "2.25.1234567890",
    references: [
      { sopClassUid: CT, sopInstanceUid: "1.2.3.4.5.1" },
      { sopClassUid: MR, sopInstanceUid: "1.2.3.4.5.22" },
    ],
  };

  for (const [name, ts, flag] of [["Explicit", EXPLICIT, "-te"], ["Implicit", IMPLICIT, "-ti"]] as const) {
    it(`an N-ACTION data set in ${name} VR LE reads back in dcmdump`, async () => {
      const file = join(tmp.path, `request-${name}.ds`);
      writeFileSync(file, encodeCommitmentRequest(request, ts));
      const r = await runProcess("dcmdump", ["-f", flag, "+uc", file], { env: dcmtkEnv() });
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /\(0008,1195\) UI \[2\.25\.1234567890\]/);
      assert.match(r.output, /\(0008,1199\) SQ .*# u\/l|\(0008,1199\) SQ/);
      assert.match(r.output, /\(0008,1150\) UI =CTImageStorage/);
      assert.match(r.output, /\(0008,1155\) UI \[1\.2\.3\.4\.5\.22\]/);
      assert.equal(r.output.match(/\(fffe,e000\) na \(Item/g)?.length, 2, r.output);
      assert.deepEqual(decodeCommitmentRequest(encodeCommitmentRequest(request, ts), ts), request);
    });
  }

  it("an N-EVENT-REPORT data set written by DCMTK's dump2dcm decodes into committed and failed lists", async () => {
    const dump = join(tmp.path, "report.dump");
    writeFileSync(
      dump,
      [
        "(0008,0054) AE [ARCHIVE]",
        "(0008,1195) UI [2.25.99]",
        "(0008,1198) SQ (Sequence with undefined length)",
        "  (fffe,e000) na (Item with undefined length)",
        `    (0008,1150) UI [${MR}]`,
        "    (0008,1155) UI [1.2.3.9]",
        "    (0008,1197) US 274",
        "  (fffe,e00d) na (ItemDelimitationItem)",
        "(fffe,e0dd) na (SequenceDelimitationItem)",
        "(0008,1199) SQ (Sequence with undefined length)",
        "  (fffe,e000) na (Item with undefined length)",
        `    (0008,1150) UI [${CT}]`,
        "    (0008,1155) UI [1.2.3.8]",
        "  (fffe,e00d) na (ItemDelimitationItem)",
        "(fffe,e0dd) na (SequenceDelimitationItem)",
        "",
      ].join("\n"),
    );
    for (const [ts, flag] of [[EXPLICIT, "+te"], [IMPLICIT, "+ti"]] as const) {
      const out = join(tmp.path, `report${flag}.ds`);
      const r = await runProcess("dump2dcm", ["-F", flag, dump, out], { env: dcmtkEnv() });
      assert.equal(r.code, 0, r.output);
      const report = decodeCommitmentReport(readFileSync(out), ts);
      assert.deepEqual(report, {
        transactionUid: "2.25.99",
        committed: [{ sopClassUid: CT, sopInstanceUid: "1.2.3.8" }],
        failed: [{ sopClassUid: MR, sopInstanceUid: "1.2.3.9", failureReason: CommitmentFailureReason.NoSuchObjectInstance }],
        retrieveAeTitle: "ARCHIVE",
      });
      assert.equal(commitmentEventType(report), CommitmentEventType.FailuresExist);
    }
  });

  it("a report round-trips; an all-committed one has Event Type 1 and an empty list is still a sequence", () => {
    const report = { transactionUid: "2.25.5", committed: [], failed: [{ sopClassUid: CT, sopInstanceUid: "1.2.3", failureReason: 0x0122 }] };
    assert.deepEqual(decodeCommitmentReport(encodeCommitmentReport(report, IMPLICIT), IMPLICIT), report);
    assert.ok(Buffer.from(encodeCommitmentReport(report, EXPLICIT)).includes(Buffer.from([0x08, 0x00, 0x99, 0x11, 0x53, 0x51])), "(0008,1199) SQ is written even when empty");
    assert.equal(commitmentEventType({ transactionUid: "2.25.5", committed: request.references, failed: [] }), CommitmentEventType.AllCommitted);
  });

  it("a request without Transaction UID, or with an item lacking its instance UID, is refused naming the attribute", () => {
    const noTransaction = Buffer.from(encodeCommitmentRequest(request, EXPLICIT)).subarray(8 + 16);
    assert.throws(() => decodeCommitmentRequest(noTransaction, EXPLICIT), (e: unknown) => e instanceof DatasetError && /Transaction UID \(0008,1195\)/.test(e.message));
    assert.throws(() => encodeCommitmentRequest({ transactionUid: "2.25.1", references: [] }, EXPLICIT), /at least one instance/);
    assert.throws(() => encodeCommitmentRequest({ transactionUid: "2.25.x", references: request.references }, EXPLICIT), /Transaction UID \(0008,1195\) "2\.25\.x" is not a UID/);
  });
});
