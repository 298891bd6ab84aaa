import { join } from "node:path";
import type { Registry } from "prom-client";
import { registerSnapshotGauges } from "../http/snapshot-gauges.js";
import { availableParallelism } from "node:os";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@dicomtls/association";
import { createCodecRunner, type CodecRunner, type CodecRunnerOptions, type CodecRunnerStats, parseDatasetHeader, type DatasetHeader } from "@dicomtls/dataset";
import { Status } from "@dicomtls/pdu-codec";
import {
  StoreRefusedError,
  acceptedTransferSyntaxes,
  createStorageService,
  type InstanceSink,
  type StorageService,
  type StoredInstance,
  type StoredInstanceHook,
  type StoreFailure,
} from "@dicomtls/scp";
import {
  FileSystemInstanceStore,
  recoveryWasClean,
  StorageError,
  StorageErrorCode,
  type InstanceIdentifiers,
  type InstanceStore,
  type RecoveryReport,
} from "@dicomtls/storage";
import { displayAddress } from "../diagnostics-log.js";
import type { NodeHooks, ServerApp, ServerPlugin } from "../plugin-types.js";
import { peerFacts } from "./facts.js";

export const STORAGE_PLUGIN_NAME = "storage";

export interface StoragePluginOptions {
  /** Observes every stored instance (after it is durable); the same as `onInstanceStored(app, hook)`. */
  readonly onInstanceStored?: StoredInstanceHook;
  /** Codec runner settings (threads, thresholds); default the measured defaults of @dicomtls/association. */
  readonly codec?: CodecRunnerOptions;
}

/** The storage service of each running server, for the plugins that declare `dependencies: ["storage"]`. */
const services = new WeakMap<NodeHooks, StorageService>();
/** What the storage plugin owns and shares with the plugins that depend on it (query, retrieve, commitment). */
export interface StorageShare {
  readonly store: FileSystemInstanceStore;
  /** The node's one codec runner (Piscina pool): dataset work off the event loop. */
  readonly codec: CodecRunner;
}
const shares = new WeakMap<NodeHooks, StorageShare>();

/** The store and codec runner of a running server, for a plugin that declares `dependencies: ["storage"]`. */
export function storageOf(app: ServerApp): StorageShare {
  const share = shares.get(app.node);
  if (share === undefined) throw new Error(`the "${STORAGE_PLUGIN_NAME}" plugin is not registered: declare dependencies: ["${STORAGE_PLUGIN_NAME}"]`);
  return share;
}

/**
 * The "stored instance" hook for other plugins: `hook` runs after each instance became durable (after the peer's
 * Success is on its way; errors are published on `dicom:scp:stored-hook-error`, never sent to the peer).
 * Returns the function that removes the hook.
 */
export function onInstanceStored(app: ServerApp, hook: StoredInstanceHook): () => void {
  const service = services.get(app.node);
  if (service === undefined) throw new Error(`the "${STORAGE_PLUGIN_NAME}" plugin is not registered: declare dependencies: ["${STORAGE_PLUGIN_NAME}"]`);
  return service.onInstanceStored(hook);
}

/**
 * `DicomThreadsCount` here: Orthanc's number of DICOM operations served at once becomes the most worker threads the
 * codec pool (header parsing, file preparation) may use. Associations themselves are served concurrently on the event
 * loop, which keeps a core of its own: the pool never exceeds the cores less one (the measured default), so on a
 * 2-core machine it stays at one worker whatever the key says. `cores` is injectable for tests.
 */
export function codecThreadsOf(dicomThreadsCount: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(dicomThreadsCount, cores - 1));
}

/** The identifier fields and main tags the index keeps, from the parsed header. */
export function identifiersOf(h: DatasetHeader): InstanceIdentifiers {
  const out: InstanceIdentifiers = {};
  if (h.patientId !== undefined) out.patientId = h.patientId;
  if (h.patientName !== undefined) out.patientName = h.patientName;
  if (h.studyInstanceUid !== undefined) out.studyInstanceUid = h.studyInstanceUid;
  if (h.seriesInstanceUid !== undefined) out.seriesInstanceUid = h.seriesInstanceUid;
  if (h.studyDate !== undefined) out.studyDate = h.studyDate;
  if (h.modality !== undefined) out.modality = h.modality;
  if (h.accessionNumber !== undefined) out.accessionNumber = h.accessionNumber;
  // The main tags of every level, for the hierarchy Query/Retrieve reads (parsed in the worker with the rest).
  if (h.tags !== undefined) out.tags = h.tags;
  return out;
}

/** Storage failures as C-STORE statuses: a UID that cannot be a file name is the peer's (C000); the rest is ours (A700). */
function refusalOf(err: unknown): unknown {
  if (err instanceof StorageError && err.code === StorageErrorCode.InvalidValue) return new StoreRefusedError(Status.CannotUnderstand, err.message, { cause: err });
  return err;
}

/** The instance store seen through the SCP's sink interface (scp does not import storage). */
export function instanceStoreSink(store: InstanceStore, hooks?: NodeHooks): InstanceSink {
  return {
    async begin(info) {
      const writer = await store
        .begin({
          sopClassUid: info.sopClassUid,
          sopInstanceUid: info.sopInstanceUid,
          transferSyntaxUid: info.transferSyntaxUid,
          sourceAeTitle: info.callingAeTitle.trim(),
          peerAddress: displayAddress(info.peer.address),
          ...(info.peerCertificateFingerprint !== undefined && { peerCertificateFingerprint: info.peerCertificateFingerprint }),
        })
        .catch((err: unknown) => {
          throw refusalOf(err);
        });
      return {
        write: (chunk) => writer.write(chunk),
        accept: (chunk) => writer.accept(chunk),
        sync: () => writer.sync(),
        async commit(header) {
          // Plugins' onInstanceReceived: the data set is complete and parsed, nothing is in place yet.
          if (hooks?.wantsReceived === true) {
            const refusal = await hooks.instanceReceived({
              sopClassUid: info.sopClassUid,
              sopInstanceUid: info.sopInstanceUid,
              transferSyntaxUid: info.transferSyntaxUid,
              callingAet: info.callingAeTitle.trim(),
              calledAet: info.calledAeTitle.trim(),
              peer: peerFacts(info.peer),
              header,
            });
            if (refusal !== undefined) throw new StoreRefusedError(refusal.status, refusal.why);
          }
          const r = await writer.commit(identifiersOf(header));
          return { duplicate: r.duplicate, replaced: r.replaced, location: r.relativePath, size: r.size };
        },
        abort: () => writer.abort(),
      };
    },
  };
}

/** Index rows per batch at most with IndexGroupCommitDelay (the delay bounds a batch first; this bounds a burst). */
const INDEX_GROUP_COMMIT_ROWS = 256;

/** Paths listed in the start-up record at most, per kind (the counts are always complete). */
const RECOVERY_LIST_MAX = 100;

/** The one start-up record of storage recovery: the counts, and (up to a limit) what was touched. */
function logRecovery(logger: ServerApp["logger"], folder: string, r: RecoveryReport): void {
  const clean = recoveryWasClean(r);
  const record = {
    event: "storage-recovered",
    folder,
    files: r.files,
    removedTemporaries: r.removedTemporaries.length,
    reindexed: r.reindexed.length,
    quarantined: r.quarantined.length,
    removedRows: r.removedRows.length,
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(!clean && {
      details: {
        reindexed: r.reindexed.slice(0, RECOVERY_LIST_MAX),
        quarantined: r.quarantined.slice(0, RECOVERY_LIST_MAX),
        removedRows: r.removedRows.slice(0, RECOVERY_LIST_MAX),
      },
    }),
  };
  const text =
    `storage ${folder}: ${r.files} files; ${r.removedTemporaries.length} temporaries of interrupted writes removed, ` +
    `${r.reindexed.length} files without an index row indexed, ${r.quarantined.length} unreadable files moved to quarantine/, ` +
    `${r.removedRows.length} rows without a file removed`;
  // Something other than a crash's temporaries means files or rows had gone astray: worth a look.
  if (r.quarantined.length + r.removedRows.length > 0) logger.warn(record, text);
  else logger.info(record, text);
}

/** The codec worker pool on /metrics, read at scrape time (a plugin's own metrics, through the node's registry). */
function registerCodecMetrics(registry: Registry, stats: () => CodecRunnerStats): void {
  registerSnapshotGauges(registry, "dicomtls_codec_pool_", stats, [
    ["threads", "Codec worker threads alive.", (s) => s.threads],
    ["utilization_ratio", "Codec pool utilization since it started, 0-1.", (s) => s.utilization],
    ["pending_tasks", "Codec tasks running on workers or waiting for one.", (s) => s.pending],
    ["queue_length", "Codec tasks waiting because the pool accepts no more at once (their sockets are paused).", (s) => s.queued],
  ]);
}

/** The stable `code` of an error (`ERR_DICOM_*`, ENOSPC ...), for the log record. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

const hex = (status: number): string => `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The Storage SCP of the server: every Storage SOP Class with the transfer syntaxes of AcceptedTransferSyntaxes and the
 * legacy *TransferSyntaxAccepted switches (UnknownSopClassAccepted: any abstract syntax), instances written durably
 * under StorageDirectory (OverwriteInstances for duplicates; SyncStorageArea false skips the fsyncs), one log record per stored instance. With DeidentifyLogs
 * (Orthanc's default) the records carry UIDs but no patient name or ID.
 */
export const storagePlugin: ServerPlugin<StoragePluginOptions | undefined> = {
  name: STORAGE_PLUGIN_NAME,
  async register(app, options = {}) {
    const { config, logger } = app;
    const store = await FileSystemInstanceStore.open({
      folder: config.storageDirectory,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      overwriteInstances: config.overwriteInstances,
      // false: answered once the file is complete in the page cache and indexed (safe against a crash of this process).
      sync: config.syncStorageArea,
      // Rows committed in batches (IndexGroupCommitDelay ms at most): a crash loses no file, recovery re-indexes them.
      ...(config.indexGroupCommitDelay > 0 && {
        indexGroupCommit: {
          maxRows: INDEX_GROUP_COMMIT_ROWS,
          maxDelayMs: config.indexGroupCommitDelay,
          onError: (err: StorageError) =>
            logger.error({ event: "index-commit-failed", folder: config.storageDirectory, code: err.code, error: err.message }, `${err.message}: the rows are written again with the next batch (start-up recovery indexes their files if the node stops first)`),
        },
      }),
      // Start-up recovery and reindex(): the parse runs on this thread, on a 64 KB prefix (growing as the SCP's does).
      readIdentifiers: (prefix, transferSyntaxUid) => identifiersOf(parseDatasetHeader(prefix, transferSyntaxUid)),
    });
    const m = store.migration;
    if (m !== undefined) {
      logger.info(
        { event: "storage-migrated", folder: config.storageDirectory, fromVersion: m.fromVersion, rows: m.rows, withoutFile: m.withoutFile, durationMs: Math.round(m.durationMs) },
        `storage ${config.storageDirectory}: index of schema ${m.fromVersion} migrated, the patient/study/series hierarchy built from ${m.rows} rows (${m.withoutFile} without a readable file)`,
      );
    }
    logRecovery(logger, config.storageDirectory, store.recovery);
    if (!store.sync) {
      logger.warn(
        { event: "storage-not-synced", folder: config.storageDirectory },
        `SyncStorageArea is false: instances are acknowledged before they reach the disk under ${config.storageDirectory}; a crash of this process loses none, a power loss may lose the last ones (run dicomtls storage check after one)`,
      );
    }
    const threads = codecThreadsOf(config.dicomThreadsCount);
    const codec = createCodecRunner({ threads, ...options.codec });
    logger.info(
      { event: "codec-pool", threads: options.codec?.threads ?? threads, dicomThreadsCount: config.dicomThreadsCount },
      `codec pool: up to ${options.codec?.threads ?? threads} worker thread(s) (DicomThreadsCount ${config.dicomThreadsCount}, ${availableParallelism()} cores, one kept for the event loop)`,
    );
    app.onClose(async () => {
      await codec.close();
      await store.close();
    });
    const stats = codec.stats?.bind(codec);
    if (stats !== undefined) registerCodecMetrics(app.metrics.registry, stats);
    // Load the worker before the port opens: the first instance must not wait ~0.5 s for dcmjs to load.
    await codec.warmUp();

    const transferSyntaxes = acceptedTransferSyntaxes(config.acceptedTransferSyntaxes, config.transferSyntaxGroups);
    if (transferSyntaxes.length === 0) {
      logger.warn({ event: "storage-no-transfer-syntax" }, "AcceptedTransferSyntaxes matches no transfer syntax: every C-STORE presentation context will be refused");
    }
    const service = createStorageService({
      sink: instanceStoreSink(store, app.node),
      codec,
      transferSyntaxes,
      unknownSopClassAccepted: config.unknownSopClassAccepted,
    });
    service.register(app.scp);
    services.set(app.node, service);
    shares.set(app.node, { store, codec });

    const deidentify = config.deidentifyLogs;
    service.onInstanceStored((i: StoredInstance) => {
      const r = i.result;
      logger.info(
        {
          event: "instance-stored",
          sopInstanceUid: i.sopInstanceUid,
          sopClassUid: i.sopClassUid,
          transferSyntaxUid: i.transferSyntaxUid,
          callingAet: i.callingAeTitle.trim(),
          peer: `${displayAddress(i.peer.address)}:${i.peer.port}`,
          bytes: i.datasetBytes,
          durationMs: Math.round(i.durationMs * 10) / 10,
          duplicate: r.duplicate,
          ...(r.replaced === true && { replaced: true }),
          ...(r.location !== undefined && { path: r.location }),
          ...(!deidentify && {
            ...(i.header.patientId !== undefined && { patientId: i.header.patientId }),
            ...(i.header.patientName !== undefined && { patientName: i.header.patientName }),
            ...(i.header.studyInstanceUid !== undefined && { studyInstanceUid: i.header.studyInstanceUid }),
          }),
        },
        `${r.duplicate ? "kept the stored copy of" : "stored"} ${i.sopInstanceUid} from ${i.callingAeTitle.trim()} (${i.datasetBytes} bytes)`,
      );
    });
    service.onStoreFailed((f: StoreFailure) => {
      logger.warn(
        {
          event: "store-failed",
          status: hex(f.status),
          sopInstanceUid: f.sopInstanceUid,
          sopClassUid: f.sopClassUid,
          callingAet: f.association.callingAeTitle.trim(),
          peer: `${displayAddress(f.association.peer.address)}:${f.association.peer.port}`,
          ...(codeOf(f.error) !== undefined && { code: codeOf(f.error) }),
        },
        `C-STORE of ${f.sopInstanceUid ?? "?"} from ${f.association.callingAeTitle.trim()} answered ${hex(f.status)}: ${f.reason}`,
      );
    });
    if (options.onInstanceStored !== undefined) service.onInstanceStored(options.onInstanceStored);
    // Every plugin's app.onInstanceStored, with the file's absolute path.
    service.onInstanceStored((i: StoredInstance) =>
      app.node.instanceStored({
        sopClassUid: i.sopClassUid,
        sopInstanceUid: i.sopInstanceUid,
        transferSyntaxUid: i.transferSyntaxUid,
        header: i.header,
        path: i.result.location === undefined ? config.storageDirectory : join(config.storageDirectory, i.result.location),
        duplicate: i.result.duplicate,
        callingAet: i.callingAeTitle.trim(),
        calledAet: i.association.calledAeTitle.trim(),
        peer: peerFacts(i.peer),
        bytes: i.datasetBytes,
      }),
    );
    // The Query/Retrieve index (the IndexStore interface of @dicomtls/storage) that app.index answers with.
    app.node.provideIndex(store.queryIndex());
  },
};
