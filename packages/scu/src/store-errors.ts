/** Stable codes of per-file store failures (STYLE.md `ERR_DICOM_*`); association and codec errors keep their own. */
export const StoreErrorCode = {
  /** Not a DICOM Part 10 file (no "DICM" at offset 128, or no File Meta): reported and skipped. */
  NotDicom: "ERR_DICOM_STORE_NOT_DICOM",
  /** The acceptor took no presentation context this file can be sent on (SOP class or transfer syntax refused). */
  NoContext: "ERR_DICOM_STORE_NO_CONTEXT",
  /** The acceptor answered the C-STORE with a failure status (PS3.4 §B.2.3). */
  Status: "ERR_DICOM_STORE_STATUS",
  /** Invalid options (no files, associations < 1 ...). */
  InvalidArgument: "ERR_DICOM_STORE_INVALID_ARGUMENT",
} as const;
export type StoreErrorCodeValue = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

export class StoreError extends Error {
  override readonly name: string = "StoreError";
  readonly code: StoreErrorCodeValue;
  /** The file concerned, when there is one. */
  readonly file: string | undefined;
  /** The C-STORE-RSP status for ERR_DICOM_STORE_STATUS. */
  readonly status: number | undefined;
  constructor(code: StoreErrorCodeValue, message: string, details: { file?: string; status?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.status = details.status;
  }
}

/** PS3.4 §B.2.3 and PS3.7 Annex C: what a C-STORE-RSP status means, in words. */
export function describeStoreStatus(status: number): string {
  if (status === 0x0000) return "Success";
  if ((status & 0xff00) === 0xa700) return "Refused: Out of Resources";
  if ((status & 0xff00) === 0xa900) return "Error: Data Set does not match SOP Class";
  if ((status & 0xf000) === 0xc000) return "Error: Cannot understand";
  if (status === 0xb000) return "Warning: Coercion of Data Elements";
  if (status === 0xb007) return "Warning: Data Set does not match SOP Class";
  if (status === 0xb006) return "Warning: Elements Discarded";
  if (status === 0x0122) return "Refused: SOP Class not supported";
  if (status === 0x0124) return "Refused: Not Authorized";
  if (status === 0x0210) return "Duplicate invocation";
  if (status === 0x0211) return "Unrecognized operation";
  if (status === 0x0212) return "Mistyped argument";
  if (status === 0x0117) return "Invalid SOP Instance";
  return "Failure";
}

/** PS3.7 Annex C: Success and Warning statuses mean the instance was stored. */
export function isStoredStatus(status: number): boolean {
  return status === 0x0000 || status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000;
}

export function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, "0").toUpperCase()}`;
}
