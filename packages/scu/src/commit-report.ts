import type { TlsOptions } from "node:tls";
import { acceptAssociation, listenDicom, type Association, type DicomListener, type DimseMessage, type MessageHandler } from "@dicomtls/association";
import { CommandField, Status, nEventReportRsp, type DimseCommand } from "@dicomtls/pdu-codec";
import { DatasetError, DatasetTransferSyntax, STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, decodeCommitmentReport, type CommitmentReport } from "@dicomtls/dataset";

/** Explicit then Implicit VR Little Endian: what Orthanc and dcm4che propose for Storage Commitment. */
export const COMMITMENT_TRANSFER_SYNTAXES = [DatasetTransferSyntax.ExplicitVrLittleEndian, DatasetTransferSyntax.ImplicitVrLittleEndian] as const;

/** How long a closing listener lets a reporter finish its release. */
const RELEASE_GRACE_MS = 5_000;

/** A report as it reached us, and from whom. */
export interface ReceivedReport {
  readonly report: CommitmentReport;
  readonly eventTypeId: number | undefined;
  /** The reporting association's calling AE title (the AE we asked, PS3.4 J.3.3.1.1). */
  readonly reporterAeTitle: string;
  readonly reporterAddress: string;
  readonly via: "same-association" | "new-association";
}

/**
 * Waits for the N-EVENT-REPORT of one transaction. `handler` answers every N-EVENT-REPORT-RQ on the class (Success,
 * also for another transaction's report, which is not ours to judge) and settles the wait once ours arrived and its
 * N-EVENT-REPORT-RSP was handed to the socket (so a release right after cannot overtake the response).
 */
export class ReportWaiter {
  readonly transactionUid: string;
  readonly report: Promise<ReceivedReport>;
  #resolve!: (r: ReceivedReport) => void;
  #reject!: (e: Error) => void;

  constructor(transactionUid: string) {
    this.transactionUid = transactionUid;
    this.report = new Promise<ReceivedReport>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A rejection nobody awaits yet (the N-ACTION still under way) is not an unhandled one.
    this.report.catch(() => undefined);
  }

  fail(error: Error): void {
    this.#reject(error);
  }

  handler(via: ReceivedReport["via"]): MessageHandler {
    const transactionUid = this.transactionUid;
    const settle = (r: ReceivedReport): void => this.#resolve(r);
    return async function* (message: DimseMessage, association: Association): AsyncGenerator<{ command: DimseCommand }> {
      const rq = message.command;
      if (rq.commandField !== CommandField.NEventReportRq || message.context.abstractSyntax !== STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS) {
        yield { command: { ...nEventReportRsp(rq, Status.UnrecognizedOperation), commandField: (rq.commandField | 0x8000) as DimseCommand["commandField"] } };
        return;
      }
      if (message.dataset === undefined) {
        yield { command: nEventReportRsp(rq, Status.MissingAttribute) };
        return;
      }
      let report: CommitmentReport;
      try {
        report = decodeCommitmentReport(await message.dataset.readAll(), message.context.transferSyntax);
      } catch (err) {
        if (!(err instanceof DatasetError)) throw err;
        yield { command: { ...nEventReportRsp(rq, Status.InvalidArgumentValue), errorComment: err.message.slice(0, 64) } };
        return;
      }
      yield { command: nEventReportRsp(rq, Status.Success) };
      if (report.transactionUid !== transactionUid) return;
      settle({ report, eventTypeId: rq.eventTypeId, reporterAeTitle: association.callingAeTitle.trim(), reporterAddress: association.peer.address, via });
    };
  }
}

/** Where commit() listens for a report sent on a new association (as Orthanc sends it). */
export interface CommitReportListener {
  /** The port the peer knows us at (its DicomModalities entry); 0 takes a free one (see onListening). */
  readonly port: number;
  /** Interface to bind; default all. */
  readonly host?: string;
  /** DICOM TLS on the listener: tls.createServer options (cert, key, ca, requestCert ...), e.g. tls-context's buildServerOptions. */
  readonly tls?: TlsOptions;
  /** Our AE title on the listener (informative: any called AE title is accepted). Default the calling AE title. */
  readonly aeTitle?: string;
  /** Called once the port is open, before the N-ACTION is sent. */
  readonly onListening?: (port: number) => void;
}

/** The open report listener of one commit(). */
export interface ReportListener {
  readonly port: number;
  /** Stops accepting, and aborts reporters still connected (their report arrived, or is no longer awaited). */
  close(): Promise<void>;
}

/** A short-lived SCP for Storage Commitment in the SCU role only: takes N-EVENT-REPORT-RQs for `waiter`. */
export async function listenForReport(options: CommitReportListener, aeTitle: string, waiter: ReportWaiter): Promise<ReportListener> {
  const associations = new Set<Association>();
  const listener: DicomListener = await listenDicom({
    port: options.port,
    ...(options.host !== undefined && { host: options.host }),
    ...(options.tls !== undefined && { tls: options.tls }),
    onConnection: (socket) => {
      void acceptAssociation(socket, {
        aeTitle: options.aeTitle ?? aeTitle,
        // PS3.4 J.3.3: the reporter proposes the SCP role; we take the SCU role (receiving the report).
        policy: { abstractSyntaxes: [{ abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: COMMITMENT_TRANSFER_SYNTAXES, roles: { scu: true, scp: false } }] },
        onMessage: waiter.handler("new-association"),
      }).then((a) => {
        if (a === undefined) return;
        associations.add(a);
        void a.closed.then(() => associations.delete(a));
      });
    },
  });
  options.onListening?.(listener.port);
  return {
    port: listener.port,
    async close() {
      await listener.close();
      // The reporter releases right after our N-EVENT-REPORT-RSP: let it, within a bound, before aborting what is left.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_GRACE_MS)));
      await Promise.race([Promise.all([...associations].map((a) => a.closed)), bound]);
      clearTimeout(timer);
      for (const a of associations) if (a.isEstablished) await a.abort().catch(() => undefined);
    },
  };
}
