import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { link, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { StorageError, StorageErrorCode, storageErrorFrom } from "./errors.js";
import { encodeFileMeta, readFileMeta, type ReadFileMeta } from "./file-meta.js";
import { checkUid, instanceRelativePath, TEMP_SUFFIX } from "./layout.js";
import { SqliteIndex, type IndexedInstance, type InstanceIdentifiers, type ListFilter } from "./sqlite-index.js";

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
 * Receives one dataset. `write` resolves once the chunk is handed to the file system: await it before asking the
 * socket for more (backpressure). The chunk must not be modified until that promise settles (it is not copied).
 */
export interface InstanceWriter {
  readonly sopInstanceUid: string;
  /** Dataset bytes accepted so far. */
  readonly datasetBytes: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the instance durable (fsync, rename, folder fsync), then indexes it. */
  commit(identifiers?: InstanceIdentifiers): Promise<StoreResult>;
  /** Removes everything written; safe to call more than once and after a failure. */
  abort(): Promise<void>;
}

export interface StoredInstance extends IndexedInstance {
  /** Absolute path of the file. */
  path: string;
}

export interface ReindexResult {
  indexed: number;
  /** Files that are not readable Part 10 files, with the reason. */
  skipped: Array<{ path: string; reason: string }>;
  /** Temporary files of interrupted writes that were removed. */
  removedTemporaries: number;
}

/** The seam for a shared store later: the default is a folder plus SQLite; all methods are async for that reason. */
export interface InstanceStore {
  begin(options: BeginStore): Promise<InstanceWriter>;
  has(sopInstanceUid: string): Promise<boolean>;
  get(sopInstanceUid: string): Promise<StoredInstance | undefined>;
  list(filter?: ListFilter): Promise<StoredInstance[]>;
  count(): Promise<number>;
  /** The dataset bytes of a stored instance (no preamble, no File Meta) as a stream, plus its File Meta. */
  readDataset(sopInstanceUid: string, options?: { highWaterMark?: number }): Promise<{ meta: ReadFileMeta; stream: ReadStream }>;
  /** Rebuilds the index from the files (and removes temporaries of interrupted writes). */
  reindex(): Promise<ReindexResult>;
  close(): Promise<void>;
}

/** Reads identifiers from the start of a dataset, for reindex(); the server passes pdu-codec's parseDatasetHeader. */
export type IdentifierReader = (datasetPrefix: Uint8Array, transferSyntaxUid: string) => InstanceIdentifiers;

export interface FileSystemStoreOptions {
  /** The storage folder (created if missing). Holds the instance tree and `index.sqlite`. */
  folder: string;
  /** This node's (0002,0012) Implementation Class UID. */
  implementationClassUid: string;
  /** This node's (0002,0013) Implementation Version Name. */
  implementationVersionName?: string;
  /** Orthanc's `OverwriteInstances`: replace an instance received again (default false: keep the first). */
  overwriteInstances?: boolean;
  /** For reindex(): without it, rebuilt rows carry only what the File Meta holds. */
  readIdentifiers?: IdentifierReader;
}

export const INDEX_FILE_NAME = "index.sqlite";
/** How much of each dataset reindex() hands to the identifier reader (it copes with a prefix). */
const REINDEX_PREFIX_BYTES = 64 * 1024;

/** fsync a folder so a rename or link inside it survives power loss (POSIX leaves that to the caller). */
async function syncFolder(folder: string): Promise<void> {
  const fh = await open(folder, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Staging buffer per writer; reused across writers because first-touching fresh memory is slow here. */
const STAGING_SIZE = 256 * 1024;
/** Idle staging buffers kept for reuse (beyond this many concurrent writers, extras are left to the GC). */
const STAGING_POOL_LIMIT = 16;

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, off, bytes.byteLength - off);
    off += bytesWritten;
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // Already gone, or the file system is failing: nothing more can be done for a temporary file.
  }
}

const State = { Open: 0, Committing: 1, Done: 2, Failed: 3 } as const;
type StateValue = (typeof State)[keyof typeof State];

/** Writes one instance to a temporary file next to its final place. */
class FileInstanceWriter implements InstanceWriter {
  private state: StateValue = State.Open;
  private failure: StorageError | undefined;
  private tail: Promise<void> = Promise.resolve();
  private written = 0;
  private staging: Buffer | undefined;
  private staged = 0;
  private committing: Promise<StoreResult> | undefined;
  private readonly receivedAt = new Date().toISOString();

  constructor(
    private readonly store: FileSystemInstanceStore,
    private readonly options: BeginStore,
    private readonly relativePath: string,
    private readonly finalPath: string,
    private readonly tempPath: string,
    private readonly fh: FileHandle | undefined,
    private readonly metaLength: number,
  ) {}

  get sopInstanceUid(): string {
    return this.options.sopInstanceUid;
  }
  get datasetBytes(): number {
    return this.written;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.state !== State.Open) return Promise.reject(this.failure ?? this.closedError("write to"));
    this.written += chunk.byteLength;
    const fh = this.fh;
    if (fh === undefined) return Promise.resolve(); // a known duplicate: drained, not kept
    // Chained so chunks land in order even if the caller does not await each write.
    const next = this.tail.then(async () => {
      if (this.state === State.Failed) throw this.error();
      await this.stage(fh, chunk);
    });
    this.tail = next.catch(() => undefined);
    return next.catch(async (err: unknown) => {
      await this.fail(storageErrorFrom(err, "write", this.tempPath));
      throw this.error();
    });
  }

  /**
   * Small chunks (PDVs are often 16 KiB) are copied into a reused staging buffer and written 256 KiB at a time:
   * one thread-pool round trip per chunk would cost more than the copy. Large chunks go straight to the file.
   */
  private async stage(fh: FileHandle, chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength >= STAGING_SIZE) {
      await this.flush(fh);
      await writeAll(fh, chunk);
      return;
    }
    this.staging ??= this.store.takeStagingBuffer();
    let off = 0;
    while (off < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - off, this.staging.byteLength - this.staged);
      this.staging.set(chunk.subarray(off, off + n), this.staged);
      this.staged += n;
      off += n;
      if (this.staged === this.staging.byteLength) await this.flush(fh);
    }
  }

  private async flush(fh: FileHandle): Promise<void> {
    if (this.staging === undefined || this.staged === 0) return;
    const n = this.staged;
    this.staged = 0;
    await writeAll(fh, this.staging.subarray(0, n));
  }

  private releaseStaging(): void {
    if (this.staging !== undefined) this.store.returnStagingBuffer(this.staging);
    this.staging = undefined;
  }

  commit(identifiers: InstanceIdentifiers = {}): Promise<StoreResult> {
    if (this.state !== State.Open) return Promise.reject(this.failure ?? this.closedError("commit"));
    this.state = State.Committing;
    this.committing = this.finish(identifiers);
    return this.committing;
  }

  private async finish(identifiers: InstanceIdentifiers): Promise<StoreResult> {
    await this.tail;
    if (this.failure) throw this.failure;
    const uid = this.options.sopInstanceUid;
    const size = this.metaLength + this.written;
    const row = (fileSize: number): IndexedInstance => ({
      ...pickIdentifiers(identifiers),
      sopInstanceUid: uid,
      sopClassUid: this.options.sopClassUid,
      transferSyntaxUid: this.options.transferSyntaxUid,
      relativePath: this.relativePath,
      size: fileSize,
      receivedAt: this.receivedAt,
      ...(this.options.sourceAeTitle === undefined ? {} : { sourceAeTitle: this.options.sourceAeTitle.trim() }),
      ...(this.options.peerAddress === undefined ? {} : { peerAddress: this.options.peerAddress }),
      ...(this.options.peerCertificateFingerprint === undefined ? {} : { peerCertificateFingerprint: this.options.peerCertificateFingerprint }),
    });
    if (this.fh === undefined) {
      this.state = State.Done;
      return { sopInstanceUid: uid, relativePath: this.relativePath, size: await this.store.sizeOf(this.finalPath), duplicate: true, replaced: false };
    }
    let step = "write";
    try {
      await this.flush(this.fh);
      this.releaseStaging();
      step = "fsync";
      await this.fh.sync();
      step = "close";
      await this.fh.close();
      let duplicate = false;
      let replaced = false;
      if (this.store.overwriteInstances) {
        step = "rename into place";
        replaced = await this.store.exists(this.finalPath);
        await rename(this.tempPath, this.finalPath);
      } else {
        // link() fails with EEXIST instead of replacing: two associations racing on one UID keep the first file.
        step = "link into place";
        try {
          await link(this.tempPath, this.finalPath);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
          duplicate = true;
        }
        step = "remove the temporary file";
        await unlink(this.tempPath);
      }
      step = "fsync the folder of";
      await syncFolder(dirname(this.finalPath));
      this.state = State.Done;
      if (duplicate) {
        const kept = await this.store.sizeOf(this.finalPath);
        // The file may predate the index (a crash before indexing): index what is on disk, keep any row there.
        this.store.index.insertIfAbsent(row(kept));
        return { sopInstanceUid: uid, relativePath: this.relativePath, size: kept, duplicate: true, replaced: false };
      }
      this.store.index.upsert(row(size));
      return { sopInstanceUid: uid, relativePath: this.relativePath, size, duplicate: false, replaced };
    } catch (err) {
      await this.fail(storageErrorFrom(err, step, step.startsWith("fsync the folder") ? dirname(this.finalPath) : this.tempPath));
      throw this.error();
    }
  }

  async abort(): Promise<void> {
    if (this.state === State.Committing) {
      // Too late to abort: the outcome is the commit's (which cleans up itself if it fails).
      await this.committing?.catch(() => undefined);
      return;
    }
    if (this.state === State.Done) return;
    if (this.state === State.Failed) return;
    this.state = State.Failed;
    this.failure = this.closedError("use");
    await this.tail;
    await this.cleanup();
  }

  private async fail(err: StorageError): Promise<void> {
    if (this.state === State.Failed) return;
    this.state = State.Failed;
    this.failure = err;
    await this.cleanup();
  }

  private async cleanup(): Promise<void> {
    this.releaseStaging();
    if (this.fh === undefined) return;
    try {
      await this.fh.close();
    } catch {
      // Already closed by commit before it failed.
    }
    await removeQuietly(this.tempPath);
  }

  private error(): StorageError {
    return this.failure ?? this.closedError("use");
  }

  private closedError(what: string): StorageError {
    return new StorageError(StorageErrorCode.Closed, `cannot ${what} the writer of ${this.options.sopInstanceUid}: it was already committed or aborted`);
  }
}

/** Part 10 files under a folder, indexed in SQLite. */
export class FileSystemInstanceStore implements InstanceStore {
  readonly folder: string;
  readonly overwriteInstances: boolean;
  /** @internal */
  readonly index: SqliteIndex;
  private readonly createdFolders = new Set<string>();
  private readonly stagingPool: Buffer[] = [];
  private closed = false;

  private constructor(
    private readonly options: FileSystemStoreOptions,
    index: SqliteIndex,
  ) {
    this.folder = options.folder;
    this.overwriteInstances = options.overwriteInstances ?? false;
    this.index = index;
  }

  static async open(options: FileSystemStoreOptions): Promise<FileSystemInstanceStore> {
    checkUid(options.implementationClassUid, "Implementation Class UID");
    try {
      await mkdir(options.folder, { recursive: true });
    } catch (err) {
      throw storageErrorFrom(err, "create the storage folder", options.folder);
    }
    return new FileSystemInstanceStore(options, new SqliteIndex(join(options.folder, INDEX_FILE_NAME)));
  }

  async begin(o: BeginStore): Promise<InstanceWriter> {
    this.checkOpen();
    const relativePath = instanceRelativePath(o.sopInstanceUid);
    const meta = encodeFileMeta({
      mediaStorageSopClassUid: o.sopClassUid,
      mediaStorageSopInstanceUid: o.sopInstanceUid,
      transferSyntaxUid: o.transferSyntaxUid,
      implementationClassUid: this.options.implementationClassUid,
      ...(this.options.implementationVersionName === undefined ? {} : { implementationVersionName: this.options.implementationVersionName }),
      ...(o.sourceAeTitle === undefined ? {} : { sourceAeTitle: o.sourceAeTitle }),
    });
    const finalPath = join(this.folder, ...relativePath.split("/"));
    if (!this.overwriteInstances && this.index.has(o.sopInstanceUid) && (await this.exists(finalPath))) {
      // Known and kept: receive the bytes (the peer sends them anyway) without touching the disk.
      return new FileInstanceWriter(this, o, relativePath, finalPath, "", undefined, meta.length);
    }
    const folder = dirname(finalPath);
    const tempPath = `${finalPath.slice(0, -".dcm".length)}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`;
    let fh: FileHandle | undefined;
    try {
      if (!this.createdFolders.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.createdFolders.add(folder);
      }
      fh = await open(tempPath, "wx");
      await fh.write(meta);
    } catch (err) {
      if (fh !== undefined) {
        await fh.close().catch(() => undefined);
        await removeQuietly(tempPath);
      }
      throw storageErrorFrom(err, fh === undefined ? "create" : "write the File Meta of", fh === undefined ? folder : tempPath);
    }
    return new FileInstanceWriter(this, o, relativePath, finalPath, tempPath, fh, meta.length);
  }

  has(sopInstanceUid: string): Promise<boolean> {
    this.checkOpen();
    return Promise.resolve(this.index.has(sopInstanceUid));
  }

  get(sopInstanceUid: string): Promise<StoredInstance | undefined> {
    this.checkOpen();
    const row = this.index.get(sopInstanceUid);
    return Promise.resolve(row === undefined ? undefined : this.withPath(row));
  }

  list(filter?: ListFilter): Promise<StoredInstance[]> {
    this.checkOpen();
    return Promise.resolve(this.index.list(filter).map((r) => this.withPath(r)));
  }

  count(): Promise<number> {
    this.checkOpen();
    return Promise.resolve(this.index.count());
  }

  async readDataset(sopInstanceUid: string, options: { highWaterMark?: number } = {}): Promise<{ meta: ReadFileMeta; stream: ReadStream }> {
    this.checkOpen();
    const path = join(this.folder, ...instanceRelativePath(sopInstanceUid).split("/"));
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (err) {
      throw storageErrorFrom(err, "open", path);
    }
    try {
      const meta = await readFileMeta(fh, path);
      const stream = createReadStream("", { fd: fh, start: meta.datasetOffset, highWaterMark: options.highWaterMark ?? 1 << 20 });
      return { meta, stream };
    } catch (err) {
      await fh.close();
      throw storageErrorFrom(err, "read", path);
    }
  }

  async reindex(): Promise<ReindexResult> {
    this.checkOpen();
    const rows: IndexedInstance[] = [];
    const skipped: ReindexResult["skipped"] = [];
    let removedTemporaries = 0;
    let entries: string[];
    try {
      entries = await readdir(this.folder, { recursive: true });
    } catch (err) {
      throw storageErrorFrom(err, "list", this.folder);
    }
    for (const entry of entries) {
      const path = join(this.folder, entry);
      if (entry.endsWith(TEMP_SUFFIX)) {
        await removeQuietly(path);
        removedTemporaries++;
        continue;
      }
      if (!entry.endsWith(".dcm")) continue;
      try {
        rows.push(await this.describeFile(path, entry.split(sep).join("/")));
      } catch (err) {
        skipped.push({ path, reason: (err as Error).message });
      }
    }
    this.index.replaceAll(rows);
    return { indexed: rows.length, skipped, removedTemporaries };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.index.close();
    }
    return Promise.resolve();
  }

  /** @internal */
  takeStagingBuffer(): Buffer {
    return this.stagingPool.pop() ?? Buffer.allocUnsafeSlow(STAGING_SIZE);
  }

  /** @internal */
  returnStagingBuffer(b: Buffer): void {
    if (this.stagingPool.length < STAGING_POOL_LIMIT) this.stagingPool.push(b);
  }

  /** @internal */
  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  /** @internal */
  async sizeOf(path: string): Promise<number> {
    try {
      return (await stat(path)).size;
    } catch (err) {
      throw storageErrorFrom(err, "stat", path);
    }
  }

  private async describeFile(path: string, relativePath: string): Promise<IndexedInstance> {
    const fh = await open(path, "r");
    try {
      const meta = await readFileMeta(fh, path);
      const info = await fh.stat();
      if (instanceRelativePath(meta.mediaStorageSopInstanceUid) !== relativePath) {
        throw new StorageError(StorageErrorCode.Io, `${path} holds ${meta.mediaStorageSopInstanceUid}, which belongs at ${instanceRelativePath(meta.mediaStorageSopInstanceUid)}`, path);
      }
      let identifiers: InstanceIdentifiers = {};
      const reader = this.options.readIdentifiers;
      if (reader !== undefined) {
        const prefix = Buffer.alloc(Math.min(REINDEX_PREFIX_BYTES, info.size - meta.datasetOffset));
        await fh.read(prefix, 0, prefix.length, meta.datasetOffset);
        identifiers = reader(prefix, meta.transferSyntaxUid);
      }
      return {
        ...pickIdentifiers(identifiers),
        sopInstanceUid: meta.mediaStorageSopInstanceUid,
        sopClassUid: meta.mediaStorageSopClassUid,
        transferSyntaxUid: meta.transferSyntaxUid,
        relativePath,
        size: info.size,
        // The reception time is not in the file; the modification time is when it was written.
        receivedAt: info.mtime.toISOString(),
        ...(meta.sourceAeTitle === undefined ? {} : { sourceAeTitle: meta.sourceAeTitle }),
      };
    } finally {
      await fh.close();
    }
  }

  private withPath(row: IndexedInstance): StoredInstance {
    return { ...row, path: join(this.folder, ...row.relativePath.split("/")) };
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.Closed, `the instance store at ${this.folder} is closed`);
  }
}

/** Only the identifier fields (a header parser returns more). */
function pickIdentifiers(i: InstanceIdentifiers): InstanceIdentifiers {
  const out: InstanceIdentifiers = {};
  const keys = ["patientId", "patientName", "studyInstanceUid", "seriesInstanceUid", "studyDate", "modality", "accessionNumber"] as const;
  for (const k of keys) {
    const v = i[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
