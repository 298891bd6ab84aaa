import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { CommitmentChannels, createCommitmentService, type CommitmentLookup, type CommitmentRequester, type CommitmentService } from "@dicomtls/scp";
import type { FailedSopReference, SopReference } from "@dicomtls/pdu-codec";
import { displayAddress } from "../diagnostics-log.js";
import { modalityByAet } from "../outgoing.js";
import type { ServerApp } from "../plugin-types.js";

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(4, "0")}`;

interface SentMessage {
  readonly transactionUid: string;
  readonly requester: CommitmentRequester;
  readonly via: string;
  readonly eventTypeId: number;
  readonly committed: readonly SopReference[];
  readonly failed: readonly FailedSopReference[];
  readonly status: number;
}

/**
 * Storage Commitment Push Model SCP of the server (PS3.4 Annex J), answered from the instance store: the report goes
 * on the same association when the requester asked for that (role selection), else on a new association to the
 * requester's DicomModalities entry with its UseDicomTls, Timeout and host, as Orthanc sends it. One log record per
 * report (event commitment-report-sent / commitment-report-failed). Access (AllowNAction) is the access control's.
 */
export function registerCommitment(app: ServerApp, lookup: CommitmentLookup): CommitmentService {
  const { config, logger } = app;
  const service = createCommitmentService({
    lookup,
    reportConnection: (requester) => {
      const modality = modalityByAet(config, requester.aeTitle);
      if (modality === undefined) return undefined;
      const { label: _label, callingAeTitle: _localAet, ...connection } = app.modalityConnection(modality);
      // PS3.4 J.3.3.1.1: the report's association is requested with the AE title the requester called, not LocalAet.
      return connection;
    },
  });
  service.register(app.scp);

  const onSent = (m: unknown): void => {
    const s = m as SentMessage;
    logger.info(
      {
        event: "commitment-report-sent",
        transactionUid: s.transactionUid,
        requester: s.requester.aeTitle,
        peer: displayAddress(s.requester.peer.address),
        via: s.via,
        eventTypeId: s.eventTypeId,
        committed: s.committed.length,
        failed: s.failed.map((f) => ({ sopInstanceUid: f.sopInstanceUid, failureReason: hex(f.failureReason) })),
        status: hex(s.status),
      },
      `storage commitment ${s.transactionUid} for ${s.requester.aeTitle}: ${s.committed.length} committed, ${s.failed.length} failed, report sent on the ${s.via === "same-association" ? "same" : "a new"} association (answered ${hex(s.status)})`,
    );
  };
  const onFailed = (m: unknown): void => {
    const f = m as { transactionUid: string; requester: CommitmentRequester; error: unknown };
    const e = f.error as Error & { code?: string };
    logger.warn(
      { event: "commitment-report-failed", transactionUid: f.transactionUid, requester: f.requester.aeTitle, peer: displayAddress(f.requester.peer.address), ...(e.code !== undefined && { code: e.code }) },
      `storage commitment ${f.transactionUid} for ${f.requester.aeTitle}: the report could not be delivered: ${e.message}`,
    );
  };
  subscribe(CommitmentChannels.reportSent, onSent);
  subscribe(CommitmentChannels.reportFailed, onFailed);
  app.onClose(async () => {
    await service.idle();
    unsubscribe(CommitmentChannels.reportSent, onSent);
    unsubscribe(CommitmentChannels.reportFailed, onFailed);
  });
  return service;
}
