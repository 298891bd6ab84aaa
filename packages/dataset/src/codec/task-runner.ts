import { maxPdvDataLength, P_DATA_TF_HEADER_LENGTH } from "@dicomtls/pdu-codec";
import { datasetEncoding, scanHeader, type DatasetHeader } from "../dataset/index.js";
import {
  batchByteLength,
  batchDataLength,
  type CodecResult,
  type CodecTask,
  type CodecTaskValue,
  type DatasetSegment,
  type EncodedBatch,
  type FileInfo,
  type PduLayout,
  type PreparedFilePlan,
} from "../worker.js";
import { CodecError, CodecErrorCode } from "./errors.js";
import type { CodecRunner, PduBatch, PrepareFileOptions, PreparedFile, TaskOptions } from "./types.js";

/** The first part of a dataset handed over for header parsing; grown (x4) while the identifiers lie further. */
export const DEFAULT_HEADER_PREFIX_BYTES = 64 * 1024;
/** Dataset bytes per prepared batch: big enough that the ~60 us task round trip is noise, small enough to bound memory. */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
/** Spent batch buffers kept for reuse per runner (4 x 4 MB). */
const MAX_FREE_BUFFERS = 4;

export interface TaskRunnerOptions {
  /** Default for PrepareFileOptions.batchBytes. */
  readonly batchBytes?: number;
  /** Bytes of a dataset handed over first for parseHeader. */
  readonly headerPrefixBytes?: number;
}

function totalLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}

/** The first `n` bytes of `parts` as a fresh, unpooled buffer (so it can be transferred without detaching the caller's). */
function copyPrefix(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let p = 0;
  for (const part of parts) {
    if (p === n) break;
    const take = Math.min(part.byteLength, n - p);
    out.set(take === part.byteLength ? part : part.subarray(0, take), p);
    p += take;
  }
  return out;
}

/** How much of the prefix the header needs: up to and including the bulk element's header, when it is in sight. */
function headerCut(prefix: Uint8Array, transferSyntaxUid: string): number {
  const enc = datasetEncoding(transferSyntaxUid);
  if (enc.deflated) return prefix.byteLength;
  try {
    const scan = scanHeader(prefix, enc);
    // 12 bytes: the longest element header, so the worker's own walk sees the pixel data tag too.
    return scan.bulkDataOffset === undefined ? prefix.byteLength : Math.min(prefix.byteLength, scan.bulkDataOffset + 12);
  } catch {
    return prefix.byteLength; // the worker reports the fault, with the same message inline and pooled
  }
}

function isAborted(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal?.aborted === true;
}

function abortError(signal: AbortSignal, what: string): CodecError {
  return new CodecError(CodecErrorCode.Aborted, `${what}: aborted`, { cause: signal.reason });
}

/**
 * The operations of a codec runner over one primitive, `execute(task)`: where the task runs (a worker, or this
 * thread) is the subclass's business. Everything here is cheap bookkeeping on the calling thread.
 */
export abstract class TaskCodecRunner implements CodecRunner {
  readonly #batchBytes: number;
  readonly #headerPrefixBytes: number;
  readonly #free: ArrayBuffer[] = [];
  #closed = false;

  constructor(options: TaskRunnerOptions = {}) {
    this.#batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.#headerPrefixBytes = options.headerPrefixBytes ?? DEFAULT_HEADER_PREFIX_BYTES;
  }

  /** Runs one task; `transferList` buffers may be detached by it. */
  protected abstract execute<T extends CodecTask>(task: T, transferList: ArrayBuffer[], signal: AbortSignal | undefined): Promise<CodecResult<CodecTaskValue<T>>>;
  /** Hands `n` bytes of the dataset to a task: a copy for another thread, a view when this thread runs it. */
  protected abstract handOver(parts: readonly Uint8Array[], n: number): Uint8Array;
  protected abstract shutdown(): Promise<void>;

  get needsDrain(): boolean {
    return false;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  async warmUp(): Promise<void> {
    await this.run({ kind: "warm-up" }, [], undefined, "warm-up");
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  protected copyPrefix(parts: readonly Uint8Array[], n: number): Uint8Array {
    return copyPrefix(parts, n);
  }

  /** @internal Runs a task and turns a failure into a CodecError. */
  async run<T extends CodecTask>(task: T, transferList: ArrayBuffer[], signal: AbortSignal | undefined, what: string): Promise<CodecTaskValue<T>> {
    if (this.#closed) throw new CodecError(CodecErrorCode.Closed, `${what}: the codec runner is closed`);
    if (signal?.aborted === true) throw abortError(signal, what);
    const result = await this.execute(task, transferList, signal);
    // Checked again after the task: a running task is not interrupted (it is short), its result is dropped.
    if (isAborted(signal)) throw abortError(signal, what);
    if (!result.ok) throw CodecError.fromFailure(result.error);
    return result.value;
  }

  async parseHeader(bytes: Uint8Array | readonly Uint8Array[], transferSyntaxUid: string, options: TaskOptions = {}): Promise<DatasetHeader> {
    const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
    const total = totalLength(parts);
    let n = Math.min(total, this.#headerPrefixBytes);
    for (;;) {
      const first = parts[0];
      // Scan a view of the caller's bytes when one part holds the prefix, or at least the header up to its bulk
      // element (parts are 16 KiB socket reads since issue 13): the copy handed over is then often a few KB.
      let cut = n;
      if (first !== undefined) {
        const head = first.byteLength >= n ? first.subarray(0, n) : first;
        const headCut = headerCut(head, transferSyntaxUid);
        if (head.byteLength >= n || headCut < head.byteLength) cut = headCut;
      }
      const prefix = this.handOver(parts, cut);
      const transfer = prefix.buffer instanceof ArrayBuffer && prefix.byteLength === prefix.buffer.byteLength && !isCallerBuffer(parts, prefix) ? [prefix.buffer] : [];
      let header: DatasetHeader;
      try {
        header = await this.run({ kind: "parse-header", bytes: prefix, transferSyntaxUid }, transfer, options.signal, "parseHeader");
      } catch (err) {
        if (err instanceof CodecError && err.needMoreBytes && n < total) {
          n = Math.min(total, n * 4);
          continue;
        }
        throw err;
      }
      // The header ran past the prefix: the patient and study attributes may lie further, and the caller has them.
      if (header.truncated && n < total) {
        n = Math.min(total, n * 4);
        continue;
      }
      return header;
    }
  }

  readFileInfo(path: string, options: TaskOptions = {}): Promise<FileInfo> {
    return this.run({ kind: "file-info", path }, [], options.signal, path);
  }

  readAttributes(path: string, keywords: readonly string[], options: TaskOptions = {}): Promise<Record<string, string>> {
    return this.run({ kind: "read-attributes", path, keywords: [...keywords] }, [], options.signal, path);
  }

  async prepareFile(path: string, options: PrepareFileOptions): Promise<PreparedFile> {
    const layout: PduLayout = {
      presentationContextId: options.presentationContextId,
      maxPduLength: options.maxPduLength,
      batchBytes: options.batchBytes ?? this.#batchBytes,
    };
    try {
      maxPdvDataLength(layout.maxPduLength);
    } catch (err) {
      throw new CodecError(CodecErrorCode.InvalidValue, `${path}: ${(err as Error).message}`, { path, cause: err });
    }
    // The file's size is not known yet: a spent buffer shorter than a full batch still fits a file as small as the
    // last one (500 x 512 KB: a fresh 512 KB per file otherwise, and the GC that comes with it).
    const reuse = this.takeBuffer(batchByteLength(batchDataLength(layout), layout.maxPduLength), true);
    const task = { kind: "prepare-file" as const, path, transferSyntaxUid: options.transferSyntaxUid, ...layout, ...(reuse === undefined ? {} : { reuse }) };
    const plan = await this.run(task, reuse === undefined ? [] : [reuse], options.signal, path);
    return new FileBatches(this, path, plan, layout, options.signal);
  }

  /** @internal A spent batch buffer at least `minBytes` long, if one is free; with `orLargest`, else the largest free one. */
  takeBuffer(minBytes: number, orLargest = false): ArrayBuffer | undefined {
    let i = this.#free.findIndex((b) => b.byteLength >= minBytes);
    if (i < 0 && orLargest) for (let j = 0; j < this.#free.length; j++) if (i < 0 || (this.#free[j] as ArrayBuffer).byteLength > (this.#free[i] as ArrayBuffer).byteLength) i = j;
    if (i < 0) return undefined;
    const [b] = this.#free.splice(i, 1);
    return b;
  }

  /** @internal */
  giveBuffer(buffer: ArrayBuffer): void {
    // A detached buffer (already transferred) has length 0; the list stays small.
    if (buffer.byteLength > 0 && this.#free.length < MAX_FREE_BUFFERS && !this.#free.includes(buffer)) this.#free.push(buffer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#free.length = 0;
    await this.shutdown();
  }
}

function isCallerBuffer(parts: readonly Uint8Array[], prefix: Uint8Array): boolean {
  return parts.some((p) => p.buffer === prefix.buffer);
}

/** PDU views of one encoded batch: every PDU but the last carries a full PDV. */
function pduViews(batch: EncodedBatch, maxPduLength: number): Uint8Array[] {
  const pdv = maxPdvDataLength(maxPduLength);
  const views: Uint8Array[] = [];
  let at = 0;
  let left = batch.dataLength;
  for (let i = 0; i < batch.pduCount; i++) {
    const n = Math.min(pdv, left);
    views.push(new Uint8Array(batch.buffer, at, P_DATA_TF_HEADER_LENGTH + n));
    at += P_DATA_TF_HEADER_LENGTH + n;
    left -= n;
  }
  return views;
}

class FileBatches implements PreparedFile {
  readonly info: FileInfo;
  readonly transferSyntaxUid: string;
  readonly converted: boolean;
  readonly datasetLength: number;
  readonly #segments: readonly DatasetSegment[];
  /** Dataset offset where each segment starts. */
  readonly #starts: number[] = [];
  #first: EncodedBatch | undefined;
  #iterated = false;
  #closed = false;

  constructor(
    private readonly runner: TaskCodecRunner,
    readonly path: string,
    plan: PreparedFilePlan,
    private readonly layout: PduLayout,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.info = plan.info;
    this.transferSyntaxUid = plan.transferSyntaxUid;
    this.converted = plan.converted;
    this.datasetLength = plan.datasetLength;
    this.#segments = plan.segments;
    this.#first = plan.first;
    let at = 0;
    for (const s of plan.segments) {
      this.#starts.push(at);
      at += s.kind === "bytes" ? s.bytes.byteLength : s.end - s.start;
    }
  }

  close(): void {
    this.#closed = true;
    this.#first = undefined;
  }

  #batch(b: EncodedBatch): PduBatch {
    const runner = this.runner;
    return {
      pdus: pduViews(b, this.layout.maxPduLength),
      byteLength: b.byteLength,
      dataLength: b.dataLength,
      last: b.last,
      release: () => runner.giveBuffer(b.buffer),
    };
  }

  /** The next batch from dataset offset `start`, with only the segments it reaches. */
  #request(start: number): Promise<EncodedBatch> {
    const end = Math.min(this.datasetLength, start + batchDataLength(this.layout));
    let first = 0;
    while (first + 1 < this.#segments.length && (this.#starts[first + 1] ?? Infinity) <= start) first++;
    let last = first;
    while (last + 1 < this.#segments.length && (this.#starts[last + 1] ?? Infinity) < end) last++;
    const reuse = this.runner.takeBuffer(batchByteLength(end - start, this.layout.maxPduLength));
    const task = {
      kind: "file-batch" as const,
      path: this.path,
      ...this.layout,
      segments: this.#segments.slice(first, last + 1),
      segmentsStart: this.#starts[first] ?? 0,
      start,
      end,
      datasetLength: this.datasetLength,
      ...(reuse === undefined ? {} : { reuse }),
    };
    return this.runner.run(task, reuse === undefined ? [] : [reuse], this.signal, this.path);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PduBatch> {
    if (this.#iterated) throw new CodecError(CodecErrorCode.Internal, `${this.path}: a prepared file can be iterated only once`, { path: this.path });
    this.#iterated = true;
    const first = this.#first;
    this.#first = undefined;
    if (first === undefined || this.#closed) return;
    let sent = first.dataLength;
    // One batch ahead: the worker fills the next while the caller writes this one.
    let next = !first.last ? this.#request(sent) : undefined;
    try {
      yield this.#batch(first);
      while (next !== undefined && !this.#closed) {
        const b = await next;
        sent += b.dataLength;
        next = !b.last && !this.#closed ? this.#request(sent) : undefined;
        yield this.#batch(b);
      }
    } finally {
      this.#closed = true;
      // A prefetched batch nobody will read: its failure (or abort) is of no interest.
      next?.catch(() => undefined);
    }
  }
}
