/**
 * openFindSession against a scripted acceptor of our own (plain TCP, loopback): several C-FINDs on one association,
 * both models, a failure status that leaves the session usable, a cancel, one request at a time, and the release.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { EXPLICIT_LE, acceptor, closeAcceptors, id, peer, type Script } from "./support/scripted-acceptor.js";
import { cFindRsp } from "@dicomtls/pdu-codec";
import { decodeIdentifier } from "@dicomtls/dataset";
import { QueryError, QueryRetrieveSopClass, QueryStatus, openFindSession } from "../src/index.js";

after(closeAcceptors);

/** Answers with as many matches as the query's PatientID says ("3" -> 3), echoing the SOP class's model; "FAIL" -> A900. */
const counting: Script = async function* (m) {
  const keys = decodeIdentifier(await m.dataset!.readAll(), EXPLICIT_LE);
  const pid = keys["PatientID"]?.[0];
  if (pid === "FAIL") {
    yield { command: cFindRsp(m.command, QueryStatus.IdentifierDoesNotMatchSopClass, { errorComment: "scripted" }) };
    return;
  }
  const model = m.command.affectedSopClassUid === QueryRetrieveSopClass.PatientRootFind ? "P" : "S";
  for (let i = 0; i < Number(typeof pid === "string" ? pid : 0); i++) {
    if (m.signal.aborted) break;
    yield { command: cFindRsp(m.command, QueryStatus.Pending), dataset: id({ PatientID: `${model}${i}` }) };
  }
  yield { command: cFindRsp(m.command, m.signal.aborted ? QueryStatus.Cancel : QueryStatus.Success) };
};

test("openFindSession: queries one after another on one association, both models, then released", async () => {
  const { port, accepted } = await acceptor([QueryRetrieveSopClass.StudyRootFind, QueryRetrieveSopClass.PatientRootFind], counting);
  const session = await openFindSession(peer(port));
  assert.deepEqual(session.models, ["patient", "study"]);
  for (const n of [3, 0, 5]) {
    const q = session.find({ level: "STUDY", keys: { PatientID: String(n) } });
    const got: string[] = [];
    for await (const m of q) got.push(m.identifier["PatientID"]?.[0] as string);
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `S${i}`));
    assert.equal((await q.result()).status, QueryStatus.Success);
    assert.equal(session.association.isEstablished, true);
  }
  const p = session.find({ model: "patient", level: "PATIENT", keys: { PatientID: "2" } });
  assert.equal((await p.result()).matches, 2);
  await session.release();
  assert.equal(accepted.length, 1, "one association for every query");
  assert.equal((await (await accepted[0])?.closed)?.kind, "released");
});

test("openFindSession: a failure status throws and the session stays usable; a cancelled query too", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootFind], counting);
  const session = await openFindSession(peer(port));
  assert.deepEqual(session.models, ["study"]);
  await assert.rejects(session.find({ level: "STUDY", keys: { PatientID: "FAIL" } }).result(), (e: unknown) => e instanceof QueryError && e.status === 0xa900);
  const big = session.find({ level: "STUDY", keys: { PatientID: "200" } });
  for await (const m of big) if (m.index === 2) break; // leaving the loop cancels
  assert.equal((await big.result()).cancelled, true);
  assert.equal((await session.find({ level: "STUDY", keys: { PatientID: "4" } }).result()).matches, 4);
  assert.throws(() => session.find({ model: "patient", level: "PATIENT", keys: {} }), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_NO_CONTEXT");
  await session.release();
  assert.equal(session.association.isEstablished, false);
});

test("openFindSession: a second query iterated while one is being read is refused", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootFind], counting);
  const session = await openFindSession(peer(port));
  const first = session.find({ level: "STUDY", keys: { PatientID: "3" } })[Symbol.asyncIterator]();
  assert.equal((await first.next()).done, false);
  await assert.rejects(session.find({ level: "STUDY", keys: { PatientID: "1" } }).result(), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_INVALID_ARGUMENT");
  while ((await first.next()).done !== true) {
    /* read to the end */
  }
  assert.equal((await session.find({ level: "STUDY", keys: { PatientID: "1" } }).result()).matches, 1);
  await session.release();
});

test("openFindSession: a peer accepting no C-FIND model is a QueryError naming it", async () => {
  const { port } = await acceptor([QueryRetrieveSopClass.StudyRootMove], counting);
  await assert.rejects(openFindSession(peer(port)), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_NO_CONTEXT" && /SCRIPTED at 127\.0\.0\.1/.test(e.message));
});
