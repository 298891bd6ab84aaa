import type { X509Certificate } from "node:crypto";
import type { PduDecodeError, PduPieces } from "@dicomtls/pdu-codec";

/** TLS facts about the connection, after the handshake. */
export interface TlsPeerInfo {
  readonly protocol: string | null;
  readonly cipher: string | undefined;
  /** Node's verdict on the peer chain against the configured CAs. */
  readonly authorized: boolean;
  readonly authorizationError: string | undefined;
  readonly certificate: X509Certificate | undefined;
}

/** Who is on the other end of a transport connection. */
export interface PeerInfo {
  readonly address: string;
  readonly port: number;
  /** undefined for plain TCP. */
  readonly tls: TlsPeerInfo | undefined;
}

/** What a transport reports to the upper layer. */
export interface TransportSink {
  /** One whole PDU (header included), in arrival order. */
  pdu(bytes: Buffer): void;
  /**
   * Optional: one whole P-DATA-TF that arrived split across reads, as views of them (no copy). A sink without it gets
   * every PDU through `pdu`, joined into one buffer.
   */
  pduPieces?(pdu: PduPieces): void;
  /** The byte stream is not PS3.8 (unknown type, or larger than our limit); nothing more will be read. */
  framingError(error: PduDecodeError): void;
  /** The connection is gone (PS3.8 Evt17); `error` is the socket error that ended it, if any. */
  closed(error: Error | undefined): void;
  /** Our own code failed on this connection (not the peer's bytes): the per-connection error boundary. */
  internalError?(error: unknown): void;
}

/** What a progress watch reads from a transport (DicomScpTimeout covers every phase, a data set included). */
export interface TransportActivity {
  /** Grows with every chunk received, every write and every 'drain'. */
  readonly progress: number;
  /** Reading is stopped by us (backpressure): no bytes can be expected from the peer. */
  readonly readPaused: boolean;
  /** A write waits for 'drain': the peer is not reading what we send. */
  readonly writeBlocked: boolean;
}

/**
 * PS3.8 §9.1.1 transport service as the upper layer sees it. The only implementation with a socket is
 * SocketTransport; tests may supply others.
 */
export interface Transport {
  readonly peer: PeerInfo;
  /** Begin delivering PDUs to the sink (nothing is read before this; the post-handshake check runs first). */
  startReading(): void;
  /**
   * Writes one PDU's bytes (or several whole PDUs) in order; resolves once the socket accepted them without exceeding
   * its buffer ('drain'). `written` runs when the socket no longer holds the bytes (its write callback, or the
   * connection ended), so their buffer may be reused.
   */
  write(pdu: readonly Uint8Array[], written?: () => void): Promise<void>;
  /** Flush and end gracefully; the connection is destroyed if the peer has not closed after `graceMs`. */
  close(graceMs: number): void;
  destroy(): void;
  /** Reference-counted: reading stops while at least one reason holds it paused. */
  pause(): void;
  resume(): void;
  setMaxPDataLength(n: number): void;
  /** Activity counters for a progress watch; a transport without them is never timed out for a stall. */
  readonly activity?: TransportActivity;
}
