/**
 * Group commit of the index rows the C-STORE path writes: each row goes into one open transaction, committed once it
 * holds `maxRows` writes or `maxDelayMs` after its first, and before anything else uses the connection for a
 * transaction of its own (SqliteIndex flushes first) or closes it. A commit per row appends every page it touched to
 * the WAL (with checksums) and brings the WAL checkpoint, with its fsyncs on the event loop, ten times as often; rows
 * of a batch share their pages (see the storage README's costs).
 *
 * Each write runs in its own SAVEPOINT (better-sqlite3's transaction functions nest so inside an open transaction): a
 * write that fails takes back only its own statements, the batch keeps the others. A COMMIT that fails (SQLITE_FULL,
 * an I/O error) rolls the batch back and its writes are applied again at the start of the next batch (or, if the
 * process ends first, start-up recovery indexes their files: a file without a row). Reads on this connection see the
 * open batch; other connections (`storage check`, a read-only open) see a row once its batch is committed.
 */
import type Database from "better-sqlite3";
import { storageErrorFrom, type StorageError } from "./errors.js";

export interface GroupCommitOptions {
  /** Commit once the open transaction holds this many writes. */
  readonly maxRows: number;
  /** ... or this long after its first write. */
  readonly maxDelayMs: number;
  /** A batch's COMMIT failed (its writes are kept and tried again with the next batch). */
  readonly onError?: (err: StorageError) => void;
}

/** Writes of failed batches kept to be tried again: past this many the oldest are left to start-up recovery. */
const MAX_RETRIED_WRITES = 10_000;
/** When no new write opens a batch, the writes of a failed one are tried again after this long. */
const RETRY_DELAY_MS = 1_000;

export class GroupCommit {
  /** The writes of the open batch, in order: applied again if its COMMIT fails. */
  private batch: Array<() => void> = [];
  /** Writes of failed batches, applied first in the next batch. */
  private retry: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  /** The open transaction is a batch of ours (not one a caller opened). */
  private active = false;
  private readonly begin: Database.Statement;
  private readonly commitStmt: Database.Statement;
  private readonly rollback: Database.Statement;
  /** Batches committed and failed so far (for tests and diagnostics). */
  committed = 0;
  failed = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly options: GroupCommitOptions,
  ) {
    if (!(options.maxRows >= 1) || !(options.maxDelayMs >= 0)) {
      throw new RangeError(`group commit of ${file}: maxRows must be at least 1 and maxDelayMs at least 0 (got ${options.maxRows}, ${options.maxDelayMs})`);
    }
    this.begin = db.prepare("BEGIN");
    this.commitStmt = db.prepare("COMMIT");
    this.rollback = db.prepare("ROLLBACK");
  }

  /** Writes still to be committed (the open batch and failed ones). */
  get pending(): number {
    return this.batch.length + this.retry.length;
  }

  /**
   * Runs `write` (a transaction function: a SAVEPOINT inside the batch) in the open batch, opening one if none is.
   * Throws what `write` throws; the batch keeps its other writes. Inside a transaction of the caller's, `write` is
   * simply part of it.
   */
  run(write: () => void): void {
    if (!this.active) {
      if (this.db.inTransaction) return write();
      this.open();
    }
    this.timer ??= setTimeout(() => this.flush(), this.options.maxDelayMs).unref();
    write();
    this.batch.push(write);
    if (this.batch.length >= this.options.maxRows) this.flush();
  }

  /** Commits the open batch now (and tries failed writes again). Never throws: a failure goes to `onError`. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.active) {
      if (this.retry.length === 0 || this.db.inTransaction) return;
      this.open();
    }
    try {
      this.commitStmt.run();
      this.committed++;
    } catch (err) {
      this.failed++;
      if (this.db.inTransaction) {
        try {
          this.rollback.run();
        } catch {
          // SQLite already rolled back what it could not commit.
        }
      }
      this.retry = [...this.retry, ...this.batch].slice(-MAX_RETRIED_WRITES);
      this.timer = setTimeout(() => this.flush(), RETRY_DELAY_MS).unref();
      this.options.onError?.(storageErrorFrom(err, "commit the index rows to", this.file));
    } finally {
      this.active = false;
      this.batch = [];
    }
  }

  /** Commits what is pending and stops the timer (before the connection closes). */
  close(): void {
    this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private open(): void {
    this.begin.run();
    this.active = true;
    const again = this.retry;
    this.retry = [];
    for (const write of again) {
      try {
        write();
        this.batch.push(write);
      } catch {
        // It fails on its own now (its savepoint is rolled back): left to start-up recovery, which indexes its file.
      }
    }
  }
}
