import type { DimseMessage } from "./message.js";

/**
 * Responses waiting unread before the socket is paused (a C-FIND of 10,000 matches read slowly must not pile up
 * in memory), and the count at which reading resumes.
 */
export const RESPONSES_HIGH_WATER = 16;
export const RESPONSES_LOW_WATER = 8;

/**
 * Receives the responses to one request; consumed by `Association.responses()`. `pressure(true)` is called when
 * RESPONSES_HIGH_WATER responses wait unread, `pressure(false)` once the reader is back to RESPONSES_LOW_WATER, has
 * stopped reading, or the request ended: the association pauses and resumes the transport (reference-counted).
 */
export class ResponseWaiter {
  readonly #queue: DimseMessage[] = [];
  readonly #pressure: (pressed: boolean) => void;
  #wake: (() => void) | undefined;
  #error: Error | undefined;
  #finished = false;
  #abandoned = false;
  #pressed = false;

  constructor(pressure: (pressed: boolean) => void = () => undefined) {
    this.#pressure = pressure;
  }

  get abandoned(): boolean {
    return this.#abandoned;
  }

  push(message: DimseMessage): void {
    if (this.#abandoned) {
      void message.dataset?.discard();
      return;
    }
    this.#queue.push(message);
    if (!this.#pressed && this.#queue.length >= RESPONSES_HIGH_WATER) this.#press(true);
    this.#notify();
  }

  finish(): void {
    this.#finished = true;
    this.#notify();
  }

  fail(error: Error): void {
    this.#error ??= error;
    this.#press(false);
    this.#notify();
  }

  /** The reader stopped: what arrives from now on is discarded, and reading must not stay paused for it. */
  abandon(): void {
    this.#abandoned = true;
    this.#press(false);
  }

  async next(): Promise<DimseMessage | undefined> {
    for (;;) {
      const m = this.#queue.shift();
      if (m !== undefined) {
        if (this.#pressed && this.#queue.length <= RESPONSES_LOW_WATER) this.#press(false);
        return m;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#finished) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #press(pressed: boolean): void {
    if (this.#pressed === pressed) return;
    this.#pressed = pressed;
    this.#pressure(pressed);
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}
