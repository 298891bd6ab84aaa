import fs from "node:fs";
import { dirname } from "node:path";
import { StorageError, StorageErrorCode, storageErrorFrom } from "./errors.js";
import { removeQuietly } from "./fs-util.js";
import { pickIdentifiers } from "./scan.js";
import type { IndexedInstance, InstanceIdentifiers } from "./sqlite-index.js";
import type { BeginStore, InstanceWriter, StoreResult, WriterFiles, WriterHost } from "./writer-types.js";

/**
 * Received chunks are gathered up to about this size and written with one synchronous writev, on the calling thread.
 * A write into the page cache is a copy of the bytes (~40 us for 128 KiB here) that costs the same CPU on any thread;
 * handing it to the thread pool instead cost the event loop a round trip of ~0.2 ms per write (openFileHandle, writev,
 * fsync, stat were the top self-time entries of a profile while receiving 512 KB files: issue 13), and a promise per
 * chunk. What waits on the disk (fsync, datasync) still goes to the pool (see FdFile). 256 KiB since the receive path
 * hands on 16 KiB socket reads (issue 13): with 64 KiB a 512 KB instance took 8 pwritev calls, now 2 (strace -c, 200
 * instances: 1600 -> 400 calls).
 */
const WRITE_BYTES = 256 * 1024;
/**
 * The first bytes of each instance (File Meta included) up to this many are written synchronously; the rest of a
 * larger instance goes to the thread pool in WRITE_POOL_BYTES writes. A synchronous write stalls the event loop, and
 * every association on it, whenever the kernel throttles writers (dirty pages over its limit, a busy disk: a 210 ms
 * stall measured with 10 MB instances on a loaded VM): small instances are where the per-write round trip dominated,
 * large ones are bound by bandwidth, where a round trip per MiB is noise.
 */
const SYNC_WRITE_BYTES = 1024 * 1024;
/** Thread-pool writes of a large instance gather up to this much (1 MiB writes ran at the page cache's 2-3 GB/s). */
const WRITE_POOL_BYTES = 1024 * 1024;
/** writev takes at most IOV_MAX (1024) buffers. */
const WRITE_MAX_PARTS = 256;
/**
 * Bytes handed to the thread pool and not yet written, per writer. Below this `write()` resolves at once, so the
 * socket keeps being read while earlier chunks are written; above it `write()` waits: the backpressure bound.
 */
const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/**
 * A large instance starts its writeback while it still arrives (one datasync in flight at a time, every this many
 * bytes), so the fsync before the answer flushes only the tail. Measured with probe-store.ts, storescu -> dicomtls,
 * 4 runs each: one 200 MB instance received in 0.89-0.93 s with 32 MiB, 0.71-0.78 s with 4 MiB (2 and 8 MiB alike);
 * 20 x 10 MB: 1.13-1.30 s -> 1.03-1.24 s, the fsync after the last byte 8-10 ms -> 2.5-4 ms per file. Fewer dirty
 * pages wait at any time (which also keeps the synchronous writes from meeting the kernel's dirty-page throttling).
 */
const EARLY_SYNC_BYTES = 4 * 1024 * 1024;

/** Writes `parts` at `position` on `fd` synchronously, continuing after short writes (`fs.` at the call: tests count). */
function writevAllSync(fd: number, parts: Uint8Array[], position: number): void {
  let todo = parts;
  let pos = position;
  for (;;) {
    const bytesWritten = fs.writevSync(fd, todo, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    let i = 0;
    while (i < todo.length && skip >= todo[i]!.byteLength) skip -= todo[i++]!.byteLength;
    if (i === todo.length) return;
    todo = [todo[i]!.subarray(skip), ...todo.slice(i + 1)];
  }
}

const State = { Open: 0, Committing: 1, Done: 2, Failed: 3 } as const;
type StateValue = (typeof State)[keyof typeof State];

/** What write() returns while it accepts: one settled promise, not one per chunk. */
const ACCEPTED: Promise<void> = Promise.resolve();

/** Writes one instance to a temporary file next to its final place. */
export class FileInstanceWriter implements InstanceWriter {
  private state: StateValue = State.Open;
  private failure: StorageError | undefined;
  /** The first write error; reported by the next write() or commit(). */
  private ioError: StorageError | undefined;
  private written = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** File position the next write goes to (everything before it is written). */
  private position = 0;
  /** Pool writes of a large instance not yet settled, and their bytes. */
  private readonly jobs = new Set<Promise<void>>();
  private inFlightBytes = 0;
  private earlySync: Promise<void> | undefined;
  private syncedTo = 0;
  private committing: Promise<StoreResult> | undefined;
  private syncing: Promise<void> | undefined;
  /** File position the last successful fsync covered (-1: none yet). */
  private fsyncedTo = -1;
  private released = false;
  private readonly receivedAt = new Date().toISOString();

  constructor(
    private readonly store: WriterHost,
    private readonly options: BeginStore,
    private readonly relativePath: string,
    private readonly finalPath: string,
    private readonly files: WriterFiles | undefined,
    private readonly metaLength: number,
  ) {
    if (files !== undefined) this.enqueue(files.meta);
  }

  get sopInstanceUid(): string {
    return this.options.sopInstanceUid;
  }
  get datasetBytes(): number {
    return this.written;
  }

  /**
   * Chunks are kept as they are (views, not copied) until written (synchronously once about WRITE_BYTES wait, or on
   * the pool past SYNC_WRITE_BYTES, or at sync/commit): the caller must not modify a chunk before commit or abort.
   */
  write(chunk: Uint8Array): Promise<void> {
    return this.accept(chunk) ?? ACCEPTED;
  }

  accept(chunk: Uint8Array): Promise<void> | undefined {
    if (this.state !== State.Open) return Promise.reject(this.failure ?? this.closedError("write to"));
    this.written += chunk.byteLength;
    if (this.files === undefined) return undefined; // a known duplicate: drained, not kept
    if (this.ioError === undefined) this.enqueue(chunk);
    if (this.ioError !== undefined) return this.failWith(this.ioError);
    return this.inFlightBytes > MAX_IN_FLIGHT_BYTES ? this.room() : undefined;
  }

  private enqueue(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    const gather = this.position < SYNC_WRITE_BYTES ? WRITE_BYTES : WRITE_POOL_BYTES;
    if (this.pendingBytes >= gather || this.pending.length >= WRITE_MAX_PARTS) this.flush();
  }

  /** Writes the pending chunks now (synchronously, or on the pool for a large instance); a failure goes to ioError. */
  private flush(): void {
    const files = this.files;
    if (files === undefined || this.pendingBytes === 0 || this.ioError !== undefined) return;
    const parts = this.pending;
    const bytes = this.pendingBytes;
    const position = this.position;
    this.pending = [];
    this.pendingBytes = 0;
    if (position + bytes <= SYNC_WRITE_BYTES) {
      try {
        writevAllSync(files.fh.fd, parts, position);
      } catch (err) {
        this.ioError = storageErrorFrom(err, "write the file", files.tempPath);
        return;
      }
    } else {
      this.inFlightBytes += bytes;
      const job: Promise<void> = files.fh.writev(parts, position).then(
        () => this.settle(job, bytes),
        (err: unknown) => {
          this.ioError ??= storageErrorFrom(err, "write the file", files.tempPath);
          this.settle(job, bytes);
        },
      );
      this.jobs.add(job);
    }
    this.position += bytes;
    if (this.store.sync && this.earlySync === undefined && this.position - this.syncedTo >= EARLY_SYNC_BYTES) {
      const upTo = this.position;
      this.earlySync = files.fh.datasync().then(
        () => {
          this.syncedTo = upTo;
          this.earlySync = undefined;
        },
        (err: unknown) => {
          this.ioError ??= storageErrorFrom(err, "fsync the file", files.tempPath);
          this.earlySync = undefined;
        },
      );
    }
  }

  private settle(job: Promise<void>, bytes: number): void {
    this.inFlightBytes -= bytes;
    this.jobs.delete(job);
  }

  /** Waits until the pool writes are below the backpressure bound. */
  private async room(): Promise<void> {
    while (this.inFlightBytes > MAX_IN_FLIGHT_BYTES && this.jobs.size > 0) await Promise.race(this.jobs);
    if (this.ioError !== undefined) await this.failWith(this.ioError);
  }

  /** Waits until every pool write handed out so far settled, and the early datasync. */
  private async drain(): Promise<void> {
    while (this.jobs.size > 0) await Promise.all(this.jobs);
    await this.earlySync;
  }

  private async failWith(err: StorageError): Promise<never> {
    await this.fail(err);
    throw this.error();
  }

  sync(): Promise<void> {
    if (this.state !== State.Open) return Promise.reject(this.failure ?? this.closedError("sync"));
    if (this.files === undefined) return Promise.resolve();
    this.syncing ??= this.syncFile(this.files);
    return this.syncing;
  }

  /**
   * Writes the pending chunks, waits for an early datasync, fsyncs the file (with `sync: false` the bytes stop in the
   * page cache). Failures go through fail().
   */
  private async syncFile(files: WriterFiles): Promise<void> {
    this.flush();
    await this.drain();
    if (this.ioError !== undefined) return this.failWith(this.ioError);
    // Aborted meanwhile: the descriptor is closed, nothing is left to sync.
    if (this.state === State.Failed) throw this.error();
    if (!this.store.sync) return;
    const upTo = this.position;
    try {
      await files.fh.sync();
    } catch (err) {
      return this.failWith(storageErrorFrom(err, "fsync the file", files.tempPath));
    }
    this.fsyncedTo = upTo;
  }

  commit(identifiers: InstanceIdentifiers = {}): Promise<StoreResult> {
    if (this.state !== State.Open) return Promise.reject(this.failure ?? this.closedError("commit"));
    this.state = State.Committing;
    this.committing = this.finish(identifiers);
    return this.committing;
  }

  private async finish(identifiers: InstanceIdentifiers): Promise<StoreResult> {
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
    const files = this.files;
    if (files === undefined) {
      this.state = State.Done;
      return { sopInstanceUid: uid, relativePath: this.relativePath, size: await this.store.sizeOf(this.finalPath), duplicate: true, replaced: false };
    }
    const { fh, tempPath, finalPath } = files;
    const index = this.store.index;
    // Each step names itself in the error (file, folder or index) and the path it was at.
    let step = "write the file";
    let at = tempPath;
    /** The file is at its final path because of this writer: a failure from here on must take it away again. */
    let placed = false;
    let rowWritten = false;
    try {
      // A sync() still running (or done) covers the bytes it saw; anything written after it needs its own fsync.
      await this.syncing?.catch(() => undefined);
      if (this.failure !== undefined) throw this.failure;
      this.flush();
      await this.drain();
      if (this.ioError !== undefined) throw this.ioError;
      // Every write returned: the file is complete (in the page cache at least) before it is moved into place,
      // so a crash of the process can never leave a partial file at a final path, with or without fsync.
      step = "fsync the file";
      if (this.store.sync && this.fsyncedTo !== this.position) await fh.sync();
      let duplicate = false;
      step = "close the file";
      await fh.idle();
      fh.close();
      const folder = files.folder;
      const finalExists = files.finalExists;
      const replaced = this.store.overwriteInstances && finalExists;
      at = finalPath;
      // rename, link and unlink change one cached folder entry (tens of microseconds): done here, synchronously, rather
      // than as thread-pool round trips.
      if (this.store.overwriteInstances || (!files.claim.contended && !finalExists)) {
        // Nothing of ours to keep at the final path (or overwriting is on): one rename, atomic.
        step = "move the file into place at";
        fs.renameSync(tempPath, finalPath);
        placed = true;
      } else {
        // link() fails with EEXIST instead of replacing: two associations racing on one UID keep the first file.
        step = "move the file into place at";
        try {
          fs.linkSync(tempPath, finalPath);
          placed = true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
          duplicate = true;
        }
        step = "remove the temporary file";
        at = tempPath;
        fs.unlinkSync(tempPath);
      }
      const folderSynced = folder?.sync() ?? ACCEPTED;
      step = "fsync the folder";
      at = dirname(finalPath);
      if (duplicate) {
        await folderSynced;
        this.state = State.Done;
        this.releaseClaim();
        const kept = await this.store.sizeOf(finalPath);
        // The file may predate the index (a crash before indexing): index what is on disk, keep any row there.
        step = `write the index row of ${uid} to`;
        at = index.file;
        index.insertIfAbsent(row(kept));
        return { sopInstanceUid: uid, relativePath: this.relativePath, size: kept, duplicate: true, replaced: false };
      }
      // The row is written while the folder's fsync runs (it is itself made durable only later: WAL with
      // synchronous=NORMAL, see SqliteIndex); nobody is told Success before both.
      try {
        index.upsert(row(size));
        rowWritten = true;
      } catch (err) {
        await folderSynced.catch(() => undefined);
        step = `write the index row of ${uid} to`;
        at = index.file;
        throw err;
      }
      await folderSynced;
      this.state = State.Done;
      this.releaseClaim();
      return { sopInstanceUid: uid, relativePath: this.relativePath, size, duplicate: false, replaced };
    } catch (err) {
      const failure = storageErrorFrom(err, step, at);
      if (placed) await this.takeBack(finalPath, rowWritten);
      await this.fail(failure);
      throw this.error();
    }
  }

  /**
   * A commit failed after the file was put in place: the peer is answered a failure, so neither the file nor its row
   * may stay (a later check would find one without the other). With overwriting on, the instance it replaced is gone
   * with it: rename() had already replaced that file.
   */
  private async takeBack(finalPath: string, rowWritten: boolean): Promise<void> {
    await removeQuietly(finalPath);
    if (rowWritten || this.store.overwriteInstances) {
      try {
        this.store.index.remove(this.options.sopInstanceUid);
      } catch {
        // The index is failing too: start-up recovery removes a row without a file.
      }
    }
    await this.files?.folder?.sync().catch(() => undefined);
  }

  async abort(): Promise<void> {
    if (this.state === State.Committing) {
      // Too late to abort: the outcome is the commit's (which cleans up itself if it fails).
      await this.committing?.catch(() => undefined);
      return;
    }
    if (this.state === State.Done) return;
    if (this.state === State.Failed) return;
    await this.fail(this.closedError("use"));
  }

  private async fail(err: StorageError): Promise<void> {
    if (this.state === State.Failed) return;
    this.state = State.Failed;
    this.failure = err;
    const files = this.files;
    if (files === undefined) return;
    // An fsync still running uses the descriptor: closing under it could hand its number to another file.
    await files.fh.idle();
    files.fh.closeQuietly();
    await removeQuietly(files.tempPath);
    this.releaseClaim();
  }

  private releaseClaim(): void {
    if (this.files === undefined || this.released) return;
    this.released = true;
    this.store.release(this.options.sopInstanceUid, this.files.claim);
  }

  private error(): StorageError {
    return this.failure ?? this.closedError("use");
  }

  private closedError(what: string): StorageError {
    return new StorageError(StorageErrorCode.Closed, `cannot ${what} the writer of ${this.options.sopInstanceUid}: it was already committed or aborted`);
  }
}
