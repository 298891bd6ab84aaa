import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { PduDecodeError, PduFramer, type PduPieces } from "@dicomtls/pdu-codec";
import { AssociationError, AssociationErrorCode } from "../errors.js";
import type { PeerInfo, TlsPeerInfo, Transport, TransportActivity, TransportSink } from "./transport.js";

export interface SocketTransportOptions {
  /** Our P-DATA-TF receive limit (PS3.8 D.1), 0 = unlimited. */
  readonly maxPDataLength: number;
  /** Limit for the other PDU types (A-ASSOCIATE-RQ with many contexts is the largest). */
  readonly maxOtherLength?: number;
}

/** Multi-part PDUs up to this size are copied into one buffer before they are written. */
const COALESCE_BYTES = 4096;

/** A hook run after the TLS handshake and before any PDU is read; rejecting closes the connection. */
export type VerifyTransport = (socket: Socket | TLSSocket) => Promise<void> | void;

/** `certificate`: the peer certificate already parsed for this connection (parsing it again cost ~0.5 ms in a storm). */
function describePeer(socket: Socket, certificate?: TlsPeerInfo["certificate"]): PeerInfo {
  const base = { address: socket.remoteAddress ?? "unknown", port: socket.remotePort ?? 0 };
  if (!(socket instanceof TLSSocket)) return { ...base, tls: undefined };
  const authorizationError = socket.authorizationError as Error | string | null | undefined;
  return {
    ...base,
    tls: {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher()?.name,
      authorized: socket.authorized,
      authorizationError: authorizationError == null ? undefined : String(authorizationError),
      certificate: certificate ?? socket.getPeerX509Certificate(),
    },
  };
}

/**
 * The one place a socket is read or written (ARCHITECTURE.md). Inbound bytes go through a PduFramer bounded by our
 * receive limit; outbound PDUs are written in call order and `write` resolves on 'drain', so a writer that awaits
 * it never buffers more than the socket's high-water mark.
 */
export class SocketTransport implements Transport {
  readonly #socket: Socket;
  readonly #sink: TransportSink;
  readonly #framer: PduFramer;
  #peer: PeerInfo;
  #reading = false;
  #pauses = 0;
  #closed = false;
  #failed = false;
  #error: Error | undefined;
  #drain: Promise<void> | undefined;
  #destroyTimer: NodeJS.Timeout | undefined;
  #progress = 0;

  constructor(socket: Socket, sink: TransportSink, options: SocketTransportOptions) {
    this.#socket = socket;
    this.#sink = sink;
    this.#framer = new PduFramer({
      maxPDataLength: options.maxPDataLength,
      ...(options.maxOtherLength !== undefined && { maxOtherLength: options.maxOtherLength }),
    });
    // Nagle would hold each small response ~40 ms waiting for an ACK (ARCHITECTURE.md).
    socket.setNoDelay(true);
    socket.pause();
    this.#peer = describePeer(socket);
    socket.on("error", (err) => {
      this.#error ??= err;
    });
    socket.once("close", () => this.#markClosed());
    // A socket that died before we got it has already emitted 'close'.
    if (socket.destroyed) queueMicrotask(() => this.#markClosed());
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#destroyTimer);
    this.#sink.closed(this.#error);
  }

  get peer(): PeerInfo {
    return this.#peer;
  }

  get activity(): TransportActivity {
    return { progress: this.#progress, readPaused: this.#pauses > 0 || this.#failed, writeBlocked: this.#drain !== undefined };
  }

  /** Runs the post-handshake hook; the socket stays paused (no PDU framed) until it resolves. */
  async verify(hook: VerifyTransport): Promise<void> {
    try {
      await hook(this.#socket);
    } catch (err) {
      this.destroy();
      throw err;
    }
    // The hook may have looked at the certificate; refresh in case renegotiation state changed.
    this.#peer = describePeer(this.#socket, this.#peer.tls?.certificate);
  }

  startReading(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    this.#socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    if (this.#pauses === 0) this.#socket.resume();
  }

  #onData(chunk: Buffer): void {
    this.#progress++;
    if (this.#failed) return;
    const sink = this.#sink;
    let pdus: Array<Buffer | PduPieces>;
    try {
      // The socket allocates a buffer per read and never reuses it, so views of it stay valid (issue 13: no copy).
      pdus = sink.pduPieces !== undefined ? this.#framer.pushPieces(chunk) : this.#framer.push(chunk);
    } catch (err) {
      // Reading goes on, discarding (the #failed guard above): a paused socket would not notice the peer closing and
      // would hold its descriptor until ARTIM expired.
      this.#failed = true;
      if (err instanceof PduDecodeError) sink.framingError(err);
      else sink.internalError?.(err);
      return;
    }
    for (const pdu of pdus) {
      if (this.#closed) return;
      if (pdu instanceof Uint8Array) sink.pdu(pdu);
      else sink.pduPieces!(pdu);
    }
  }

  write(pdu: readonly Uint8Array[], written?: () => void): Promise<void> {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || socket.writableEnded) {
      written?.();
      return Promise.reject(new AssociationError(AssociationErrorCode.ConnectionClosed, `the connection to ${this.#peer.address}:${this.#peer.port} is closed`));
    }
    let ok = true;
    this.#progress++;
    if (pdu.length > 1) {
      let bytes = 0;
      for (const part of pdu) bytes += part.byteLength;
      // A small PDU (a command: header + command set) goes out as one buffer: copying ~100 bytes is cheaper than
      // the stream's cork/writev path (a C-STORE-RSP per instance, issue 13), and TLS makes one record of it anyway.
      if (bytes <= COALESCE_BYTES) pdu = [Buffer.concat(pdu, bytes)];
    }
    if (pdu.length > 1) socket.cork();
    // Stream writes complete in order: the last part's callback means the socket is done with every part.
    const last = pdu.length - 1;
    for (let i = 0; i <= last; i++) {
      const part = pdu[i] as Uint8Array;
      ok = i === last && written !== undefined ? socket.write(part, () => written()) : socket.write(part);
    }
    if (pdu.length === 0) written?.();
    if (pdu.length > 1) socket.uncork();
    if (ok) return Promise.resolve();
    this.#drain ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.#progress++;
        socket.off("drain", done);
        socket.off("close", done);
        this.#drain = undefined;
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
    return this.#drain;
  }

  close(graceMs: number): void {
    if (this.#closed) return;
    this.#socket.end();
    clearTimeout(this.#destroyTimer);
    this.#destroyTimer = setTimeout(() => this.#socket.destroy(), graceMs);
    this.#destroyTimer.unref();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  pause(): void {
    if (this.#pauses++ === 0) this.#socket.pause();
  }

  resume(): void {
    if (this.#pauses === 0) return;
    if (--this.#pauses === 0 && this.#reading) this.#socket.resume();
  }

  setMaxPDataLength(n: number): void {
    this.#framer.setMaxPDataLength(n);
  }
}
