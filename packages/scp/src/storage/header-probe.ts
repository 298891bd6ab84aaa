import { CodecError, CodecErrorCode, type CodecRunner, type DatasetHeader } from "@dicomtls/dataset";

/** A prefix grows this much at most while the identifiers are not in sight (then the instance is refused as unparsable). */
const MAX_HEADER_PREFIX_BYTES = 16 * 1024 * 1024;

/**
 * Keeps the first bytes of a dataset (views, no copies) and has the codec runner parse them while the rest streams on.
 * When the identifiers lie past the prefix, it parses again with four times as much, up to MAX_HEADER_PREFIX_BYTES.
 */
export class HeaderProbe {
  readonly #codec: CodecRunner;
  readonly #transferSyntaxUid: string;
  readonly #signal: AbortSignal;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #threshold: number;
  #pending: Promise<void> | undefined;
  /** Waiting for room in the codec pool before the parse starts. */
  #starting: Promise<void> | undefined;
  header: DatasetHeader | undefined;
  error: unknown;

  constructor(codec: CodecRunner, transferSyntaxUid: string, prefixBytes: number, signal: AbortSignal) {
    this.#codec = codec;
    this.#transferSyntaxUid = transferSyntaxUid;
    this.#threshold = prefixBytes;
    this.#signal = signal;
  }

  get settled(): boolean {
    return this.header !== undefined || this.error !== undefined;
  }

  /** Keeps `chunk` while a longer prefix may still be wanted; starts a parse once the prefix is long enough. */
  async add(chunk: Uint8Array): Promise<void> {
    await this.offer(chunk);
  }

  /**
   * add() without a promise per chunk: undefined, or (when the codec pool is full) the promise to wait for before
   * reading on: the pool is then the slower party.
   */
  offer(chunk: Uint8Array): Promise<void> | undefined {
    if (this.settled || this.#bytes >= Math.min(MAX_HEADER_PREFIX_BYTES, this.#threshold * 4)) return undefined;
    this.#parts.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#pending !== undefined || this.#starting !== undefined || this.#bytes < this.#threshold) return undefined;
    if (!this.#codec.needsDrain) {
      this.#start(false);
      return undefined;
    }
    this.#starting = this.#codec.drained().then(() => {
      this.#starting = undefined;
      this.#start(false);
    });
    return this.#starting;
  }

  /** The dataset ended: waits for the running parse, parses what there is if still needed. */
  async finish(): Promise<void> {
    if (this.#bytes === 0) {
      this.error ??= new CodecError(CodecErrorCode.DatasetUnparsable, "the data set is empty");
      return;
    }
    await this.#starting;
    await this.#pending;
    if (!this.settled) {
      if (this.#codec.needsDrain) await this.#codec.drained();
      this.#start(true);
    }
    await this.#pending;
  }

  /** Starts a parse of the prefix so far (the caller waited for room in the pool). */
  #start(final: boolean): void {
    const had = this.#bytes;
    let parsed: Promise<DatasetHeader>;
    try {
      parsed = this.#codec.parseHeader(this.#parts.slice(), this.#transferSyntaxUid, { signal: this.#signal });
    } catch (err) {
      parsed = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const run = parsed.then(
      (header) => {
        this.header = header;
        this.#parts = [];
      },
      (err: unknown) => {
        if (!final && err instanceof CodecError && err.needMoreBytes && had * 4 <= MAX_HEADER_PREFIX_BYTES) {
          this.#threshold = had * 4;
        } else {
          this.error = err;
          this.#parts = [];
        }
      },
    );
    this.#pending = run.then(() => {
      if (this.#pending === tracked) this.#pending = undefined;
    });
    const tracked = this.#pending;
  }
}

