/** Stable error codes of the instance store (STYLE.md: `ERR_DICOM_*`). */
export const StorageErrorCode = {
  /** ENOSPC / EDQUOT: the C-STORE SCP answers 0xA700 "Refused: Out of Resources" (PS3.4 §B.2.3). */
  Full: "ERR_DICOM_STORAGE_FULL",
  /** Any other file-system failure (permissions, I/O error, missing folder). */
  Io: "ERR_DICOM_STORAGE_IO",
  /** A UID, AE title or other value the store cannot put in a file name or in the File Meta. */
  InvalidValue: "ERR_DICOM_STORAGE_INVALID_VALUE",
  /** A writer used after commit/abort, or the store used after close. */
  Closed: "ERR_DICOM_STORAGE_CLOSED",
  /** The index is open in another process (a running server) while a maintenance command needs it alone. */
  InUse: "ERR_DICOM_STORAGE_IN_USE",
} as const;
export type StorageErrorCodeValue = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export class StorageError extends Error {
  override readonly name: string = "StorageError";
  readonly code: StorageErrorCodeValue;
  /** The file or folder concerned, when there is one. */
  readonly path: string | undefined;
  constructor(code: StorageErrorCodeValue, message: string, path?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/** Out of space: the file system's (ENOSPC, EDQUOT) and SQLite's own word for it when a write of the index failed so. */
const FULL_CODES: ReadonlySet<string> = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL"]);

/** Maps a Node file-system or SQLite error to a StorageError naming the operation and the file. */
export function storageErrorFrom(err: unknown, operation: string, path: string): StorageError {
  if (err instanceof StorageError) return err;
  const sys = err as NodeJS.ErrnoException;
  if (sys.code !== undefined && FULL_CODES.has(sys.code)) {
    return new StorageError(
      StorageErrorCode.Full,
      `storage is full (${sys.code}) while trying to ${operation} ${path}: free space or raise the quota of the storage folder`,
      path,
      { cause: err },
    );
  }
  return new StorageError(StorageErrorCode.Io, `cannot ${operation} ${path}: ${sys.code ?? ""} ${sys.message}`.replace("  ", " "), path, { cause: err });
}
