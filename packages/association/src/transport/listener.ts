import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket, type TlsOptions } from "node:tls";
import { MAX_PEEKED_BYTES, peekFirstRecord } from "./first-record.js";
import { HandshakeGate } from "./handshake-gate.js";

/** PS3.8 §9.3: PDU types 01H-07H; anything else as the first byte is not DICOM. */
const FIRST_PDU_TYPE = 0x01;
const LAST_PDU_TYPE = 0x07;
/** RFC 8446 §5.1: a TLS record starts with ContentType handshake (22) for a ClientHello. */
const TLS_HANDSHAKE_RECORD = 0x16;

/** Why a connection was dropped before any association could start. Stable codes for logs and audit. */
export const ListenerRefusalReasons = {
  /** A TLS ClientHello arrived on a plain DICOM port. */
  TlsOnPlainPort: "TLS_CLIENT_ON_PLAIN_PORT",
  /** A plain DICOM PDU arrived on a DICOM TLS port. */
  PlainOnTlsPort: "PLAIN_DICOM_ON_TLS_PORT",
  /** The first byte is neither a DICOM PDU type nor a TLS handshake record. */
  UnknownProtocol: "UNKNOWN_PROTOCOL",
  /** The client sent nothing, or did not finish the TLS handshake, within the handshake timeout. */
  HandshakeTimeout: "HANDSHAKE_TIMEOUT",
  /** OpenSSL refused the handshake (protocol version, cipher, ...): see `error`. */
  HandshakeFailed: "TLS_HANDSHAKE_FAILED",
} as const;
export type ListenerRefusalReason = (typeof ListenerRefusalReasons)[keyof typeof ListenerRefusalReasons];

export interface ListenerRefusal {
  readonly reason: ListenerRefusalReason;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** The listener's own port. */
  readonly localPort: number | undefined;
  readonly detail: string;
  /** The TLS error behind HandshakeFailed / HandshakeTimeout, when there is one. */
  readonly error?: Error;
  /** HandshakeFailed: the client's first TLS record (its ClientHello, at most 16 KiB), so the log can say what it offered. */
  readonly clientHello?: Buffer;
}

export interface DicomListenerOptions {
  readonly host?: string;
  readonly port: number;
  /** DICOM TLS on this port when present (from tls-context's `buildServerOptions`). */
  readonly tls?: TlsOptions;
  /** Bound on the time to the first byte and, for TLS, to the end of the handshake. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** An accepted connection: a plain socket, or a TLS socket whose handshake completed (peer not yet judged). */
  readonly onConnection: (socket: Socket | TLSSocket) => void;
  /** A connection dropped before reaching onConnection. */
  readonly onRefusal?: (refusal: ListenerRefusal) => void;
  /** TCP listen backlog. */
  readonly backlog?: number;
  /** TLS handshakes in progress at once; later ones wait their turn (paused). Default 4. */
  readonly maxConcurrentHandshakes?: number;
}

/**
 * One DICOM port: accepts TCP, looks at the first byte so that a TLS client on a plain port and plain DICOM on a
 * TLS port are each named as such (instead of an opaque "wrong version number"), bounds the time to the first
 * byte and to the end of the handshake per connection (a stalled client delays nobody else), then hands the
 * socket to `onConnection`. TLS runs through an unlistened `tls.Server` so `setSecureContext` swaps certificates
 * for new connections while open ones continue.
 */
export class DicomListener {
  readonly #options: DicomListenerOptions;
  readonly #server: NetServer;
  readonly #tlsServer: TlsServer | undefined;
  readonly #pending = new Set<Socket>();
  /** Each connection is refused (and reported) once, however many errors follow. */
  readonly #refused = new WeakSet<Socket>();
  /** The peer as seen at accept time: after a reset Node no longer knows the remote address. */
  readonly #peers = new WeakMap<Socket, { address: string | undefined; port: number | undefined }>();
  /** The first TLS record of each TLS connection, until its handshake ends. */
  readonly #hellos = new WeakMap<Socket, Buffer>();
  readonly #handshakeTimeoutMs: number;
  readonly #gate: HandshakeGate;

  constructor(options: DicomListenerOptions) {
    this.#options = options;
    this.#gate = new HandshakeGate(options.maxConcurrentHandshakes ?? 4);
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.#server = createNetServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.#onTcp(socket));
    if (options.tls !== undefined) {
      // The handshake timer of tls.Server is ours instead (it also covers the wait for the first byte).
      const tlsServer = createTlsServer({ ...options.tls, handshakeTimeout: 0 });
      tlsServer.on("secureConnection", (socket: TLSSocket) => this.#onSecure(socket));
      tlsServer.on("tlsClientError", (error: Error, socket: TLSSocket) => this.#onTlsError(error, socket));
      this.#tlsServer = tlsServer;
    }
  }

  /** TLS handshakes running now, and connections waiting for their turn. */
  get handshakes(): { readonly inProgress: number; readonly queued: number } {
    return { inProgress: this.#gate.inProgress, queued: this.#gate.queued };
  }

  get secure(): boolean {
    return this.#tlsServer !== undefined;
  }

  /** Start listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once("error", onError);
      this.#server.listen({ port: this.#options.port, host: this.#options.host, backlog: this.#options.backlog }, () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo | null)?.port ?? this.#options.port;
  }

  /** Swap the certificate, key and trust for connections accepted from now on (hot reload). */
  setSecureContext(options: SecureContextOptions): void {
    if (this.#tlsServer === undefined) throw new Error("setSecureContext: this listener is not a DICOM TLS listener");
    this.#tlsServer.setSecureContext(options);
  }

  /** Stop accepting and drop connections still in their handshake; established ones are the caller's. */
  close(): Promise<void> {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
    this.#gate.clear();
    // net.Server#close's callback waits for every connection to end, and established ones are released or aborted by
    // the caller after this returns: waiting here would hang a shutdown with an association open. The port stops
    // accepting at once.
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }

  #refuse(socket: Socket, reason: ListenerRefusalReason, detail: string, error?: Error, clientHello?: Buffer): void {
    this.#pending.delete(socket);
    this.#gate.leave(socket);
    if (this.#refused.has(socket)) return;
    this.#refused.add(socket);
    const peer = this.#peers.get(socket);
    this.#options.onRefusal?.({
      reason,
      remoteAddress: peer?.address ?? socket.remoteAddress,
      remotePort: peer?.port ?? socket.remotePort,
      localPort: socket.localPort,
      detail,
      ...(error !== undefined && { error }),
      ...(clientHello !== undefined && { clientHello }),
    });
    socket.destroy();
  }

  #onTcp(socket: Socket): void {
    socket.setNoDelay(true);
    this.#peers.set(socket, { address: socket.remoteAddress, port: socket.remotePort });
    this.#pending.add(socket);
    const timer = setTimeout(() => {
      const what = this.secure ? "did not complete the TLS handshake" : "sent nothing";
      this.#refuse(socket, ListenerRefusalReasons.HandshakeTimeout, `the client ${what} within ${this.#handshakeTimeoutMs} ms`);
    }, this.#handshakeTimeoutMs);
    timer.unref();
    // The timer belongs to the socket until the handshake completes (TLS) or it is handed over (plain).
    socket.once("close", () => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      this.#gate.leave(socket);
    });
    socket.on("error", () => undefined); // reported through 'close' / tlsClientError; never crash the listener
    // A socket closed before its first bytes never calls back: 'close' cleans up.
    peekFirstRecord(socket, this.#tlsServer !== undefined, (head) => {
      const byte = head[0] ?? -1;
      if (this.#tlsServer !== undefined) {
        if (byte === TLS_HANDSHAKE_RECORD) {
          // A copy: the chunk read may be a view into a much larger allocation.
          this.#hellos.set(socket, Buffer.from(head.subarray(0, MAX_PEEKED_BYTES)));
          (socket as Socket & { dicomHandshakeTimer?: NodeJS.Timeout }).dicomHandshakeTimer = timer;
          // The handshake timer keeps running while the socket waits for a slot: the wait is bounded too.
          const tlsServer = this.#tlsServer;
          this.#gate.enter(socket, () => tlsServer.emit("connection", socket));
          return;
        }
        clearTimeout(timer);
        if (byte >= FIRST_PDU_TYPE && byte <= LAST_PDU_TYPE) {
          this.#refuse(socket, ListenerRefusalReasons.PlainOnTlsPort, `plain DICOM (PDU type 0x${byte.toString(16).padStart(2, "0")}) on a DICOM TLS port; the client must use TLS`);
        } else {
          this.#refuse(socket, ListenerRefusalReasons.UnknownProtocol, `first byte 0x${byte.toString(16).padStart(2, "0")} is neither TLS nor DICOM`);
        }
        return;
      }
      clearTimeout(timer);
      if (byte === TLS_HANDSHAKE_RECORD) {
        this.#refuse(socket, ListenerRefusalReasons.TlsOnPlainPort, "a TLS ClientHello on a plain DICOM port; this port does not speak DICOM TLS");
        return;
      }
      if (byte < FIRST_PDU_TYPE || byte > LAST_PDU_TYPE) {
        this.#refuse(socket, ListenerRefusalReasons.UnknownProtocol, `first byte 0x${byte.toString(16).padStart(2, "0")} is not a DICOM PDU type`);
        return;
      }
      this.#pending.delete(socket);
      this.#options.onConnection(socket);
    });
  }

  #underlying(socket: TLSSocket): Socket | undefined {
    return (socket as TLSSocket & { _parent?: Socket | null })._parent ?? undefined;
  }

  #clearTimer(socket: TLSSocket): void {
    const raw = this.#underlying(socket) as (Socket & { dicomHandshakeTimer?: NodeJS.Timeout }) | undefined;
    if (raw?.dicomHandshakeTimer !== undefined) clearTimeout(raw.dicomHandshakeTimer);
    if (raw !== undefined) {
      this.#pending.delete(raw);
      this.#gate.leave(raw);
    }
  }

  #onSecure(socket: TLSSocket): void {
    this.#clearTimer(socket);
    const raw = this.#underlying(socket);
    if (raw !== undefined) this.#hellos.delete(raw);
    socket.setNoDelay(true);
    this.#options.onConnection(socket);
  }

  #onTlsError(error: Error, socket: TLSSocket): void {
    this.#clearTimer(socket);
    const raw = this.#underlying(socket) ?? socket;
    this.#refuse(raw, ListenerRefusalReasons.HandshakeFailed, error.message, error, this.#hellos.get(raw));
    socket.destroy();
  }
}

/** Create and start a DICOM listener. */
export async function listenDicom(options: DicomListenerOptions): Promise<DicomListener> {
  const listener = new DicomListener(options);
  await listener.listen();
  return listener;
}
