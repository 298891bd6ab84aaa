/** Stable error codes of this package (STYLE.md: `ERR_DICOM_*`). */
export const PduErrorCode = {
  Malformed: "ERR_DICOM_PDU_MALFORMED",
  UnknownType: "ERR_DICOM_PDU_UNKNOWN_TYPE",
  TooLarge: "ERR_DICOM_PDU_TOO_LARGE",
  InvalidValue: "ERR_DICOM_PDU_INVALID_VALUE",
  CommandMalformed: "ERR_DICOM_COMMAND_MALFORMED",
  CommandInvalid: "ERR_DICOM_COMMAND_INVALID",
} as const;
export type PduErrorCodeValue = (typeof PduErrorCode)[keyof typeof PduErrorCode];

/**
 * Bytes from a peer that are not a valid PDU (or command set). `offset` is the byte position of the fault
 * within the decoded buffer (or within the stream, for the framer).
 */
export class PduDecodeError extends Error {
  override readonly name: string = "PduDecodeError";
  readonly code: PduErrorCodeValue;
  readonly offset: number;
  constructor(code: PduErrorCodeValue, message: string, offset: number) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}

/** PS3.8 §9.3.1 + D.1: a PDU announced longer than the receiver allows; refused before its body is buffered. */
export class PduTooLargeError extends PduDecodeError {
  override readonly name: string = "PduTooLargeError";
  readonly pduType: number;
  readonly announced: number;
  readonly allowed: number;
  constructor(pduType: number, announced: number, allowed: number, offset: number) {
    super(
      PduErrorCode.TooLarge,
      `PDU type 0x${pduType.toString(16).padStart(2, "0")} announces a length of ${announced} bytes, ` +
        `more than the ${allowed} bytes allowed for it; the peer ignores the negotiated maximum PDU length`,
      offset,
    );
    this.pduType = pduType;
    this.announced = announced;
    this.allowed = allowed;
  }
}

/** A value handed to an encoder that cannot be put on the wire (AE title too long, id out of range, ...). */
export class PduEncodeError extends Error {
  override readonly name: string = "PduEncodeError";
  readonly code: typeof PduErrorCode.InvalidValue | typeof PduErrorCode.CommandInvalid;
  constructor(message: string, code: typeof PduErrorCode.InvalidValue | typeof PduErrorCode.CommandInvalid = PduErrorCode.InvalidValue) {
    super(message);
    this.code = code;
  }
}
