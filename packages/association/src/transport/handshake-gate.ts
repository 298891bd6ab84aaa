import { channel } from "node:diagnostics_channel";
import type { Socket } from "node:net";

/** `node:diagnostics_channel` channels of the DICOM listener (`dicom:listener:<event>`). */
export const ListenerChannels = {
  /** A TLS handshake starts: `{ inProgress, queued, max }` (inProgress counts this one). */
  handshakeStart: "dicom:listener:handshake-start",
} as const;
const handshakeStartChannel = channel(ListenerChannels.handshakeStart);

/**
 * Lets at most `max` TLS handshakes run at once; later connections wait in arrival order, paused (their bytes stay
 * in the kernel), until one ends. A handshake's key exchange and signature run on the event loop: 200 started
 * together stalled every open association for hundreds of milliseconds, a few at a time keep each stall short.
 */
export class HandshakeGate {
  readonly #max: number;
  readonly #running = new Set<Socket>();
  readonly #waiting = new Map<Socket, () => void>();

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  get inProgress(): number {
    return this.#running.size;
  }

  get queued(): number {
    return this.#waiting.size;
  }

  /** Runs `start` now if a slot is free, else when one frees up (never after `leave(socket)`). */
  enter(socket: Socket, start: () => void): void {
    if (this.#running.size < this.#max) this.#start(socket, start);
    else this.#waiting.set(socket, start);
  }

  /** The socket's handshake ended (done, failed, timed out) or the socket closed; idempotent. */
  leave(socket: Socket): void {
    this.#waiting.delete(socket);
    if (!this.#running.delete(socket)) return;
    for (const [next, start] of this.#waiting) {
      this.#waiting.delete(next);
      if (next.destroyed) continue;
      this.#start(next, start);
      return;
    }
  }

  /** Forgets every waiting socket (the listener is closing and destroys them). */
  clear(): void {
    this.#waiting.clear();
    this.#running.clear();
  }

  #start(socket: Socket, start: () => void): void {
    this.#running.add(socket);
    if (handshakeStartChannel.hasSubscribers) handshakeStartChannel.publish({ inProgress: this.#running.size, queued: this.#waiting.size, max: this.#max });
    start();
  }
}
