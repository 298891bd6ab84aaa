/**
 * find and move against a scripted acceptor of our own (plain TCP, loopback): the statuses Orthanc 1.10.1 never sends
 * (FF01, A900 with a comment, B000 with a failed list, A801) and its FE00-with-a-data-set habit (facts §0.9).
 */
import { strict as assert } from "node:assert";
import { once } from "node:events";
import { after, test } from "node:test";
import { EXPLICIT_LE, acceptor, closeAcceptors, id, peer } from "./support/scripted-acceptor.js";
import { CommandField, DATASET_PRESENT, cFindRsp, cMoveRsp } from "@dicomtls/pdu-codec";
import { encodeIdentifier } from "@dicomtls/dataset";
import { MoveFailedError, QueryError, QueryRetrieveSopClass, QueryStatus, find, move, type FindMatch } from "../src/index.js";

after(closeAcceptors);

test("find: Pending and Pending-with-warning matches in order, then Success; the association is released", async () => {
  const { port, accepted } = await acceptor([QueryRetrieveSopClass.StudyRootFind], function* (m) {
    assert.equal(m.command.commandField, CommandField.CFindRq);
    yield { command: cFindRsp(m.command, QueryStatus.Pending), dataset: id({ StudyInstanceUID: "1.2.1" }) };
    yield { command: cFindRsp(m.command, QueryStatus.PendingWarning), dataset: id({ StudyInstanceUID: "1.2.2" }) };
    yield { command: cFindRsp(m.command, QueryStatus.Success) };
  });
  const query = find({ ...peer(port), level: "STUDY", keys: { StudyInstanceUID: "" } });
  const matches: FindMatch[] = [];
  for await (const match of query) matches.push(match);
  assert.deepEqual(matches.map((x) => [x.index, x.status, x.identifier["StudyInstanceUID"]]), [
    [1, QueryStatus.Pending, ["1.2.1"]],
    [2, QueryStatus.PendingWarning, ["1.2.2"]],
  ]);
  const result = await query.result();
  assert.equal(result.status, QueryStatus.Success);
  assert.equal(result.cancelled, false);
  assert.equal((await (await accepted[0])?.closed)?.kind, "released");
});

test("find: a failure status after a match throws QueryError with the status and the peer's comment; result() rejects alike", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootFind], function* (m) {
    yield { command: cFindRsp(m.command, QueryStatus.Pending), dataset: id({ StudyInstanceUID: "1.2.1" }) };
    yield { command: cFindRsp(m.command, QueryStatus.IdentifierDoesNotMatchSopClass, { errorComment: "no such key" }) };
  });
  const query = find({ ...peer(port), level: "STUDY", keys: { StudyInstanceUID: "" } });
  let seen = 0;
  const isA900 = (e: unknown): boolean => e instanceof QueryError && e.status === 0xa900 && e.errorComment === "no such key" && /0xA900 \(Failed: Identifier does not match SOP Class\): no such key after 1 matches/.test(e.message);
  await assert.rejects(async () => {
    for await (const _ of query) seen += 1;
  }, isA900);
  assert.equal(seen, 1);
  await assert.rejects(query.result(), isA900);
});

test("find: C-CANCEL reaches the SCP as the signal of the request; its FE00 with a stray data set ends the find as Cancel", async () => {
  let cancelled = false;
  const { port, accepted } = await acceptor([QueryRetrieveSopClass.PatientRootFind], async function* (m) {
    for (let i = 0; i < 3; i++) yield { command: cFindRsp(m.command, QueryStatus.Pending), dataset: id({ PatientID: `P${i}` }) };
    // Then it waits for the C-CANCEL (the association aborts the request's signal when one arrives).
    if (!m.signal.aborted) await once(m.signal, "abort");
    cancelled = m.signal.aborted;
    // DCMTK-based SCPs (Orthanc) send the final Cancel with an identifier (facts §0.9).
    yield { command: cFindRsp(m.command, QueryStatus.Cancel, { commandDataSetType: DATASET_PRESENT }), dataset: id({ PatientID: "" }) };
  });
  const controller = new AbortController();
  const query = find({ ...peer(port), model: "patient", level: "PATIENT", keys: { PatientID: "" }, signal: controller.signal });
  const ids: unknown[] = [];
  for await (const match of query) {
    ids.push(match.identifier["PatientID"]?.[0]);
    if (ids.length === 2) controller.abort();
  }
  const result = await query.result();
  assert.ok(cancelled, "the SCP saw the C-CANCEL");
  assert.deepEqual(ids, ["P0", "P1"]);
  assert.equal(result.status, QueryStatus.Cancel);
  assert.equal(result.pendingResponses, 3, "the third match came before the cancel, and was not delivered");
  assert.equal((await (await accepted[0])?.closed)?.kind, "released");
});

test("move: progress per Pending, final Warning with the Failed SOP Instance UID List; A801 is a MoveFailedError", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootMove], function* (m) {
    if (m.command.moveDestination === "NOWHERE") {
      yield { command: cMoveRsp(m.command, QueryStatus.MoveDestinationUnknown) };
      return;
    }
    yield { command: cMoveRsp(m.command, QueryStatus.Pending, { numberOfRemainingSuboperations: 1, numberOfCompletedSuboperations: 1, numberOfFailedSuboperations: 0, numberOfWarningSuboperations: 0 }) };
    const failed = encodeIdentifier({ FailedSOPInstanceUIDList: ["1.2.3.2"] }, { transferSyntaxUid: EXPLICIT_LE });
    const counts = { numberOfCompletedSuboperations: 1, numberOfFailedSuboperations: 1, numberOfWarningSuboperations: 0 };
    yield { command: cMoveRsp(m.command, QueryStatus.Warning, counts, { commandDataSetType: DATASET_PRESENT }), dataset: failed };
  });
  const op = move({ ...peer(port), destination: "STORESCP", level: "STUDY", keys: { StudyInstanceUID: "1.2.3" } });
  const progress = [];
  for await (const p of op) progress.push(p);
  assert.deepEqual(progress, [{ status: QueryStatus.Pending, remaining: 1, completed: 1, failed: 0, warning: 0 }]);
  const r = await op.result();
  assert.equal(r.status, QueryStatus.Warning);
  assert.equal(r.ok, false);
  assert.deepEqual([r.completed, r.failed, r.warning, r.remaining], [1, 1, 0, undefined]);
  assert.deepEqual(r.failedSopInstanceUids, ["1.2.3.2"]);

  await assert.rejects(
    move({ ...peer(port), destination: "NOWHERE", level: "STUDY", keys: { StudyInstanceUID: "1.2.3" } }).result(),
    (e: unknown) => e instanceof MoveFailedError && e.status === 0xa801 && e.message.includes("0xA801 (Refused: Move Destination unknown)"),
  );
});

test("move to a node that only answers C-FIND: ERR_DICOM_QUERY_NO_CONTEXT naming the SOP class; a bad destination is refused up front", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootFind], async function* () {
    /* never asked */
  });
  await assert.rejects(
    move({ ...peer(port), destination: "STORESCP", level: "STUDY", keys: { StudyInstanceUID: "1.2.3" } }).result(),
    (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_NO_CONTEXT" && e.message.includes(QueryRetrieveSopClass.StudyRootMove),
  );
  assert.throws(() => move({ ...peer(port), destination: "A\\B", level: "STUDY", keys: {} }), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_INVALID_ARGUMENT");
});
