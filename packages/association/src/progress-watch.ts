/** What an association waits for from its peer while it makes no progress (the `phase` of a stall record). */
export const StallPhase = {
  /** Established and idle: the next command (or the rest of a PDU) has not come. */
  Command: "command",
  /** A command announced a data set whose fragments stopped coming. */
  Dataset: "data-set",
  /** The peer asked to release (or we did) and the exchange did not finish. */
  Release: "release",
  /** The peer stopped reading what we send (our writes wait for 'drain'). */
  Sending: "sending",
} as const;
export type StallPhase = (typeof StallPhase)[keyof typeof StallPhase];

/** How the watch looks at the association: a counter that grows with every sign of life, and what we wait for. */
export interface ProgressProbe {
  /** Grows whenever bytes arrive or leave (a response being produced counts). */
  progress(): number;
  /** The phase in which the peer owes us something, or undefined while the wait is ours (a handler working, reading paused by us). */
  waitingFor(): StallPhase | undefined;
}

/**
 * Bounds the time without progress in every phase of an association (DicomScpTimeout), a data set included: a slow
 * but moving transfer is never cut, a stalled one is. Sampled a few times per period rather than re-armed per chunk,
 * so the hot path only bumps a counter; expiry comes within the timeout plus one sampling period.
 */
export class ProgressWatch {
  readonly #timeoutMs: number;
  readonly #probe: ProgressProbe;
  readonly #onStall: (phase: StallPhase) => void;
  readonly #timer: NodeJS.Timeout;
  #last = -1;
  #since = performance.now();

  constructor(timeoutMs: number, probe: ProgressProbe, onStall: (phase: StallPhase) => void) {
    this.#timeoutMs = timeoutMs;
    this.#probe = probe;
    this.#onStall = onStall;
    const periodMs = Math.max(25, Math.min(1_000, Math.floor(timeoutMs / 4)));
    this.#timer = setInterval(() => this.#sample(), periodMs);
    // A stalled peer must not keep the process alive on its own.
    this.#timer.unref();
  }

  #sample(): void {
    const now = performance.now();
    const progress = this.#probe.progress();
    const phase = this.#probe.waitingFor();
    if (progress !== this.#last || phase === undefined) {
      this.#last = progress;
      this.#since = now;
      return;
    }
    if (now - this.#since < this.#timeoutMs) return;
    this.stop();
    this.#onStall(phase);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
