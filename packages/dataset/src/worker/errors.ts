/** Stable codes of the worker's file handling (STYLE.md: `ERR_DICOM_*`); dataset faults keep DatasetErrorCode. */
export const FileErrorCode = {
  /** The file is not a DICOM Part 10 file (no "DICM", broken File Meta, dataset cut short). */
  NotPart10: "ERR_DICOM_FILE_NOT_PART10",
  /** The file system refused (missing file, permissions, I/O error) or the file changed while being sent. */
  Read: "ERR_DICOM_FILE_READ",
} as const;
export type FileErrorCodeValue = (typeof FileErrorCode)[keyof typeof FileErrorCode];

/** A Part 10 file that cannot be read or sent; `path` names it. */
export class FileError extends Error {
  override readonly name: string = "FileError";
  readonly code: FileErrorCodeValue;
  readonly path: string;
  constructor(code: FileErrorCodeValue, path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.code = code;
    this.path = path;
  }
}
