import type { CodecFailure } from "../worker.js";

/** Stable codes of codec runner errors (STYLE.md: `ERR_DICOM_*`); the dataset and file codes are those of DatasetError and FileError. */
export const CodecErrorCode = {
  /** The bytes are not a dataset in the stated transfer syntax, or lack the SOP Class / Instance UID. */
  DatasetUnparsable: "ERR_DICOM_DATASET_UNPARSABLE",
  /** The stored dataset cannot be sent in the accepted transfer syntax. */
  DatasetNotConvertible: "ERR_DICOM_DATASET_NOT_CONVERTIBLE",
  FileNotPart10: "ERR_DICOM_FILE_NOT_PART10",
  FileRead: "ERR_DICOM_FILE_READ",
  /** A PDU parameter is out of range (e.g. a maximum PDU length of 6). */
  InvalidValue: "ERR_DICOM_PDU_INVALID_VALUE",
  /** The runner was closed before or while the task ran. */
  Closed: "ERR_DICOM_CODEC_CLOSED",
  /** The task was aborted through its signal. */
  Aborted: "ERR_DICOM_CODEC_ABORTED",
  /** A worker died or the pool refused the task: not a fault of the input. */
  Worker: "ERR_DICOM_CODEC_WORKER",
  /** A bug: the message carries the worker's stack. */
  Internal: "ERR_DICOM_CODEC_INTERNAL",
} as const;
export type CodecErrorCodeValue = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

const KNOWN: ReadonlySet<string> = new Set(Object.values(CodecErrorCode));

/**
 * A codec task failed. `path` names the file for file tasks; `offset` is the dataset byte where a dataset fault lies;
 * `needMoreBytes` says a longer prefix of the dataset may parse (the runner already tried up to the whole input).
 */
export class CodecError extends Error {
  override readonly name: string = "CodecError";
  readonly code: CodecErrorCodeValue;
  readonly path: string | undefined;
  readonly offset: number | undefined;
  readonly needMoreBytes: boolean;
  constructor(code: CodecErrorCodeValue, message: string, details: { path?: string; offset?: number; needMoreBytes?: boolean; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.path = details.path;
    this.offset = details.offset;
    this.needMoreBytes = details.needMoreBytes ?? false;
  }

  /** @internal The worker's failure (data) as an error of this class, on the calling thread. */
  static fromFailure(f: CodecFailure): CodecError {
    const code = KNOWN.has(f.code) ? (f.code as CodecErrorCodeValue) : CodecErrorCode.Internal;
    // File errors already start with the path; dataset errors from a file task get it here.
    const message = f.path !== undefined && !f.message.startsWith(f.path) ? `${f.path}: ${f.message}` : f.message;
    const details: { path?: string; offset?: number; needMoreBytes?: boolean } = {};
    if (f.path !== undefined) details.path = f.path;
    if (f.offset !== undefined) details.offset = f.offset;
    if (f.needMoreBytes !== undefined) details.needMoreBytes = f.needMoreBytes;
    return new CodecError(code, message, details);
  }
}
