/**
 * The Storage Commitment SCP in process (plain TCP on loopback), with a requestor written here against the
 * association API: the report on the same association when the requestor proposes both roles, the lookup's outcomes
 * as Failure Reasons, and a report nobody can take (no reportConnection) published as failed.
 */
import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, test } from "node:test";
import { requestAssociation, type Association, type DimseMessage } from "@dicomtls/association";
import { CommandField, Status, nActionRq, nEventReportRq, nEventReportRsp } from "@dicomtls/pdu-codec";
import { CommitmentFailureReason, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, decodeCommitmentReport, encodeCommitmentReport, encodeCommitmentRequest, type CommitmentReport } from "@dicomtls/dataset";
import { CommitmentChannels, MAX_COMMITMENT_REQUEST_BYTES, createCommitmentService, createScp } from "../src/index.js";
import { listen } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const STORED = new Map([
  ["1.2.3.1", CT],
  ["1.2.3.2", CT],
]);
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function startScp(): Promise<number> {
  const scp = createScp({ aeTitle: "COMMITSCP" });
  createCommitmentService({
    lookup: (uid) => {
      if (uid === "1.2.3.666") return Promise.reject(new Error("index unavailable"));
      const sopClassUid = STORED.get(uid);
      return Promise.resolve(sopClassUid === undefined ? undefined : { sopClassUid });
    },
    // No DicomModalities here: a report that needs a new association has nowhere to go.
    reportConnection: () => undefined,
  }).register(scp);
  const srv = await listen((s) => void scp.handleConnection(s));
  closers.push(async () => {
    await scp.close({ timeoutMs: 2000 });
    await srv.close();
  });
  return srv.port;
}

/** Opens an association proposing Storage Commitment, with role selection (both roles) when `sameAssociation`. */
async function open(port: number, sameAssociation: boolean, onReport: (report: CommitmentReport, eventTypeId: number | undefined) => void): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "REQUESTER",
    calledAeTitle: "COMMITSCP",
    presentationContexts: [
      { abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"], ...(sameAssociation && { roles: { scu: true, scp: true } }) },
    ],
    onMessage: async (message: DimseMessage) => {
      assert.equal(message.command.commandField, CommandField.NEventReportRq);
      assert.equal(message.command.affectedSopInstanceUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
      onReport(decodeCommitmentReport(await message.dataset!.readAll(), message.context.transferSyntax), message.command.eventTypeId);
      return { command: nEventReportRsp(message.command, Status.Success) };
    },
  });
}

async function ask(a: Association, transactionUid: string, references: ReadonlyArray<{ sopClassUid: string; sopInstanceUid: string }>, body?: Uint8Array): Promise<number | undefined> {
  const ctx = a.findContext(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
  assert.ok(ctx !== undefined);
  const rq = nActionRq({ messageId: a.nextMessageId(), requestedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, requestedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, actionTypeId: 1 });
  const rsp = await a.request(ctx.id, rq, body ?? encodeCommitmentRequest({ transactionUid, references }, ctx.transferSyntax));
  assert.equal(rsp.command.commandField, CommandField.NActionRsp);
  assert.equal(rsp.command.affectedSopInstanceUid, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE);
  return rsp.command.status;
}

test("with both roles proposed, the report comes on the same association: committed, and each failure with its reason", { timeout: 20_000 }, async () => {
  const port = await startScp();
  let resolve!: (r: { report: CommitmentReport; eventTypeId: number | undefined }) => void;
  const reported = new Promise<{ report: CommitmentReport; eventTypeId: number | undefined }>((r) => (resolve = r));
  const a = await open(port, true, (report, eventTypeId) => resolve({ report, eventTypeId }));
  const refs = [
    { sopClassUid: CT, sopInstanceUid: "1.2.3.1" },
    { sopClassUid: CT, sopInstanceUid: "1.2.3.404" },
    { sopClassUid: MR, sopInstanceUid: "1.2.3.2" },
    { sopClassUid: CT, sopInstanceUid: "1.2.3.666" },
    { sopClassUid: CT, sopInstanceUid: "1.2.3.1" },
  ];
  assert.equal(await ask(a, "2.25.77", refs), Status.Success);
  const { report, eventTypeId } = await reported;
  assert.equal(eventTypeId, 2);
  assert.equal(report.transactionUid, "2.25.77");
  assert.deepEqual(report.committed, [{ sopClassUid: CT, sopInstanceUid: "1.2.3.1" }], "the instance referenced twice is reported once");
  assert.deepEqual(report.failed, [
    { sopClassUid: CT, sopInstanceUid: "1.2.3.404", failureReason: CommitmentFailureReason.NoSuchObjectInstance },
    { sopClassUid: MR, sopInstanceUid: "1.2.3.2", failureReason: CommitmentFailureReason.ReferencedSopClassNotSupported },
    { sopClassUid: CT, sopInstanceUid: "1.2.3.666", failureReason: CommitmentFailureReason.ProcessingFailure },
  ]);
  await a.release();
});

test("without role selection the report needs a new association; with nowhere to send it, it is published as failed", { timeout: 20_000 }, async () => {
  const port = await startScp();
  const failures: Array<{ transactionUid: string; error: Error }> = [];
  let wake!: () => void;
  const published = new Promise<void>((r) => (wake = r));
  const onFailed = (m: unknown): void => {
    failures.push(m as { transactionUid: string; error: Error });
    wake();
  };
  subscribe(CommitmentChannels.reportFailed, onFailed);
  try {
    let sameAssociationReports = 0;
    const a = await open(port, false, () => sameAssociationReports++);
    assert.equal(await ask(a, "2.25.78", [{ sopClassUid: CT, sopInstanceUid: "1.2.3.2" }]), Status.Success);
    await a.release();
    await published;
    assert.equal(sameAssociationReports, 0);
    assert.equal(failures[0]?.transactionUid, "2.25.78");
    assert.match(failures[0]?.error.message ?? "", /REQUESTER.*not in DicomModalities/);
  } finally {
    unsubscribe(CommitmentChannels.reportFailed, onFailed);
  }
});

test("a report a peer delivers to us (it in the SCP role) is answered Success and published", { timeout: 20_000 }, async () => {
  const port = await startScp();
  const received: unknown[] = [];
  const onReceived = (m: unknown): void => void received.push((m as { report: CommitmentReport }).report);
  subscribe(CommitmentChannels.reportReceived, onReceived);
  try {
    const a = await requestAssociation({
      host: "127.0.0.1",
      port,
      callingAeTitle: "REPORTER",
      calledAeTitle: "COMMITSCP",
      presentationContexts: [{ abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2.1"], roles: { scu: false, scp: true } }],
    });
    const ctx = a.findContext(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
    assert.ok(ctx !== undefined && ctx.requestorRoles.scp, "the SCP role was granted to the reporter");
    const sent = { transactionUid: "2.25.79", committed: [{ sopClassUid: CT, sopInstanceUid: "1.2.3.9" }], failed: [] };
    const rq = nEventReportRq({ messageId: 1, affectedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, affectedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, eventTypeId: 1 });
    const rsp = await a.request(ctx.id, rq, encodeCommitmentReport(sent, ctx.transferSyntax));
    assert.equal(rsp.command.commandField, CommandField.NEventReportRsp);
    assert.equal(rsp.command.status, Status.Success);
    assert.equal(rsp.command.eventTypeId, 1);
    assert.deepEqual(received, [sent]);
    await a.release();
  } finally {
    unsubscribe(CommitmentChannels.reportReceived, onReceived);
  }
});

test("an Action Information data set over MAX_COMMITMENT_REQUEST_BYTES is refused 0x0213 without being buffered; the association goes on", { timeout: 60_000 }, async () => {
  const port = await startScp();
  const reports: string[] = [];
  let wake!: () => void;
  const second = new Promise<void>((r) => (wake = r));
  const a = await open(port, true, (report) => {
    reports.push(report.transactionUid);
    wake();
  });
  assert.equal(await ask(a, "2.25.80", [], Buffer.alloc(MAX_COMMITMENT_REQUEST_BYTES + 2)), 0x0213);
  // Still usable: a normal request afterwards is served and reported; the refused one never is.
  assert.equal(await ask(a, "2.25.81", [{ sopClassUid: CT, sopInstanceUid: "1.2.3.1" }]), Status.Success);
  await second;
  assert.deepEqual(reports, ["2.25.81"]);
  await a.release();
});
