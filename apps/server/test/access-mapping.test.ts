/**
 * From configuration and DIMSE command to Orthanc's access decision: which command a request falls under (Orthanc's
 * `CommandDispatcher`), and the policy the configuration keys make (AllowStorageCommitment as the alias it is).
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { parseConfigText } from "@dicomtls/config";
import { CommandField, type CommandFieldCode, type DimseCommand } from "@dicomtls/pdu-codec";
import { decideCommand, DicomCommand } from "@dicomtls/scp";
import { accessCommandOf, accessPolicyOf } from "../src/index.js";

const rq = (commandField: number, affectedSopClassUid = "1.2.840.10008.5.1.4.1.2.2.1"): DimseCommand =>
  ({ commandField: commandField as CommandFieldCode, affectedSopClassUid, messageId: 1, commandDataSetType: 0x0101 });

describe("accessCommandOf", () => {
  const rows: Array<[string, DimseCommand, DicomCommand | undefined]> = [
    ["C-ECHO-RQ", rq(CommandField.CEchoRq, "1.2.840.10008.1.1"), DicomCommand.Echo],
    ["C-STORE-RQ", rq(CommandField.CStoreRq, "1.2.840.10008.5.1.4.1.1.2"), DicomCommand.Store],
    ["C-FIND-RQ, Study Root", rq(CommandField.CFindRq, "1.2.840.10008.5.1.4.1.2.2.1"), DicomCommand.Find],
    ["C-FIND-RQ, Patient Root", rq(CommandField.CFindRq, "1.2.840.10008.5.1.4.1.2.1.1"), DicomCommand.Find],
    ["C-FIND-RQ, Modality Worklist", rq(CommandField.CFindRq, "1.2.840.10008.5.1.4.31"), DicomCommand.FindWorklist],
    ["C-GET-RQ", rq(CommandField.CGetRq, "1.2.840.10008.5.1.4.1.2.2.3"), DicomCommand.Get],
    ["C-MOVE-RQ", rq(CommandField.CMoveRq, "1.2.840.10008.5.1.4.1.2.2.2"), DicomCommand.Move],
    // PS3.7 Table E.1-1: N-ACTION-RQ 0130H, N-EVENT-REPORT-RQ 0100H.
    ["N-ACTION-RQ", rq(0x0130, "1.2.840.10008.1.20.1"), DicomCommand.NAction],
    ["N-EVENT-REPORT-RQ", rq(0x0100, "1.2.840.10008.1.20.1"), DicomCommand.EventReport],
    ["C-CANCEL-RQ: never gated (it only stops what was allowed)", rq(CommandField.CCancelRq), undefined],
    ["N-GET-RQ: no Orthanc key gates it", rq(0x0110), undefined],
  ];
  for (const [name, command, expected] of rows) test(name, () => assert.equal(accessCommandOf(command), expected));
});

describe("accessPolicyOf", () => {
  const config = (modality: string): ReturnType<typeof accessPolicyOf> =>
    accessPolicyOf(parseConfigText(`{ "DicomAlwaysAllowFind": true, "DicomModalities": { "pacs": ${modality} } }`, { env: {} }).config);

  test("the global DicomAlwaysAllow* keys and every modality flag reach the policy", () => {
    const p = config(`{ "AET": "PACS", "Host": "10.0.0.1", "Port": 104, "AllowMove": false, "AllowNAction": false }`);
    assert.deepEqual(p.alwaysAllow, { echo: true, store: true, find: true, findWorklist: false, get: false, move: false });
    assert.deepEqual(p.modalities[0]?.allow, { echo: true, store: true, find: true, findWorklist: true, get: true, move: false, nAction: false, eventReport: true });
  });

  test("AllowStorageCommitment false refuses both N-ACTION and N-EVENT-REPORT, naming the modality's key", () => {
    const p = config(`{ "AET": "PACS", "Host": "10.0.0.1", "Port": 104, "AllowStorageCommitment": false }`);
    for (const command of [DicomCommand.NAction, DicomCommand.EventReport]) {
      const d = decideCommand(p, { command, callingAet: "PACS", peerIp: "10.0.0.1" });
      assert.equal(d.allow, false);
      if (!d.allow) assert.match(d.key, /^DicomModalities\.pacs\.Allow(NAction|EventReport)$/);
    }
    assert.equal(decideCommand(p, { command: DicomCommand.Move, callingAet: "PACS", peerIp: "10.0.0.1" }).allow, true);
  });
});
