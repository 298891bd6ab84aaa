import { randomBytes } from "node:crypto";
import { createReadStream, statSync, type ReadStream } from "node:fs";
import { mkdir, open, readdir, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StorageError, StorageErrorCode, storageErrorFrom } from "./errors.js";
import type { ReadFileMeta } from "@dicomtls/dataset";
import { fileMetaBytes, readFileMeta } from "./file-meta.js";
import { exists, removeQuietly } from "./fs-util.js";
import { FdFile } from "./fd-file.js";
import { FileInstanceWriter } from "./instance-writer.js";
import type { BeginStore, Claim, InstanceWriter, WriterHost } from "./writer-types.js";
import { checkUid, INDEX_FILE_NAME, instanceRelativePath, INSTANCE_FOLDERS, TEMP_SUFFIX } from "./layout.js";
import { recoverStore, type RecoveryReport } from "./recovery.js";
import { describeFile, listAllInstanceFolders, type IdentifierReader } from "./scan.js";
import { SqliteIndex, type IndexedInstance, type ListFilter } from "./sqlite-index.js";
import type { IndexStore } from "./index-store.js";
import { migrateHierarchy, type MigrationReport } from "./migrate.js";
import { SqliteIndexStore } from "./sqlite-index-store.js";
import type { GroupCommitOptions } from "./group-commit.js";

export interface StoredInstance extends IndexedInstance {
  /** Absolute path of the file. */
  path: string;
}

export interface ReindexResult {
  indexed: number;
  /** Files that are not readable Part 10 files (or misplaced), with the reason; left where they are. */
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

export interface FileSystemStoreOptions {
  /** The storage folder (created if missing). Holds the instance tree and `index.sqlite`. */
  folder: string;
  /** This node's (0002,0012) Implementation Class UID. */
  implementationClassUid: string;
  /** This node's (0002,0013) Implementation Version Name. */
  implementationVersionName?: string;
  /** Orthanc's `OverwriteInstances`: replace an instance received again (default false: keep the first). */
  overwriteInstances?: boolean;
  /**
   * Orthanc's `SyncStorageArea` (default true): commit() resolves once the file and its folder entry are fsynced. False
   * skips those fsyncs (and the early datasyncs of large files): commit() resolves once the bytes are in the page
   * cache, as storescp and Orthanc with that setting answer. The file is still complete and renamed into place before
   * its row is written, so a crash of the process leaves files and index in agreement (the kernel keeps the page cache);
   * a power loss may lose the last instances, or leave them truncated.
   */
  sync?: boolean;
  /** For recovery and reindex(): without it, rows rebuilt from files carry only what the File Meta holds. */
  readIdentifiers?: IdentifierReader;
  /**
   * Reconcile files and index when the store opens (default true): temporaries of interrupted writes removed, files
   * without a row indexed (or moved aside to `quarantine/`), rows without a file removed. See `recovery`.
   */
  recover?: boolean;
  /**
   * Commit the index rows in batches (`GroupCommitOptions`: up to `maxRows` rows or `maxDelayMs` after the first) instead
   * of one transaction per instance. commit() then resolves once the file is in place (durable with `sync`) and its
   * row is in the open batch, which this store's own reads (`get`, `has`, `queryIndex()`) see at once; other
   * connections (`storage check`) see it once the batch is committed. A crash of the process loses the open batch's
   * rows, not their files: start-up recovery indexes those files again. Off by default.
   */
  indexGroupCommit?: GroupCommitOptions;
}

export { INDEX_FILE_NAME };

/** Part 10 files under a folder, indexed in SQLite. */
export class FileSystemInstanceStore implements InstanceStore, WriterHost {
  readonly folder: string;
  readonly overwriteInstances: boolean;
  /** Whether commits fsync (`FileSystemStoreOptions.sync`). */
  readonly sync: boolean;
  /** @internal */
  readonly index: SqliteIndex;
  /** Open descriptors of the instance folders (at most 256), for their fsync after a rename into them. */
  private readonly folderHandles = new Map<string, FdFile>();
  /** SOP Instance UIDs with writers open in this store: only an uncontended writer may rename() into place. */
  private readonly claimed = new Map<string, Claim>();
  private closed = false;
  /** Temporary names are `<uid>.<tempTag><counter>.partial`: random per store, so two processes never pick the same. */
  private readonly tempTag = randomBytes(6).toString("hex");
  private tempCounter = 0;
  /** What start-up recovery found and did (all empty when `recover: false`). */
  readonly recovery: RecoveryReport;
  /** The migration open() did on an index of older code (schema 1 or 2), if any. */
  readonly migration: MigrationReport | undefined;
  private readonly queries: SqliteIndexStore;

  private constructor(
    private readonly options: FileSystemStoreOptions,
    index: SqliteIndex,
    recovery: RecoveryReport,
    migration: MigrationReport | undefined,
  ) {
    this.folder = options.folder;
    this.overwriteInstances = options.overwriteInstances ?? false;
    this.sync = options.sync ?? true;
    this.index = index;
    this.recovery = recovery;
    this.migration = migration;
    this.queries = new SqliteIndexStore(index, this.folder, () => this.checkOpen());
  }

  /**
   * The patient / study / series / instance hierarchy for Query/Retrieve and Storage Commitment (C-FIND `find`,
   * C-MOVE/C-GET `instances`, N-ACTION `instance`), on the same index the C-STORE path writes.
   */
  queryIndex(): IndexStore {
    return this.queries;
  }

  static async open(options: FileSystemStoreOptions): Promise<FileSystemInstanceStore> {
    checkUid(options.implementationClassUid, "Implementation Class UID");
    await createFolders(options.folder);
    const index = new SqliteIndex(join(options.folder, INDEX_FILE_NAME), options.indexGroupCommit === undefined ? {} : { groupCommit: options.indexGroupCommit });
    let recovery: RecoveryReport = { files: 0, removedTemporaries: [], reindexed: [], quarantined: [], removedRows: [], durationMs: 0 };
    let migration: MigrationReport | undefined;
    try {
      // An index of older code: its hierarchy first (recovery then keeps it in step as it adds and removes rows).
      if (index.needsHierarchy) migration = await migrateHierarchy(options.folder, index, options.readIdentifiers);
      if (options.recover !== false) recovery = await recoverStore(options.folder, index, options.readIdentifiers, { checkSizes: options.sync === false });
      // What recovery indexed is committed before the first instance arrives.
      index.flush();
    } catch (err) {
      index.close();
      throw err;
    }
    return new FileSystemInstanceStore(options, index, recovery, migration);
  }

  begin(o: BeginStore): Promise<InstanceWriter> {
    try {
      return Promise.resolve(this.beginNow(o));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** begin() without a turn of the event loop: every step is a synchronous call (see FdFile). */
  private beginNow(o: BeginStore): InstanceWriter {
    this.checkOpen();
    const relativePath = instanceRelativePath(o.sopInstanceUid);
    const meta = fileMetaBytes({
      mediaStorageSopClassUid: o.sopClassUid,
      mediaStorageSopInstanceUid: o.sopInstanceUid,
      transferSyntaxUid: o.transferSyntaxUid,
      implementationClassUid: this.options.implementationClassUid,
      ...(this.options.implementationVersionName === undefined ? {} : { implementationVersionName: this.options.implementationVersionName }),
      ...(o.sourceAeTitle === undefined ? {} : { sourceAeTitle: o.sourceAeTitle }),
    });
    const finalPath = join(this.folder, ...relativePath.split("/"));
    // The index may lack rows the files have (a power loss loses the last WAL commits, until reindex()): the disk
    // decides, and is asked first: a stat of a cached folder entry takes microseconds, and for a new instance (no
    // file) the index need not be asked at all.
    const finalExists = existsNow(finalPath);
    if (!this.overwriteInstances && finalExists && this.index.has(o.sopInstanceUid)) {
      // Known and kept: receive the bytes (the peer sends them anyway) without touching the disk.
      return new FileInstanceWriter(this, o, relativePath, finalPath, undefined, meta.length);
    }
    const folder = dirname(finalPath);
    // Next to the final name: the rename then changes one folder, and that folder's fsync makes it durable.
    const tempPath = join(folder, `${o.sopInstanceUid}.${this.tempTag}${(this.tempCounter++).toString(36)}${TEMP_SUFFIX}`);
    const claim = this.claim(o.sopInstanceUid);
    let fh: FdFile;
    let folderHandle: FdFile | undefined;
    try {
      // Without fsyncs the folder's handle is never used: not opened.
      folderHandle = this.sync ? this.folderHandle(folder) : undefined;
    } catch (err) {
      this.release(o.sopInstanceUid, claim);
      throw storageErrorFrom(err, "open the folder", folder);
    }
    try {
      // Creating a file in a cached folder is a few tens of microseconds: synchronous, like the writes (see FdFile).
      fh = FdFile.open(tempPath, "wx");
    } catch (err) {
      this.release(o.sopInstanceUid, claim);
      throw storageErrorFrom(err, "create", tempPath);
    }
    return new FileInstanceWriter(this, o, relativePath, finalPath, { finalPath, tempPath, fh, folder: folderHandle, finalExists, claim, meta }, meta.length);
  }

  /** The instance folder's descriptor, opened once and kept until close() (a failed open is tried again next time). */
  private folderHandle(folder: string): FdFile {
    let h = this.folderHandles.get(folder);
    if (h === undefined) {
      h = FdFile.open(folder, "r");
      this.folderHandles.set(folder, h);
    }
    return h;
  }

  /** Index rows written but not committed yet (`indexGroupCommit`; always 0 without it). */
  get pendingIndexRows(): number {
    return this.index.group?.pending ?? 0;
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

  /** Rebuilds the index from the files in one transaction (interrupted, the old index stays); see also rebuildIndex(). */
  async reindex(): Promise<ReindexResult> {
    this.checkOpen();
    const rows: IndexedInstance[] = [];
    const skipped: ReindexResult["skipped"] = [];
    let removedTemporaries = 0;
    for (const listing of await listAllInstanceFolders(this.folder)) {
      for (const name of listing.temporaries) {
        await removeQuietly(join(this.folder, listing.folder, name));
        removedTemporaries++;
      }
      for (const name of listing.instances) {
        const found = await describeFile(this.folder, `${listing.folder}/${name}`, this.options.readIdentifiers);
        if (found.kind === "instance") rows.push(found.row);
        else skipped.push({ path: join(this.folder, listing.folder, name), reason: found.reason });
      }
    }
    this.index.replaceAll(rows);
    return { indexed: rows.length, skipped, removedTemporaries };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.index.close();
    for (const h of this.folderHandles.values()) h.closeQuietly();
    this.folderHandles.clear();
    return Promise.resolve();
  }

  /** @internal Registers a writer of `uid`; a second writer of it marks the claim contended (for both). */
  claim(uid: string): Claim {
    const c = this.claimed.get(uid);
    if (c === undefined) {
      const fresh = { writers: 1, contended: false };
      this.claimed.set(uid, fresh);
      return fresh;
    }
    c.writers++;
    c.contended = true;
    return c;
  }

  /** @internal A writer of `uid` is done. */
  release(uid: string, claim: Claim): void {
    if (--claim.writers === 0 && this.claimed.get(uid) === claim) this.claimed.delete(uid);
  }

  /** @internal */
  exists(path: string): Promise<boolean> {
    return exists(path);
  }

  /** @internal */
  async sizeOf(path: string): Promise<number> {
    try {
      return (await stat(path)).size;
    } catch (err) {
      throw storageErrorFrom(err, "stat", path);
    }
  }

  private withPath(row: IndexedInstance): StoredInstance {
    return { ...row, path: join(this.folder, ...row.relativePath.split("/")) };
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.Closed, `the instance store at ${this.folder} is closed`);
  }
}

/** Whether anything is at `path` (an unreadable path counts as nothing, as exists() has it), with one synchronous stat. */
function existsNow(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Creates the storage folder and its 256 instance folders, durably: each new folder's entry is fsynced in its parent
 * (POSIX leaves that to the caller). Once a store exists this is one readdir.
 */
async function createFolders(root: string): Promise<void> {
  let step = "create the storage folder";
  let at = root;
  try {
    const createdFrom = await mkdir(root, { recursive: true });
    step = "list the storage folder";
    const present = new Set(await readdir(root));
    const missing = INSTANCE_FOLDERS.filter((name) => !present.has(name));
    step = "create the instance folders in";
    await Promise.all(missing.map((name) => mkdir(join(root, name)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    })));
    const changed = missing.length > 0 ? [root] : [];
    // A storage folder created here: its own entry (and those of the folders created above it) too.
    if (createdFrom !== undefined) for (let d = root; d.length >= createdFrom.length; d = dirname(d)) changed.push(dirname(d));
    step = "fsync";
    for (const folder of changed) {
      at = folder;
      const fh = await open(folder, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  } catch (err) {
    throw storageErrorFrom(err, step, at);
  }
}
