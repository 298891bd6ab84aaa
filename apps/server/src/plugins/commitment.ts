import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { CommitmentChannels, createCommitmentService, type CommitmentRequester } from "@dicomtls/scp";
import type { FailedSopReference, SopReference } from "@dicomtls/dataset";
import { displayAddress } from "../diagnostics-log.js";
import { ModalityConnector, modalityByAet } from "../modality-connection.js";
import type { ServerApp, ServerPlugin } from "../plugin-types.js";
import { STORAGE_PLUGIN_NAME, storageOf } from "./storage.js";

export const COMMITMENT_PLUGIN_NAME = "commitment";

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
 * Storage Commitment Push Model SCP of the server (PS3.4 Annex J), answered from the index (IndexStore.instance: stored,
 * with which SOP class). The report goes on the same association when the requester asked for that (role selection),
 * else on a new association to the requester's DicomModalities entry with its UseDicomTls, Timeout and host, as
 * Orthanc sends it; that association calls with the AE title the requester called (PS3.4 J.3.3.1.1, Orthanc does the
 * same), not LocalAet. One log record per report (commitment-report-sent / commitment-report-failed). Access
 * (AllowNAction, AllowEventReport) is the SCP's access control.
 */
export const commitmentPlugin: ServerPlugin<undefined> = {
  name: COMMITMENT_PLUGIN_NAME,
  dependencies: [STORAGE_PLUGIN_NAME],
  register(app) {
    registerCommitment(app);
  },
};

function registerCommitment(app: ServerApp): void {
  const { config, logger } = app;
  const index = storageOf(app).store.queryIndex();
  const connector = new ModalityConnector(config, () => app.tlsContext());
  const service = createCommitmentService({
    lookup: (uid) => index.instance(uid),
    reportConnection: async (requester) => {
      const modality = modalityByAet(config, requester.aeTitle);
      if (modality === undefined) return undefined;
      const { callingAeTitle: _localAet, ...connection } = await connector.options(modality);
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
}
