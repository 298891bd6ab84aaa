/** Stable error codes of this package (STYLE.md: `ERR_DICOM_*`). */
export const AssociationErrorCode = {
  Rejected: "ERR_DICOM_ASSOCIATION_REJECTED",
  Aborted: "ERR_DICOM_ABORTED",
  Connect: "ERR_DICOM_CONNECT",
  Tls: "ERR_DICOM_TLS",
  Timeout: "ERR_DICOM_TIMEOUT",
  Protocol: "ERR_DICOM_PROTOCOL",
  Negotiation: "ERR_DICOM_NEGOTIATION",
  InvalidState: "ERR_DICOM_INVALID_STATE",
  InvalidArgument: "ERR_DICOM_INVALID_ARGUMENT",
  ConnectionClosed: "ERR_DICOM_CONNECTION_CLOSED",
} as const;
export type AssociationErrorCodeValue = (typeof AssociationErrorCode)[keyof typeof AssociationErrorCode];

/** Base of every error this package throws; `code` is stable, `message` says what to do. */
export class AssociationError extends Error {
  override readonly name: string = "AssociationError";
  readonly code: AssociationErrorCodeValue;
  constructor(code: AssociationErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** PS3.8 §9.3.4: the peer answered A-ASSOCIATE-RJ. */
export class AssociationRejectedError extends AssociationError {
  override readonly name: string = "AssociationRejectedError";
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  constructor(message: string, rj: { result: number; source: number; reason: number }) {
    super(AssociationErrorCode.Rejected, message);
    this.result = rj.result;
    this.source = rj.source;
    this.reason = rj.reason;
  }
}

/** PS3.8 §9.3.8 / §7.3, §7.4: the association ended by A-ABORT or A-P-ABORT, from either side. */
export class AssociationAbortedError extends AssociationError {
  override readonly name: string = "AssociationAbortedError";
  readonly source: number;
  readonly reason: number;
  /** True when the peer sent the A-ABORT (or closed the connection); false when we aborted. */
  readonly byPeer: boolean;
  constructor(message: string, details: { source: number; reason: number; byPeer: boolean }) {
    super(AssociationErrorCode.Aborted, message);
    this.source = details.source;
    this.reason = details.reason;
    this.byPeer = details.byPeer;
  }
}

/** The TCP connection could not be opened (refused, unreachable, DNS, timeout). */
export class ConnectError extends AssociationError {
  override readonly name: string = "ConnectError";
  readonly host: string;
  readonly port: number;
  constructor(message: string, host: string, port: number, cause?: unknown) {
    super(AssociationErrorCode.Connect, message, { cause });
    this.host = host;
    this.port = port;
  }
}

/** The TLS handshake or the peer-certificate policy failed. `tlsCode` is OpenSSL/Node's code when there is one. */
export class TlsError extends AssociationError {
  override readonly name: string = "TlsError";
  readonly tlsCode: string | undefined;
  constructor(message: string, tlsCode: string | undefined, cause?: unknown) {
    super(AssociationErrorCode.Tls, message, { cause });
    this.tlsCode = tlsCode;
  }
}

/** A timer of ours ran out: `timer` names which one (connect, associate, dimse, release, artim). */
export class AssociationTimeoutError extends AssociationError {
  override readonly name: string = "AssociationTimeoutError";
  readonly timer: string;
  constructor(message: string, timer: string) {
    super(AssociationErrorCode.Timeout, message);
    this.timer = timer;
  }
}

/** The peer broke PS3.8/PS3.7 (we abort with source 2 and `abortReason`). */
export class DimseProtocolError extends AssociationError {
  override readonly name: string = "DimseProtocolError";
  /** PS3.8 Table 9-26 reason for the A-ABORT this causes. */
  readonly abortReason: number;
  constructor(message: string, abortReason: number, cause?: unknown) {
    super(AssociationErrorCode.Protocol, message, { cause });
    this.abortReason = abortReason;
  }
}

/** Negotiation did not give what the caller needs (no accepted context, an A-ASSOCIATE-AC that does not fit the RQ). */
export class NegotiationError extends AssociationError {
  override readonly name: string = "NegotiationError";
  constructor(message: string) {
    super(AssociationErrorCode.Negotiation, message);
  }
}
