/**
 * PS3.4 Annex J: the Storage Commitment Push Model SOP Class (1.2.840.10008.1.20.1) as SCP. An N-ACTION-RQ (Action
 * Type 1) is answered Success as soon as its data set is read (PS3.4 J.3.2: Success means "received"); then every
 * reference is looked up and the N-EVENT-REPORT-RQ goes out:
 *
 * - on the same association when the requester proposed the SCP/SCU role selection item for the class with the SCP
 *   role (it announces it takes the report there, as dcm4che's stgcmtscu and our `commit()` do) and the association is
 *   still open (no release asked) once the report is ready;
 * - otherwise, or when that attempt ends with the association, on a new association (PS3.4 J.3.3: the SCP may use
 *   either), as Orthanc always does: to the requester's entry in DicomModalities (resolved by `reportConnection`),
 *   calling with the AE title the requester had called (PS3.4 J.3.3.1.1), proposing the class with SCP role only.
 *
 * One attempt per report; its outcome is published on `dicom:scp:commitment-report-sent` or `...-failed`.
 * An N-EVENT-REPORT-RQ a peer sends us on the class (a report for a request of ours) is answered Success and published
 * on `dicom:scp:commitment-report-received`.
 */
import { channel } from "node:diagnostics_channel";
import { requestAssociation, type Association, type DimseMessage, type HandlerResult, type PeerInfo, type RequestAssociationOptions } from "@dicomtls/association";
import { CommandField, Status, nActionRsp, nEventReportRq, nEventReportRsp, type DimseCommand } from "@dicomtls/pdu-codec";
import { DatasetError, STORAGE_COMMITMENT_ACTION_TYPE, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, commitmentEventType, decodeCommitmentReport, decodeCommitmentRequest, encodeCommitmentReport, type CommitmentReport, type CommitmentRequest } from "@dicomtls/dataset";
import { statusResponse } from "../responses.js";
import type { ServiceContext, ServiceHandler } from "../types.js";
import { checkReferences, type CommitmentLookup } from "./commitment-report.js";

export const CommitmentChannels = {
  /** A report was delivered (N-EVENT-REPORT-RSP received): `{ transactionUid, requester, via, eventTypeId, committed, failed, status }`. */
  reportSent: "dicom:scp:commitment-report-sent",
  /** A report could not be delivered: `{ transactionUid, requester, error }`. */
  reportFailed: "dicom:scp:commitment-report-failed",
  /** A peer's report reached us: `{ association, report }`. */
  reportReceived: "dicom:scp:commitment-report-received",
} as const;
const sentChannel = channel(CommitmentChannels.reportSent);
const failedChannel = channel(CommitmentChannels.reportFailed);
const receivedChannel = channel(CommitmentChannels.reportReceived);

/** Explicit then Implicit VR Little Endian, the syntaxes both sides of Orthanc's commitment use. */
const COMMITMENT_TRANSFER_SYNTAXES: readonly string[] = Object.freeze(["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]);
const DEFAULT_REPORT_TIMEOUT_MS = 30_000;
/** Bound on an N-ACTION's data set (about 200,000 references): a larger one is refused 0213H, never buffered. */
export const MAX_COMMITMENT_REQUEST_BYTES = 16 * 1024 * 1024;
/** PS3.7 C.4: Resource limitation. */
const RESOURCE_LIMITATION = 0x0213;

/** Who asked for commitment: where a report on a new association goes. */
export interface CommitmentRequester {
  /** The requester's AE title (its calling AE title on the N-ACTION's association). */
  readonly aeTitle: string;
  /** The AE title the requester called: the report's calling AE title (PS3.4 J.3.3.1.1). */
  readonly calledAeTitle: string;
  readonly peer: PeerInfo;
  readonly transactionUid: string;
}

/** How to reach the requester: requestAssociation's options without the presentation contexts, which we propose. */
export type ReportConnection = Omit<RequestAssociationOptions, "presentationContexts" | "onMessage" | "callingAeTitle"> & { readonly callingAeTitle?: string };

export interface CommitmentServiceOptions {
  /** Is the instance stored, with which SOP class (IndexStore.instance / InstanceStore.get). */
  readonly lookup: CommitmentLookup;
  /**
   * Where to open the report's association; undefined (or absent option) when the requester is unknown, and the report
   * then goes nowhere (published on reportFailed). The calling AE title defaults to the one the requester called.
   */
  readonly reportConnection?: (requester: CommitmentRequester) => ReportConnection | undefined | Promise<ReportConnection | undefined>;
  /** (0008,0054) in the report: where committed instances can be retrieved from. */
  readonly retrieveAeTitle?: string;
  /** Bound on the wait for the N-EVENT-REPORT-RSP; default 30 s. */
  readonly reportTimeoutMs?: number;
}

export interface CommitmentService {
  readonly handler: ServiceHandler;
  /** Registers the class with the SCP, roles SCP and SCU (so requesters may also deliver their reports to us). */
  register(scp: { handle(sopClassUid: string, handler: ServiceHandler, options?: { transferSyntaxes?: readonly string[]; roles?: { scu: boolean; scp: boolean } }): unknown }): void;
  /** Resolves once every report under way was delivered or failed (for a clean stop). */
  idle(): Promise<void>;
}

function isDatasetError(err: unknown): err is DatasetError {
  return err instanceof DatasetError;
}

/** PS3.7 Annex C.4 status for an N-ACTION-RQ we cannot take, or undefined when it is one to serve. */
function refusal(rq: DimseCommand, hasDataset: boolean): DimseCommand | undefined {
  if (rq.requestedSopInstanceUid !== STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE) {
    return statusResponse(rq, Status.NoSuchSopInstance, `Requested SOP Instance must be ${STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE}`);
  }
  if (rq.actionTypeId !== STORAGE_COMMITMENT_ACTION_TYPE) return statusResponse(rq, Status.NoSuchActionType, `Action Type ID ${String(rq.actionTypeId)} is not 1`);
  if (!hasDataset) return statusResponse(rq, Status.MissingAttribute, "no Action Information data set");
  return undefined;
}

export function createCommitmentService(options: CommitmentServiceOptions): CommitmentService {
  const underway = new Set<Promise<void>>();
  const timeoutMs = options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS;

  const deliver = async (message: DimseMessage, association: Association, request: CommitmentRequest): Promise<void> => {
    const requester: CommitmentRequester = {
      aeTitle: association.callingAeTitle.trim(),
      calledAeTitle: association.calledAeTitle.trim(),
      peer: association.peer,
      transactionUid: request.transactionUid,
    };
    try {
      const report = await checkReferences(request, options.lookup, options.retrieveAeTitle);
      if (message.context.requestorRoles.scp && association.isEstablished) {
        try {
          const status = await sendReport(association, message.context.id, message.context.transferSyntax, report, timeoutMs);
          sentChannel.publish({ transactionUid: report.transactionUid, requester, via: "same-association", eventTypeId: commitmentEventType(report), committed: report.committed, failed: report.failed, status });
          return;
        } catch (err) {
          // The requester released or aborted before answering: it still gets the report, on a new association.
          if (association.isEstablished) throw err;
        }
      }
      const status = await reportOnNewAssociation(requester, report);
      sentChannel.publish({ transactionUid: report.transactionUid, requester, via: "new-association", eventTypeId: commitmentEventType(report), committed: report.committed, failed: report.failed, status });
    } catch (error) {
      failedChannel.publish({ transactionUid: request.transactionUid, requester, error });
    }
  };

  const reportOnNewAssociation = async (requester: CommitmentRequester, report: CommitmentReport): Promise<number> => {
    const connection = await options.reportConnection?.(requester);
    if (connection === undefined) {
      throw new Error(`no way to reach ${requester.aeTitle} for the storage commitment report of ${requester.transactionUid}: its AE title is not in DicomModalities`);
    }
    const a = await requestAssociation({
      ...connection,
      callingAeTitle: connection.callingAeTitle ?? requester.calledAeTitle,
      presentationContexts: [{ abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: COMMITMENT_TRANSFER_SYNTAXES, roles: { scu: false, scp: true } }],
    });
    try {
      const context = a.findContext(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
      // PS3.4 J.3.3: on an association we requested, we may send the report only as SCP, which the acceptor must grant.
      if (context === undefined || !context.requestorRoles.scp) {
        throw new Error(`${connection.calledAeTitle} at ${connection.host}:${connection.port} did not accept Storage Commitment with us in the SCP role (PS3.4 J.3.3: role selection is mandatory)`);
      }
      const status = await sendReport(a, context.id, context.transferSyntax, report, timeoutMs);
      await a.release();
      return status;
    } catch (err) {
      if (a.isEstablished) await a.abort().catch(() => undefined);
      throw err;
    }
  };

  async function* serveAction(message: DimseMessage, ctx: ServiceContext): AsyncGenerator<{ command: DimseCommand }> {
    const rq = message.command;
    const refused = refusal(rq, message.dataset !== undefined);
    if (refused !== undefined || message.dataset === undefined) {
      yield { command: refused ?? statusResponse(rq, Status.MissingAttribute) };
      return;
    }
    const bytes = await readBounded(message.dataset, MAX_COMMITMENT_REQUEST_BYTES);
    if (bytes === undefined) {
      yield { command: statusResponse(rq, RESOURCE_LIMITATION, `Action Information over ${MAX_COMMITMENT_REQUEST_BYTES} bytes`) };
      return;
    }
    let request: CommitmentRequest;
    try {
      request = decodeCommitmentRequest(bytes, message.context.transferSyntax);
    } catch (err) {
      if (!isDatasetError(err)) throw err;
      const status = /^no /.test(err.message) ? Status.MissingAttribute : Status.InvalidArgumentValue;
      yield { command: statusResponse(rq, status, err.message) };
      return;
    }
    yield { command: nActionRsp(rq, Status.Success) };
    // Resumed once the N-ACTION-RSP is handed to the socket: the report is worked out outside the handler, so a
    // requester that releases now is answered at once.
    const job = deliver(message, ctx.association, request);
    underway.add(job);
    void job.finally(() => underway.delete(job));
  }

  const serveReport = async (message: DimseMessage, ctx: ServiceContext): Promise<HandlerResult> => {
    const rq = message.command;
    if (message.dataset === undefined) return { command: nEventReportRsp(rq, Status.MissingAttribute) };
    let report: CommitmentReport;
    try {
      report = decodeCommitmentReport(await message.dataset.readAll(), message.context.transferSyntax);
    } catch (err) {
      if (!isDatasetError(err)) throw err;
      return { command: { ...nEventReportRsp(rq, Status.InvalidArgumentValue), errorComment: err.message.slice(0, 64) } };
    }
    receivedChannel.publish({ association: ctx.association, report });
    return { command: nEventReportRsp(rq, Status.Success) };
  };

  const handler: ServiceHandler = (message, ctx) => {
    switch (message.command.commandField) {
      case CommandField.NActionRq:
        return serveAction(message, ctx);
      case CommandField.NEventReportRq:
        return serveReport(message, ctx);
      default:
        // PS3.7 C.4: an operation the SOP class does not have (a C-ECHO, a C-STORE ... on this context).
        return { command: statusResponse(message.command, Status.UnrecognizedOperation) };
    }
  };

  return {
    handler,
    register(scp) {
      scp.handle(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, handler, { transferSyntaxes: COMMITMENT_TRANSFER_SYNTAXES, roles: { scu: true, scp: true } });
    },
    async idle() {
      while (underway.size > 0) await Promise.allSettled([...underway]);
    },
  };
}

/** The whole data set, or undefined (the rest discarded) once it exceeds `max` bytes. */
async function readBounded(dataset: AsyncIterable<Uint8Array> & { discard(): Promise<void> }, max: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of dataset) {
    length += chunk.length;
    if (length > max) {
      await dataset.discard();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** Sends the N-EVENT-REPORT-RQ on `contextId` and resolves with the requester's status (PS3.7 §10.3.1). */
async function sendReport(association: Association, contextId: number, transferSyntaxUid: string, report: CommitmentReport, timeoutMs: number): Promise<number> {
  const command = nEventReportRq({
    messageId: association.nextMessageId(),
    affectedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS,
    affectedSopInstanceUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE,
    eventTypeId: commitmentEventType(report),
  });
  const rsp = await association.request(contextId, command, encodeCommitmentReport(report, transferSyntaxUid), { timeoutMs });
  return rsp.command.status ?? -1;
}
