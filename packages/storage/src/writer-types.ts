import type { FdFile } from "./fd-file.js";
import type { InstanceIdentifiers, SqliteIndex } from "./sqlite-index.js";

/** What the C-STORE SCP knows when the dataset starts to arrive. */
export interface BeginStore {
  /** Affected SOP Class UID of the C-STORE-RQ: (0002,0002). */
  sopClassUid: string;
  /** Affected SOP Instance UID of the C-STORE-RQ: (0002,0003) and the file name. */
  sopInstanceUid: string;
  /** Transfer syntax of the presentation context: (0002,0010). The dataset bytes are stored in it unchanged. */
  transferSyntaxUid: string;
  /** Calling AE title: (0002,0016). */
  sourceAeTitle?: string;
  peerAddress?: string;
  peerCertificateFingerprint?: string;
}

export interface StoreResult {
  sopInstanceUid: string;
  /** Relative to the storage folder. */
  relativePath: string;
  /** Bytes in the file (File Meta + dataset). For a duplicate: the size of the file kept. */
  size: number;
  /** The instance was already stored and overwriting is off: what arrived was discarded. */
  duplicate: boolean;
  /** The instance was already stored and overwriting is on: the new file replaced it. */
  replaced: boolean;
}

/**
 * Receives one dataset. `write` resolves once the chunk is accepted (at once while few bytes wait for the file
 * system): await it before asking the socket for more (backpressure). Chunks are not copied: none may be modified
 * until `commit` or `abort` settles.
 */
export interface InstanceWriter {
  readonly sopInstanceUid: string;
  /** Dataset bytes accepted so far. */
  readonly datasetBytes: number;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * write() without a promise while the writer keeps up: undefined, or the promise to wait for before the next chunk
   * (backpressure; it rejects with the write failure). A receiver fed 16 KiB fragments makes no promise per fragment.
   */
  accept(chunk: Uint8Array): Promise<void> | undefined;
  /**
   * Optional early half of commit: writes and fsyncs what arrived, without putting the instance in place (so the
   * caller can validate the dataset meanwhile, and still abort). commit() then only renames and syncs the folder.
   */
  sync(): Promise<void>;
  /** Makes the instance durable (fsync, rename, folder fsync), then indexes it. */
  commit(identifiers?: InstanceIdentifiers): Promise<StoreResult>;
  /** Removes everything written; safe to call more than once and after a failure. */
  abort(): Promise<void>;
}

/** What a writer needs of its store (the store class implements it). */
export interface WriterHost {
  readonly overwriteInstances: boolean;
  /** Orthanc's `SyncStorageArea`: false skips every fsync (file and folder); the order of the steps stays. */
  readonly sync: boolean;
  readonly index: SqliteIndex;
  /** A writer of `uid` is done with its claim. */
  release(uid: string, claim: Claim): void;
  sizeOf(path: string): Promise<number>;
}

/** The writers of one SOP Instance UID in this store. */
export interface Claim {
  writers: number;
  contended: boolean;
}

/** What begin() found out for a writer that keeps the bytes. */
export interface WriterFiles {
  readonly finalPath: string;
  readonly tempPath: string;
  /** The temporary file: written with synchronous calls, fsynced on the thread pool. */
  readonly fh: FdFile;
  /** The final folder's handle, shared by the store's writers (the store closes it): commit fsyncs it. Absent with `sync: false`. */
  readonly folder: FdFile | undefined;
  /** A file is at the final path (for overwriting: it is replaced; otherwise a file the index lost after a crash). */
  readonly finalExists: boolean;
  /** While no other writer of this store took the same UID and nothing is at the final path, rename() replaces nothing. */
  readonly claim: Claim;
  readonly meta: Buffer;
}
