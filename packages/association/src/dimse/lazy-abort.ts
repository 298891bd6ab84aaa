/**
 * The abort of one received request (C-CANCEL-RQ for it, or the association ending). Node's AbortController is an
 * EventTarget costing microseconds to make, and most requests (C-ECHO, C-STORE answered at once) never look at their
 * signal: the controller is made when the signal is first read, already aborted when the abort came first.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
