/**
 * get against a scripted C-GET SCP of our own (plain TCP, loopback) that behaves as PS3.4 C.4.3 says where Orthanc
 * 1.10.1 does not: an instance of a class the SCU did not propose is a failed sub-operation and the retrieve goes on,
 * the final B000 carries the Failed SOP Instance UID List in a data set; a sink's warning status is counted as one.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { acceptAssociation, buildAssociateRq, listenDicom, localRoles, type Association, type DicomListener, type DimseMessage, type OutgoingMessage } from "@dicomtls/association";
import { CommandField, DATASET_PRESENT, Status, cGetRsp, cStoreRq } from "@dicomtls/pdu-codec";
import { encodeIdentifier } from "@dicomtls/dataset";
import { DEFAULT_GET_STORAGE_SOP_CLASSES, QueryRetrieveSopClass, QueryStatus, get, getStorageContexts, type GetProgress } from "../src/index.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";

const listeners: DicomListener[] = [];
after(async () => {
  for (const l of listeners) await l.close();
});

interface Held {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly dataset: Buffer;
}

/** PS3.4 C.4.3.3.1: each instance on an accepted context of its class where we may be SCU, else a failed sub-operation. */
async function* getScp(m: DimseMessage, association: Association, held: readonly Held[]): AsyncGenerator<OutgoingMessage> {
  assert.equal(m.command.commandField, CommandField.CGetRq);
  let completed = 0;
  let warning = 0;
  const failed: string[] = [];
  for (const [k, h] of held.entries()) {
    const context = association.contexts.find((c) => c.abstractSyntax === h.sopClassUid && localRoles(c, false).scu);
    if (context === undefined) failed.push(h.sopInstanceUid);
    else {
      const rq = cStoreRq({ messageId: association.nextMessageId(), affectedSopClassUid: h.sopClassUid, affectedSopInstanceUid: h.sopInstanceUid });
      const rsp = await association.request(context.id, rq, h.dataset);
      if (rsp.command.status === Status.Success) completed += 1;
      else if ((rsp.command.status ?? 0) >> 12 === 0xb) warning += 1;
      else failed.push(h.sopInstanceUid);
    }
    const counts = { numberOfRemainingSuboperations: held.length - k - 1, numberOfCompletedSuboperations: completed, numberOfFailedSuboperations: failed.length, numberOfWarningSuboperations: warning };
    yield { command: cGetRsp(m.command, QueryStatus.Pending, counts) };
  }
  const final = { numberOfCompletedSuboperations: completed, numberOfFailedSuboperations: failed.length, numberOfWarningSuboperations: warning };
  if (failed.length === 0 && warning === 0) {
    yield { command: cGetRsp(m.command, QueryStatus.Success, final) };
    return;
  }
  const list = encodeIdentifier({ FailedSOPInstanceUIDList: failed }, { transferSyntaxUid: m.context.transferSyntax });
  yield { command: cGetRsp(m.command, QueryStatus.Warning, final, { commandDataSetType: DATASET_PRESENT }), dataset: list };
}

async function scriptedGetScp(held: readonly Held[]): Promise<{ port: number; accepted: Array<Promise<Association | undefined>> }> {
  const accepted: Array<Promise<Association | undefined>> = [];
  const listener = await listenDicom({
    host: "127.0.0.1",
    port: 0,
    onConnection: (socket) => {
      accepted.push(
        acceptAssociation(socket, {
          aeTitle: "SCRIPTED",
          policy: {
            abstractSyntaxes: [
              { abstractSyntax: QueryRetrieveSopClass.StudyRootGet, transferSyntaxes: [EXPLICIT_LE] },
              // PS3.7 D.3.3.4: we play the storage SCU where the requestor asked to be SCP.
              ...[CT, MR].map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE], roles: { scu: true, scp: false } })),
            ],
          },
          onMessage: (m, association) => getScp(m, association, held),
        }),
      );
    },
  });
  listeners.push(listener);
  return { port: listener.port, accepted };
}

const instance = (sopClassUid: string, n: number): Held => ({ sopClassUid, sopInstanceUid: `1.2.3.${n}`, dataset: Buffer.from(`data set number ${n} `.repeat(50 * n)) });

test("get (standard SCP): an unproposed class is a failed sub-operation and the rest still arrives; a sink warning counts; B000 with the list in a data set", async () => {
  const held = [instance(CT, 1), instance(MR, 2), instance(CT, 3), instance(CT, 4)];
  const { port, accepted } = await scriptedGetScp(held);
  const got = new Map<string, Buffer>();
  const op = get({
    host: "127.0.0.1",
    port,
    callingAeTitle: "DICOMTLS",
    calledAeTitle: "SCRIPTED",
    level: "STUDY",
    keys: { StudyInstanceUID: "1.2.3" },
    sopClasses: [CT],
    onInstance: async (i) => {
      const chunks: Uint8Array[] = [];
      for await (const c of i.dataset) chunks.push(c);
      got.set(i.sopInstanceUid, Buffer.concat(chunks));
      return i.sopInstanceUid === "1.2.3.4" ? 0xb007 : undefined;
    },
  });
  const progress: GetProgress[] = [];
  for await (const p of op) progress.push(p);
  const r = await op.result();
  assert.equal(r.status, QueryStatus.Warning);
  assert.deepEqual([r.completed, r.failed, r.warning, r.received, r.refused], [2, 1, 1, 3, 0]);
  assert.deepEqual(r.failedSopInstanceUids, ["1.2.3.2"]);
  assert.equal(r.ok, false);
  assert.deepEqual(progress.map((p) => p.remaining), [3, 2, 1, 0]);
  for (const h of held.filter((x) => x.sopClassUid === CT)) assert.ok(got.get(h.sopInstanceUid)?.equals(h.dataset), h.sopInstanceUid);
  const association = await accepted[0];
  assert.ok(association !== undefined);
  // The SCU asked for the SCP role of CT only; the acceptor granted it, and MR was never proposed.
  const ct = association.contexts.find((c) => c.abstractSyntax === CT);
  assert.deepEqual(ct?.requestorRoles, { scu: false, scp: true });
  assert.equal(association.contexts.find((c) => c.abstractSyntax === MR), undefined);
  assert.deepEqual(association.associateRq.userInformation.roleSelections, [{ sopClassUid: CT, scuRole: false, scpRole: true }]);
  assert.equal((await association.closed).kind, "released");
});

test("the default storage contexts: 92 classes, each with an SCP role selection item, the A-ASSOCIATE-RQ within 128 contexts", () => {
  const contexts = getStorageContexts(DEFAULT_GET_STORAGE_SOP_CLASSES);
  assert.equal(new Set(DEFAULT_GET_STORAGE_SOP_CLASSES).size, DEFAULT_GET_STORAGE_SOP_CLASSES.length);
  assert.ok(DEFAULT_GET_STORAGE_SOP_CLASSES.includes(CT) && DEFAULT_GET_STORAGE_SOP_CLASSES.includes(MR));
  const rq = buildAssociateRq([{ abstractSyntax: QueryRetrieveSopClass.StudyRootGet, transferSyntaxes: [EXPLICIT_LE] }, ...contexts], {
    callingAeTitle: "DICOMTLS",
    calledAeTitle: "ANY",
    maxPduLength: 16384,
  });
  assert.equal(rq.presentationContexts.length, 1 + DEFAULT_GET_STORAGE_SOP_CLASSES.length);
  assert.ok(rq.presentationContexts.length <= 128);
  assert.deepEqual(
    rq.userInformation.roleSelections,
    DEFAULT_GET_STORAGE_SOP_CLASSES.map((sopClassUid) => ({ sopClassUid, scuRole: false, scpRole: true })),
  );
  assert.deepEqual(rq.presentationContexts[1]?.transferSyntaxes, [EXPLICIT_LE, IMPLICIT_LE]);
});
