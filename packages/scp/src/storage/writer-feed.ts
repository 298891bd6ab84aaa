import type { InstanceSinkWriter } from "./storage-service.js";

/** What the feed tells the data set it reads from: hold() pauses the socket, release() lets it go (reference-counted). */
export interface FeedSource {
  hold(): void;
  release(): void;
  /** Bytes waiting in the feed, for the source's count of unread bytes. */
  backlog(bytes: number): void;
}

/**
 * Carries one data set's fragments to the sink writer synchronously, as the association delivers them (issue 13: no
 * promise per fragment). Fragments wait here, while the writer opens (up to `earlyBytes`) or while it asked for a
 * pause (its accept() returned a promise); the socket is held meanwhile. The first write error stops the feed.
 */
export class WriterFeed {
  readonly #source: FeedSource;
  readonly #earlyBytes: number;
  #writer: InstanceSinkWriter | undefined;
  readonly #waiting: Uint8Array[] = [];
  #waitingBytes = 0;
  /** A promise of the writer's is outstanding: nothing is written until it settles. */
  #blocked: Promise<void> | undefined;
  #held = false;
  error: unknown;

  constructor(source: FeedSource, earlyBytes: number) {
    this.#source = source;
    this.#earlyBytes = earlyBytes;
  }

  /** The writer is open: what waited goes to it now. */
  start(writer: InstanceSinkWriter): void {
    this.#writer = writer;
    this.#drain();
  }

  push(chunk: Uint8Array): void {
    if (this.error !== undefined) return;
    if (this.#writer === undefined || this.#blocked !== undefined) {
      this.#waiting.push(chunk);
      this.#waitingBytes += chunk.byteLength;
      this.#source.backlog(this.#waitingBytes);
      // While the writer opens, up to earlyBytes are taken in; behind a paused writer, the socket waits at once.
      if (this.#writer !== undefined || this.#waitingBytes >= this.#earlyBytes) this.#hold(true);
      return;
    }
    this.#write(this.#writer, chunk);
  }

  /** Everything pushed is handed to the writer (or the feed failed): resolves with no error, read `error`. */
  async finish(): Promise<void> {
    while (this.#blocked !== undefined) await this.#blocked;
    this.#hold(false);
  }

  /** Stops taking fragments (the instance is refused): nothing more is kept, the socket is let go. */
  stop(error: unknown): void {
    this.error ??= error;
    this.#waiting.length = 0;
    this.#waitingBytes = 0;
    this.#source.backlog(0);
    this.#hold(false);
  }

  #write(writer: InstanceSinkWriter, chunk: Uint8Array): void {
    let wait: Promise<void> | undefined;
    try {
      wait = writer.accept !== undefined ? writer.accept(chunk) : writer.write(chunk);
    } catch (err) {
      this.stop(err);
      return;
    }
    if (wait === undefined) return;
    const blocked: Promise<void> = wait.then(
      () => {
        if (this.#blocked === blocked) this.#blocked = undefined;
        this.#drain();
      },
      (err: unknown) => {
        if (this.#blocked === blocked) this.#blocked = undefined;
        this.stop(err ?? new Error("the write failed"));
      },
    );
    this.#blocked = blocked;
  }

  #drain(): void {
    const writer = this.#writer;
    while (writer !== undefined && this.#blocked === undefined && this.error === undefined && this.#waiting.length > 0) {
      const chunk = this.#waiting.shift()!;
      this.#waitingBytes -= chunk.byteLength;
      this.#write(writer, chunk);
    }
    this.#source.backlog(this.#waitingBytes);
    if (this.#blocked === undefined) this.#hold(false);
  }

  #hold(on: boolean): void {
    if (on === this.#held) return;
    this.#held = on;
    if (on) this.#source.hold();
    else this.#source.release();
  }
}
