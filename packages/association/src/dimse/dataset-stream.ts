import { AssociationError } from "../errors.js";

/**
 * The data set of one DIMSE message as it arrives: an async iterable of fragments (views of the received PDUs, no
 * copies), read by one consumer. When more than `highWaterMark` bytes wait unread, the association pauses the
 * socket until the consumer catches up, so a slow consumer never makes us buffer without bound.
 */
export class DatasetStream implements AsyncIterable<Uint8Array> {
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #receivedBytes = 0;
  #ended = false;
  #error: Error | undefined;
  #discarding = false;
  #iterating = false;
  #wake: (() => void) | undefined;
  #pressure = false;
  /** consume(): fragments go straight to it, and its promise settles with the data set. */
  #consumer: ((fragment: Uint8Array) => void) | undefined;
  #consumerError: Error | undefined;
  #holds = 0;
  #backlog = 0;
  readonly #highWaterMark: number;
  readonly #onPressure: (pressed: boolean) => void;
  readonly #endWaiters: Array<() => void> = [];

  /** @internal Created by the association; `onPressure(true)` asks it to pause the socket, `false` to resume. */
  constructor(highWaterMark: number, onPressure: (pressed: boolean) => void) {
    this.#highWaterMark = highWaterMark;
    this.#onPressure = onPressure;
  }

  /** Bytes received so far (consumed or not). */
  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  /** Bytes received but not read yet (what backpressure bounds). */
  get bufferedBytes(): number {
    return this.#queuedBytes + this.#backlog;
  }

  /** True once the last fragment arrived (or the association failed). */
  get complete(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** @internal */
  push(fragment: Uint8Array): void {
    this.#receivedBytes += fragment.length;
    if (this.#discarding || fragment.length === 0) return;
    if (this.#consumer !== undefined) {
      this.#deliver(this.#consumer, fragment);
      return;
    }
    this.#queue.push(fragment);
    this.#queuedBytes += fragment.length;
    this.#updatePressure();
    this.#notify();
  }

  /** @internal */
  end(): void {
    this.#ended = true;
    this.#notify();
    this.#settleEnd();
  }

  /** @internal The association ended (abort, close) before the last fragment. */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.#holds = 0;
    this.#setPressure(false);
    this.#notify();
    this.#settleEnd();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating || this.#discarding) {
      throw new AssociationError("ERR_DICOM_INVALID_STATE", "a DIMSE data set can be read only once; keep the bytes if you need them twice");
    }
    this.#iterating = true;
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        this.#queuedBytes -= next.length;
        this.#updatePressure();
        yield next;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * Hands each fragment, those waiting and those to come, to `consumer` synchronously as it arrives: no promise or
   * queue per fragment (issue 13). Resolves once the data set is complete, rejects when the association ended first
   * or `consumer` threw (the rest is then discarded). A consumer that falls behind calls hold() / release().
   * Read-once, like iteration.
   */
  consume(consumer: (fragment: Uint8Array) => void): Promise<void> {
    if (this.#iterating || this.#discarding) {
      return Promise.reject(new AssociationError("ERR_DICOM_INVALID_STATE", "a DIMSE data set can be read only once; keep the bytes if you need them twice"));
    }
    this.#iterating = true;
    const waiting = this.#queue.splice(0);
    this.#queuedBytes = 0;
    this.#consumer = consumer;
    for (const fragment of waiting) this.#deliver(consumer, fragment);
    this.#updatePressure();
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        if (this.#consumerError !== undefined) reject(this.#consumerError);
        else if (this.#error !== undefined) reject(this.#error);
        else resolve();
      };
      if (this.complete) settle();
      else this.#endWaiters.push(settle);
    });
  }

  /** Reference-counted: the socket stays paused while a consume() consumer holds it (it is behind). */
  hold(): void {
    this.#holds++;
    this.#updatePressure();
  }

  /** consume(): bytes the consumer took but has not passed on yet (counted in bufferedBytes). */
  backlog(bytes: number): void {
    this.#backlog = bytes;
  }

  release(): void {
    if (this.#holds === 0) return;
    this.#holds--;
    this.#updatePressure();
  }

  #deliver(consumer: (fragment: Uint8Array) => void, fragment: Uint8Array): void {
    try {
      consumer(fragment);
    } catch (err) {
      this.#consumerError ??= err instanceof Error ? err : new Error(`the data set consumer failed: ${String(err)}`);
      this.#discarding = true;
      this.#holds = 0;
      this.#updatePressure();
    }
  }

  #updatePressure(): void {
    this.#setPressure(this.#holds > 0 || this.#queuedBytes > this.#highWaterMark);
  }

  /** The whole data set in one Buffer (copies once). For small data sets; large ones should be streamed. */
  async readAll(): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const part of this) parts.push(part);
    return Buffer.concat(parts);
  }

  /** Throws away whatever has not been read, now and later, and resolves when the data set is complete. */
  async discard(): Promise<void> {
    this.#discarding = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#holds = 0;
    this.#setPressure(false);
    this.#notify();
    if (this.complete) return;
    await new Promise<void>((resolve) => this.#endWaiters.push(resolve));
  }

  #setPressure(pressed: boolean): void {
    if (pressed === this.#pressure) return;
    this.#pressure = pressed;
    this.#onPressure(pressed);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #settleEnd(): void {
    for (const w of this.#endWaiters.splice(0)) w();
  }
}
