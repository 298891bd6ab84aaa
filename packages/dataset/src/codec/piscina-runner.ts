import { Piscina } from "piscina";
import type { CodecResult, CodecTask, CodecTaskValue } from "../worker.js";
import { CodecError, CodecErrorCode } from "./errors.js";
import { DEFAULT_CODEC_THREADS, DEFAULT_IDLE_TIMEOUT_MS } from "./defaults.js";
import { TaskCodecRunner, type TaskRunnerOptions } from "./task-runner.js";
import type { CodecRunnerStats } from "./types.js";

export interface PiscinaCodecRunnerOptions extends TaskRunnerOptions {
  /** Worker threads (default: DEFAULT_CODEC_THREADS). */
  readonly threads?: number;
  /** Tasks accepted at once (running + waiting); beyond it `needsDrain` is true and new tasks wait their turn. */
  readonly maxPending?: number;
  readonly idleTimeoutMs?: number;
}

/** Sources run under tsx load the `.ts` worker; built code the `.js` one next to this file. */
function workerFilename(): string {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./pool-worker${ext}`, import.meta.url).href;
}

/** A `.ts` worker needs the TypeScript loader and the source condition even when the parent got them another way. */
function workerExecArgv(filename: string): string[] {
  const argv = [...process.execArgv];
  if (!filename.endsWith(".ts")) return argv;
  if (!argv.some((a) => a.includes("dicomtls-source"))) argv.push("--conditions=dicomtls-source");
  if (!argv.some((a) => a === "tsx" || a.endsWith("tsx") || a.includes("tsx/"))) argv.push("--import", "tsx");
  return argv;
}

/** Dataset work on a Piscina pool: the event loop only posts tasks and takes results (buffers move both ways). */
export class PiscinaCodecRunner extends TaskCodecRunner {
  readonly #pool: Piscina<CodecTask, CodecResult>;
  readonly #maxPending: number;
  #pending = 0;
  readonly #waiting: Array<() => void> = [];
  #drainWaiters: Array<() => void> = [];

  constructor(options: PiscinaCodecRunnerOptions = {}) {
    super(options);
    const threads = options.threads ?? DEFAULT_CODEC_THREADS;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    this.#maxPending = options.maxPending ?? threads * 4;
    const filename = workerFilename();
    this.#pool = new Piscina({
      filename,
      execArgv: workerExecArgv(filename),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      // The handler is synchronous and keeps no handles open, so parking idle workers in Atomics.wait is fine.
      atomics: "sync",
    });
  }

  /** Tasks running or waiting in this runner. */
  get pending(): number {
    return this.#pending + this.#waiting.length;
  }

  stats(): CodecRunnerStats {
    return { threads: this.#pool.threads.length, pending: this.pending, queued: this.#waiting.length, utilization: this.#pool.utilization };
  }

  override get needsDrain(): boolean {
    return this.#pending + this.#waiting.length >= this.#maxPending;
  }

  override drained(): Promise<void> {
    if (!this.needsDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  protected handOver(parts: readonly Uint8Array[], n: number): Uint8Array {
    return this.copyPrefix(parts, n);
  }

  protected async execute<T extends CodecTask>(task: T, transferList: ArrayBuffer[]): Promise<CodecResult<CodecTaskValue<T>>> {
    if (this.#pending >= this.#maxPending) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.closed) throw new CodecError(CodecErrorCode.Closed, "the codec runner closed while the task waited");
    this.#pending++;
    try {
      // No signal to Piscina: aborting a running task terminates its worker (and dcmjs loads again); tasks are
      // short, so the runner checks the signal between them instead.
      return (await this.#pool.run(task, { transferList })) as CodecResult<CodecTaskValue<T>>;
    } catch (err) {
      const what = "path" in task ? task.path : task.kind;
      if (this.closed) throw new CodecError(CodecErrorCode.Closed, `${what}: the codec runner closed`, { cause: err });
      throw new CodecError(CodecErrorCode.Worker, `${what}: the codec worker failed (${(err as Error).message})`, { cause: err });
    } finally {
      this.#pending--;
      this.#waiting.shift()?.();
      if (!this.needsDrain && this.#drainWaiters.length > 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  protected async shutdown(): Promise<void> {
    for (const w of this.#waiting.splice(0)) w();
    await this.#pool.close();
  }
}
