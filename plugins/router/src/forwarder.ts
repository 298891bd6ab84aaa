/**
 * Sends the queue's due jobs: per destination up to `concurrency` associations at once, each carrying a batch of
 * waiting instances; a job leaves the queue only after its C-STORE answered Success or a Warning.
 */

import type { PluginLogger, PluginScu } from "@dicomtls/plugin-api";
import { JobState, type Job, type RouterQueue } from "./queue.js";

export interface ForwarderOptions {
  readonly queue: RouterQueue;
  readonly scu: PluginScu;
  readonly logger: PluginLogger;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly retryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  readonly maxAgeMs: number;
  /** The queue is re-read at least this often (another process may have put dead letters back). */
  readonly pollMs?: number;
  readonly now?: () => number;
}

export class Forwarder {
  readonly #o: ForwarderOptions;
  readonly #busy = new Set<number>();
  readonly #running = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ForwarderOptions) {
    this.#o = options;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  /** Looks for due work now (after an enqueue, at start, on a timer). */
  wake(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    const now = this.#now();
    for (const destination of this.#o.queue.destinationsWaiting()) {
      while ((this.#running.get(destination) ?? 0) < this.#o.concurrency) {
        const jobs = this.#o.queue.due(destination, now, this.#o.batchSize, this.#busy);
        if (jobs.length === 0) break;
        this.#start(destination, jobs);
      }
    }
    const next = this.#o.queue.nextDueMs();
    const poll = this.#o.pollMs ?? 2_000;
    const delay = Math.max(0, Math.min(next === undefined ? poll : next - now, poll));
    this.#timer = setTimeout(() => this.wake(), delay);
    this.#timer.unref();
  }

  #start(destination: string, jobs: readonly Job[]): void {
    for (const j of jobs) this.#busy.add(j.id);
    this.#running.set(destination, (this.#running.get(destination) ?? 0) + 1);
    const p = this.#send(destination, jobs).finally(() => {
      for (const j of jobs) this.#busy.delete(j.id);
      this.#running.set(destination, (this.#running.get(destination) ?? 1) - 1);
      this.#inFlight.delete(p);
      // Free capacity: more may be due.
      if (!this.#closed) this.wake();
    });
    this.#inFlight.add(p);
  }

  async #send(destination: string, jobs: readonly Job[]): Promise<void> {
    const { queue, logger } = this.#o;
    const policy = { retryIntervalMs: this.#o.retryIntervalMs, maxRetryIntervalMs: this.#o.maxRetryIntervalMs, maxAgeMs: this.#o.maxAgeMs };
    let results: ReadonlyArray<{ ok: boolean; status: number | undefined; error?: Error }>;
    try {
      results = (await this.#o.scu.store(destination, jobs.map((j) => j.path), { signal: this.#abort.signal })).results;
    } catch (err) {
      // No association at all (refused, unreachable, TLS): every job of the batch failed the same way.
      const e = err as Error;
      results = jobs.map(() => ({ ok: false, status: undefined, error: e }));
    }
    if (this.#closed) return;
    const now = this.#now();
    const done = jobs.filter((_, k) => results[k]?.ok === true).map((j) => j.id);
    queue.done(done);
    const sent = done.length;
    for (const [k, job] of jobs.entries()) {
      const r = results[k];
      if (r?.ok === true) continue;
      const why = r?.error?.message ?? (r?.status !== undefined ? `status 0x${r.status.toString(16).padStart(4, "0")}` : "not sent");
      const state = queue.failed(job, why, now, policy);
      if (state === JobState.Dead) {
        logger.error({ event: "router-dead-letter", destination, sopInstanceUid: job.sopInstanceUid, attempts: job.attempts + 1, error: why }, `forwarding ${job.sopInstanceUid} to ${destination} gave up after ${job.attempts + 1} attempts: ${why}`);
      } else {
        logger.warn({ event: "router-retry", destination, sopInstanceUid: job.sopInstanceUid, attempts: job.attempts + 1, error: why }, `forwarding ${job.sopInstanceUid} to ${destination} failed (will retry): ${why}`);
      }
    }
    if (sent > 0) logger.info({ event: "router-forwarded", destination, instances: sent }, `forwarded ${sent} instance${sent === 1 ? "" : "s"} to ${destination}`);
  }

  /** Stops sending: in-flight associations are aborted (their jobs stay queued) and awaited. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error("the node is stopping"));
    await Promise.allSettled([...this.#inFlight]);
  }
}
