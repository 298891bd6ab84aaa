import { statSync } from "node:fs";
import type { DatasetHeader } from "../dataset/index.js";
import { DEFAULT_INLINE_FILE_THRESHOLD_BYTES, DEFAULT_INLINE_THRESHOLD_BYTES } from "./defaults.js";
import { InlineCodecRunner } from "./inline-runner.js";
import { PiscinaCodecRunner, type PiscinaCodecRunnerOptions } from "./piscina-runner.js";
import { DEFAULT_HEADER_PREFIX_BYTES } from "./task-runner.js";
import type { CodecRunner, CodecRunnerStats, FileInfo, PrepareFileOptions, PreparedFile, TaskOptions } from "./types.js";

export interface CodecRunnerOptions extends PiscinaCodecRunnerOptions {
  /** Worker threads; 0 runs everything inline (tools, tests). */
  readonly threads?: number;
  /** parseHeader runs inline when the dataset prefix it needs is at most this long. */
  readonly inlineThresholdBytes?: number;
  /** prepareFile runs inline for files at most this long. */
  readonly inlineFileThresholdBytes?: number;
}

/**
 * Routes each task by size: inline below the measured thresholds (the worker round trip would cost the event loop
 * more than the work), to the pool above. Both give the same results; only where the CPU time is spent differs.
 */
class RoutingCodecRunner implements CodecRunner {
  readonly #inline: InlineCodecRunner;
  readonly #pool: PiscinaCodecRunner;
  readonly #headerThreshold: number;
  readonly #fileThreshold: number;
  readonly #prefixBytes: number;

  constructor(options: CodecRunnerOptions) {
    this.#inline = new InlineCodecRunner(options);
    this.#pool = new PiscinaCodecRunner(options);
    this.#headerThreshold = options.inlineThresholdBytes ?? DEFAULT_INLINE_THRESHOLD_BYTES;
    this.#fileThreshold = options.inlineFileThresholdBytes ?? DEFAULT_INLINE_FILE_THRESHOLD_BYTES;
    this.#prefixBytes = options.headerPrefixBytes ?? DEFAULT_HEADER_PREFIX_BYTES;
  }

  get needsDrain(): boolean {
    return this.#pool.needsDrain;
  }

  stats(): CodecRunnerStats {
    return this.#pool.stats();
  }

  drained(): Promise<void> {
    return this.#pool.drained();
  }

  parseHeader(bytes: Uint8Array | readonly Uint8Array[], transferSyntaxUid: string, options?: TaskOptions): Promise<DatasetHeader> {
    const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
    let total = 0;
    for (const p of parts) total += p.byteLength;
    const runner = Math.min(total, this.#prefixBytes) <= this.#headerThreshold ? this.#inline : this.#pool;
    return runner.parseHeader(bytes, transferSyntaxUid, options);
  }

  #forFile(path: string): CodecRunner {
    if (this.#fileThreshold <= 0) return this.#pool;
    // A missing file goes to the pool, which reports it as inline would. A stat of a file about to be read is a few
    // microseconds synchronously; through fs/promises it cost ~0.1 ms of loop time (issue 13).
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      size = Infinity;
    }
    return size <= this.#fileThreshold ? this.#inline : this.#pool;
  }

  readFileInfo(path: string, options?: TaskOptions): Promise<FileInfo> {
    return this.#forFile(path).readFileInfo(path, options);
  }

  /** Always on the pool: a header up to the pixel data, decoded, is more than the loop should hold for a C-FIND answer. */
  readAttributes(path: string, keywords: readonly string[], options?: TaskOptions): Promise<Record<string, string>> {
    return this.#pool.readAttributes(path, keywords, options);
  }

  prepareFile(path: string, options: PrepareFileOptions): Promise<PreparedFile> {
    return this.#forFile(path).prepareFile(path, options);
  }

  warmUp(): Promise<void> {
    return this.#pool.warmUp();
  }

  async close(): Promise<void> {
    await Promise.all([this.#inline.close(), this.#pool.close()]);
  }
}

/**
 * The codec runner a node uses: a Piscina pool of `threads` workers with small tasks run inline, or everything
 * inline when `threads` is 0.
 */
export function createCodecRunner(options: CodecRunnerOptions = {}): CodecRunner {
  if (options.threads === 0) return new InlineCodecRunner(options);
  return new RoutingCodecRunner(options);
}
