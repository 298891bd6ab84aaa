/**
 * The persistent forwarding queue (SQLite, WAL, synchronous FULL): one row per instance and destination. A job
 * leaves only when the destination answered Success; a failed attempt backs off (doubling, bounded); past the
 * maximum age a job becomes a dead letter, kept with its last error until `retry` puts it back.
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export const JobState = { Queued: "queued", Dead: "dead" } as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export interface Job {
  readonly id: number;
  readonly destination: string;
  readonly rule: string;
  readonly sopInstanceUid: string;
  readonly path: string;
  readonly createdMs: number;
  readonly attempts: number;
  readonly nextAttemptMs: number;
  readonly lastError: string | null;
  readonly state: JobState;
}

export interface DestinationStatus {
  readonly destination: string;
  readonly queued: number;
  readonly dead: number;
  /** Creation time of the oldest waiting job (ms since the epoch), or null. */
  readonly oldestMs: number | null;
  /** Jobs that failed at least once: their last error, most recent first (at most 20). */
  readonly failures: ReadonlyArray<{ readonly sopInstanceUid: string; readonly attempts: number; readonly state: JobState; readonly error: string }>;
}

interface Row {
  id: number;
  destination: string;
  rule: string;
  sop_instance_uid: string;
  path: string;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  state: JobState;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  destination: r.destination,
  rule: r.rule,
  sopInstanceUid: r.sop_instance_uid,
  path: r.path,
  createdMs: r.created_ms,
  attempts: r.attempts,
  nextAttemptMs: r.next_attempt_ms,
  lastError: r.last_error,
  state: r.state,
});

export class RouterQueue {
  readonly file: string;
  readonly #db: Database.Database;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma("journal_mode = WAL");
    // An accepted job must survive a power loss as the instance itself does.
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      destination TEXT NOT NULL,
      rule TEXT NOT NULL,
      sop_instance_uid TEXT NOT NULL,
      path TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_ms INTEGER NOT NULL,
      last_error TEXT,
      state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'dead')),
      UNIQUE (destination, sop_instance_uid)
    );
    CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, destination, next_attempt_ms);`);
  }

  /** Queues the instance for each destination in one transaction; an instance already waiting for one is kept once. */
  enqueue(jobs: ReadonlyArray<{ destination: string; rule: string; sopInstanceUid: string; path: string }>, nowMs: number): number {
    const insert = this.#db.prepare(
      `INSERT INTO jobs (destination, rule, sop_instance_uid, path, created_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (destination, sop_instance_uid) DO UPDATE SET path = excluded.path, state = 'queued', next_attempt_ms = MIN(next_attempt_ms, excluded.next_attempt_ms)`,
    );
    let n = 0;
    this.#db.transaction(() => {
      for (const j of jobs) n += insert.run(j.destination, j.rule, j.sopInstanceUid, j.path, nowMs, nowMs).changes;
    })();
    return n;
  }

  /** Waiting jobs of a destination due by `nowMs`, oldest first, skipping `busy` ids. */
  due(destination: string, nowMs: number, limit: number, busy: ReadonlySet<number>): Job[] {
    const rows = this.#db
      .prepare(`SELECT * FROM jobs WHERE state = 'queued' AND destination = ? AND next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT ?`)
      .all(destination, nowMs, limit + busy.size) as Row[];
    return rows.filter((r) => !busy.has(r.id)).slice(0, limit).map(toJob);
  }

  /** The earliest next attempt among waiting jobs, or undefined. */
  nextDueMs(): number | undefined {
    const r = this.#db.prepare(`SELECT MIN(next_attempt_ms) AS t FROM jobs WHERE state = 'queued'`).get() as { t: number | null };
    return r.t ?? undefined;
  }

  destinationsWaiting(): string[] {
    return (this.#db.prepare(`SELECT DISTINCT destination FROM jobs WHERE state = 'queued'`).all() as Array<{ destination: string }>).map((r) => r.destination);
  }

  /** The destination answered Success (or a warning): the jobs are done. One transaction: one fsync per batch. */
  done(ids: readonly number[]): void {
    const del = this.#db.prepare(`DELETE FROM jobs WHERE id = ?`);
    this.#db.transaction(() => {
      for (const id of ids) del.run(id);
    })();
  }

  /** A failed attempt: back off, or become a dead letter once the job is older than `maxAgeMs`. */
  failed(job: Job, error: string, nowMs: number, policy: { readonly retryIntervalMs: number; readonly maxRetryIntervalMs: number; readonly maxAgeMs: number }): JobState {
    const attempts = job.attempts + 1;
    const dead = nowMs - job.createdMs >= policy.maxAgeMs;
    const wait = Math.min(policy.retryIntervalMs * 2 ** (attempts - 1), policy.maxRetryIntervalMs);
    this.#db
      .prepare(`UPDATE jobs SET attempts = ?, last_error = ?, next_attempt_ms = ?, state = ? WHERE id = ?`)
      .run(attempts, error, nowMs + wait, dead ? JobState.Dead : JobState.Queued, job.id);
    return dead ? JobState.Dead : JobState.Queued;
  }

  /** Dead letters (of one destination, or all) back in the queue, as new: due now, attempts and age reset. */
  retry(destination: string | undefined, nowMs: number): number {
    const sql = `UPDATE jobs SET state = 'queued', attempts = 0, created_ms = ?, next_attempt_ms = ? WHERE state = 'dead'${destination === undefined ? "" : " AND destination = ?"}`;
    const args: unknown[] = destination === undefined ? [nowMs, nowMs] : [nowMs, nowMs, destination];
    return this.#db.prepare(sql).run(...args).changes;
  }

  status(): DestinationStatus[] {
    const counts = this.#db
      .prepare(`SELECT destination, SUM(state = 'queued') AS queued, SUM(state = 'dead') AS dead, MIN(CASE WHEN state = 'queued' THEN created_ms END) AS oldest FROM jobs GROUP BY destination ORDER BY destination`)
      .all() as Array<{ destination: string; queued: number; dead: number; oldest: number | null }>;
    const failures = this.#db.prepare(`SELECT sop_instance_uid, attempts, state, last_error FROM jobs WHERE destination = ? AND last_error IS NOT NULL ORDER BY next_attempt_ms DESC LIMIT 20`);
    return counts.map((c) => ({
      destination: c.destination,
      queued: c.queued,
      dead: c.dead,
      oldestMs: c.oldest,
      failures: (failures.all(c.destination) as Array<{ sop_instance_uid: string; attempts: number; state: JobState; last_error: string }>).map((f) => ({
        sopInstanceUid: f.sop_instance_uid,
        attempts: f.attempts,
        state: f.state,
        error: f.last_error,
      })),
    }));
  }

  close(): void {
    this.#db.close();
  }
}
