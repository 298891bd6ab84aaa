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
    if (this.settled || this.#bytes >= Math.min(MAX_HEADER_PREFIX_BYTES, this.#threshold * 4)) return;
    this.#parts.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#pending === undefined && this.#bytes >= this.#threshold) await this.#start(false);
  }

  /** The dataset ended: waits for the running parse, parses what there is if still needed. */
  async finish(): Promise<void> {
    if (this.#bytes === 0) {
      this.error ??= new CodecError(CodecErrorCode.DatasetUnparsable, "the data set is empty");
      return;
    }
    await this.#pending;
    if (!this.settled) await this.#start(true);
    await this.#pending;
  }

  async #start(final: boolean): Promise<void> {
    // A full pool makes us wait here, and waiting here pauses the socket: the pool is the slower party.
    if (this.#codec.needsDrain) await this.#codec.drained();
    const had = this.#bytes;
    const run = this.#codec.parseHeader(this.#parts.slice(), this.#transferSyntaxUid, { signal: this.#signal }).then(
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

