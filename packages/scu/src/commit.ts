/**
 * PS3.4 Annex J Storage Commitment Push Model, SCU side: `commit()` sends the N-ACTION-RQ (Action Type 1) naming the
 * instances, then waits for the N-EVENT-REPORT-RQ that says which are committed.
 *
 * Where the report comes:
 * - default: on the same association, which stays open until it arrives. We propose the SCP/SCU role selection item
 *   with both roles for the class, which dicomtls' SCP reads as "report here" (dcm4che's stgcmtscu --keep-alive
 *   waits the same way);
 * - `listen`: on a new association, as Orthanc always sends it. commit() opens a short-lived listener (SCU role for
 *   the class only) before the N-ACTION, releases once the N-ACTION-RSP arrived, and closes the listener after the
 *   report. The peer must know us at that port (Orthanc: our AE title, host and port in its DicomModalities).
 */
import { randomBytes } from "node:crypto";
import { requestAssociation, type Association } from "@dicomtls/association";
import { Status, nActionRq } from "@dicomtls/pdu-codec";
import { STORAGE_COMMITMENT_ACTION_TYPE, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, encodeCommitmentRequest, type FailedSopReference, type SopReference } from "@dicomtls/dataset";
import { COMMITMENT_TRANSFER_SYNTAXES, ReportWaiter, listenForReport, type CommitReportListener, type ReceivedReport, type ReportListener } from "./commit-report.js";
import { hex4, type QueryConnectionOptions } from "./query-common.js";

export type { CommitReportListener } from "./commit-report.js";

/** Default bound on the wait for the report, from the N-ACTION-RSP on. */
export const DEFAULT_COMMIT_TIMEOUT_MS = 60_000;

export const CommitErrorCode = {
  /** Bad options: no references, a malformed UID. */
  InvalidArgument: "ERR_DICOM_COMMIT_INVALID_ARGUMENT",
  /** The peer did not accept the Storage Commitment Push Model SOP Class (or our role in it). */
  NoContext: "ERR_DICOM_COMMIT_NO_CONTEXT",
  /** The N-ACTION-RSP carried a failure status: see `status`. */
  Refused: "ERR_DICOM_COMMIT_REFUSED",
  /** No report within timeoutMs. */
  Timeout: "ERR_DICOM_COMMIT_TIMEOUT",
  /** The peer ended the association the report was awaited on before sending it. */
  NoReport: "ERR_DICOM_COMMIT_NO_REPORT",
  /** The signal was aborted before the report arrived. */
  Aborted: "ERR_DICOM_COMMIT_ABORTED",
} as const;
export type CommitErrorCodeValue = (typeof CommitErrorCode)[keyof typeof CommitErrorCode];

export class CommitError extends Error {
  override readonly name: string = "CommitError";
  readonly code: CommitErrorCodeValue;
  /** The N-ACTION-RSP status for ERR_DICOM_COMMIT_REFUSED. */
  readonly status: number | undefined;
  readonly transactionUid: string | undefined;
  constructor(code: CommitErrorCodeValue, message: string, details: { status?: number; transactionUid?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.transactionUid = details.transactionUid;
  }
}

export interface CommitOptions extends QueryConnectionOptions {
  /** The instances to commit (each once). */
  readonly references: readonly SopReference[];
  /** (0008,1195); default a fresh `2.25.<128-bit random>` UID. */
  readonly transactionUid?: string;
  /** Bound on the wait for the report after the N-ACTION-RSP; default DEFAULT_COMMIT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Gives up waiting (the association is aborted, the listener closed): rejects with ERR_DICOM_COMMIT_ABORTED. */
  readonly signal?: AbortSignal;
  /** Take the report on a new association at this listener (Orthanc's way) instead of on the same association. */
  readonly listen?: CommitReportListener;
}

export interface CommitResult {
  readonly transactionUid: string;
  /** Committed instances (Referenced SOP Sequence of the report). */
  readonly committed: readonly SopReference[];
  /** Instances the peer did not commit, each with its Failure Reason (0x0112 no such object, 0x0122 class not supported ...). */
  readonly failed: readonly FailedSopReference[];
  /** True when every reference is committed and none failed. */
  readonly ok: boolean;
  /** Event Type ID: 1 all committed, 2 failures exist. */
  readonly eventTypeId: number | undefined;
  readonly via: "same-association" | "new-association";
  /** (0008,0054) when the report named one. */
  readonly retrieveAeTitle: string | undefined;
  readonly reporterAeTitle: string;
}

/** A fresh UID under the 2.25 root (PS3.5 B.2: a UUID's 128 bits as one decimal integer), as Orthanc makes them. */
export function newTransactionUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString("hex")}`).toString(10)}`;
}

/**
 * Asks the peer to commit `references` and resolves with its report. Rejects with CommitError (see CommitErrorCode)
 * or the association package's typed errors (connect, TLS, rejection, abort, timeout).
 */
export async function commit(options: CommitOptions): Promise<CommitResult> {
  const transactionUid = options.transactionUid ?? newTransactionUid();
  const request = { transactionUid, references: options.references };
  try {
    encodeCommitmentRequest(request, COMMITMENT_TRANSFER_SYNTAXES[0]);
  } catch (err) {
    throw new CommitError(CommitErrorCode.InvalidArgument, (err as Error).message, { transactionUid, cause: err });
  }
  if (options.signal?.aborted === true) throw aborted(transactionUid);
  const waiter = new ReportWaiter(transactionUid);
  const listener = options.listen === undefined ? undefined : await listenForReport(options.listen, options.callingAeTitle, waiter);
  try {
    const association = await requestAssociation({
      host: options.host,
      port: options.port,
      callingAeTitle: options.callingAeTitle,
      calledAeTitle: options.calledAeTitle,
      presentationContexts: [
        {
          abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS,
          transferSyntaxes: COMMITMENT_TRANSFER_SYNTAXES,
          // Both roles: we request commitment (SCU) and take the report on this association (see the file comment).
          ...(listener === undefined && { roles: { scu: true, scp: true } }),
        },
      ],
      onMessage: waiter.handler("same-association"),
      ...(options.tls !== undefined && { tls: options.tls }),
      ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
      ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
      ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
    });
    try {
      const received = await requestAndWait(association, options, request, waiter, listener);
      if (association.isEstablished) await association.release();
      const { report } = received;
      return {
        transactionUid,
        committed: report.committed,
        failed: report.failed,
        ok: report.failed.length === 0 && report.committed.length > 0,
        eventTypeId: received.eventTypeId,
        via: received.via,
        retrieveAeTitle: report.retrieveAeTitle,
        reporterAeTitle: received.reporterAeTitle,
      };
    } catch (err) {
      if (association.isEstablished) await association.abort().catch(() => undefined);
      throw err;
    }
  } finally {
    await listener?.close();
  }
}

async function requestAndWait(
  association: Association,
  options: CommitOptions,
  request: { readonly transactionUid: string; readonly references: readonly SopReference[] },
  waiter: ReportWaiter,
  listener: ReportListener | undefined,
): Promise<ReceivedReport> {
  const { transactionUid } = request;
  const where = `${options.calledAeTitle} at ${options.host}:${options.port}`;
  const context = association.findContext(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
  if (context === undefined) {
    throw new CommitError(CommitErrorCode.NoContext, `${where} does not support Storage Commitment Push Model (${STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS}): presentation context rejected`, { transactionUid });
  }
  const command = nActionRq({
    messageId: association.nextMessageId(),
    requestedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS,
    requestedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE,
    actionTypeId: STORAGE_COMMITMENT_ACTION_TYPE,
  });
  const rsp = await association.request(context.id, command, encodeCommitmentRequest(request, context.transferSyntax));
  const status = rsp.command.status ?? -1;
  if (status !== Status.Success) {
    const comment = rsp.command.errorComment === undefined ? "" : ` (${rsp.command.errorComment})`;
    throw new CommitError(CommitErrorCode.Refused, `${where} refused the storage commitment request ${transactionUid}: N-ACTION-RSP status ${hex4(status)}${comment}`, { status, transactionUid });
  }
  // PS3.4 J.3.2: the SCU may release once the N-ACTION-RSP arrived; the report then comes on a new association.
  if (listener !== undefined) await association.release();
  return await waitFor(waiter, options, transactionUid, listener === undefined ? association : undefined);
}

async function waitFor(waiter: ReportWaiter, options: CommitOptions, transactionUid: string, association: Association | undefined): Promise<ReceivedReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
  const where = options.listen === undefined ? "on the same association" : `on a new association to port ${options.listen.port === 0 ? "(chosen)" : options.listen.port}`;
  const timer = setTimeout(
    () => waiter.fail(new CommitError(CommitErrorCode.Timeout, `no storage commitment report for ${transactionUid} from ${options.calledAeTitle} ${where} within ${timeoutMs} ms`, { transactionUid })),
    timeoutMs,
  );
  const onAbort = (): void => waiter.fail(aborted(transactionUid));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // The association ending before the report (peer released or aborted) ends the same-association wait at once.
  void association?.closed.then((end) => {
    const why = end.kind === "aborted" ? end.error.message : "it released the association";
    waiter.fail(new CommitError(CommitErrorCode.NoReport, `${options.calledAeTitle} ended the association before its storage commitment report for ${transactionUid} arrived: ${why}`, { transactionUid }));
  });
  try {
    return await waiter.report;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function aborted(transactionUid: string): CommitError {
  return new CommitError(CommitErrorCode.Aborted, `storage commitment ${transactionUid}: given up (signal aborted) before the report arrived`, { transactionUid });
}
