/**
 * commit() against scripted Storage Commitment SCPs of our own (plain TCP, loopback): what the SCU proposes, a
 * report on the same association, a refusal in the N-ACTION-RSP, a peer that releases without reporting, a report of
 * another transaction that does not end the wait, bad arguments refused before anything connects.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { acceptAssociation, listenDicom, type Association, type DicomListener, type DimseMessage, type OutgoingMessage } from "@dicomtls/association";
import { CommandField, Status, nActionRsp, nEventReportRq } from "@dicomtls/pdu-codec";
import { STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, decodeCommitmentRequest, encodeCommitmentReport, type CommitmentRequest } from "@dicomtls/dataset";
import { CommitError, CommitErrorCode, commit } from "../src/index.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const listeners: DicomListener[] = [];
after(async () => {
  for (const l of listeners) await l.close();
});

type Behaviour = (m: DimseMessage, association: Association, request: CommitmentRequest) => AsyncGenerator<OutgoingMessage>;

/** A Storage Commitment SCP whose N-ACTION handling is `behaviour`; records what each association proposed. */
async function scriptedScp(behaviour: Behaviour): Promise<{ port: number; roles: Array<{ scu: boolean; scp: boolean }> }> {
  const roles: Array<{ scu: boolean; scp: boolean }> = [];
  const listener = await listenDicom({
    host: "127.0.0.1",
    port: 0,
    onConnection: (socket) => {
      void acceptAssociation(socket, {
        aeTitle: "SCRIPTED",
        policy: { abstractSyntaxes: [{ abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2.1"], roles: { scu: true, scp: true } }] },
        onMessage: async function* (m, association) {
          assert.equal(m.command.commandField, CommandField.NActionRq);
          roles.push(m.context.requestorRoles);
          const request = decodeCommitmentRequest(await m.dataset!.readAll(), m.context.transferSyntax);
          yield* behaviour(m, association, request);
        },
      });
    },
  });
  listeners.push(listener);
  return { port: listener.port, roles };
}

async function report(association: Association, contextId: number, transactionUid: string, committed: CommitmentRequest["references"]): Promise<number | undefined> {
  const rq = nEventReportRq({ messageId: association.nextMessageId(), affectedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, affectedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, eventTypeId: 1 });
  const rsp = await association.request(contextId, rq, encodeCommitmentReport({ transactionUid, committed, failed: [] }, "1.2.840.10008.1.2.1"));
  return rsp.command.status;
}

const options = (port: number) => ({ host: "127.0.0.1", port, callingAeTitle: "SCU", calledAeTitle: "SCRIPTED", references: [{ sopClassUid: CT, sopInstanceUid: "1.2.3.1" }] });

test("same association: both roles proposed, another transaction's report is answered but not taken, ours ends the wait", async () => {
  const answers: Array<number | undefined> = [];
  const { port, roles } = await scriptedScp(async function* (m, association, request) {
    yield { command: nActionRsp(m.command, Status.Success) };
    answers.push(await report(association, m.context.id, "2.25.999", request.references));
    answers.push(await report(association, m.context.id, request.transactionUid, request.references));
  });
  const result = await commit({ ...options(port), transactionUid: "2.25.42", timeoutMs: 10_000 });
  assert.deepEqual(roles, [{ scu: true, scp: true }]);
  assert.equal(result.via, "same-association");
  assert.equal(result.transactionUid, "2.25.42");
  assert.equal(result.ok, true);
  assert.deepEqual(result.committed, [{ sopClassUid: CT, sopInstanceUid: "1.2.3.1" }]);
  assert.deepEqual(answers, [Status.Success, Status.Success]);
  assert.match(result.transactionUid, /^2\.25\.\d+$/);
});

test("a failure status in the N-ACTION-RSP is ERR_DICOM_COMMIT_REFUSED with the status", async () => {
  const { port } = await scriptedScp(async function* (m) {
    yield await Promise.resolve({ command: { ...nActionRsp(m.command, 0x0124), errorComment: "not authorized" } });
  });
  await assert.rejects(commit(options(port)), (e: unknown) => e instanceof CommitError && e.code === CommitErrorCode.Refused && e.status === 0x0124 && /0x0124 \(not authorized\)/.test(e.message));
});

test("a peer that ends the association after the N-ACTION-RSP without a report: ERR_DICOM_COMMIT_NO_REPORT, not a wait to the timeout", async () => {
  const { port } = await scriptedScp(async function* (m, association) {
    yield { command: nActionRsp(m.command, Status.Success) };
    // The acceptor cannot release (PS3.8: only the requestor does); it aborts, as a peer giving up would.
    await association.abort();
  });
  await assert.rejects(commit({ ...options(port), timeoutMs: 60_000 }), (e: unknown) => e instanceof CommitError && e.code === CommitErrorCode.NoReport);
});

test("bad arguments are refused before connecting", async () => {
  await assert.rejects(commit({ ...options(1), references: [] }), (e: unknown) => e instanceof CommitError && e.code === CommitErrorCode.InvalidArgument);
  await assert.rejects(commit({ ...options(1), transactionUid: "2.25.x" }), (e: unknown) => e instanceof CommitError && e.code === CommitErrorCode.InvalidArgument && /2\.25\.x/.test(e.message));
});
