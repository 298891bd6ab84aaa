/** Stable code of File Meta encoding faults (STYLE.md: `ERR_DICOM_*`); reading faults are FileError's. */
export const FileMetaErrorCode = {
  /** A UID, AE title or version name that cannot be written into the File Meta (PS3.5 §6.2, §9.1). */
  InvalidValue: "ERR_DICOM_FILE_META_INVALID_VALUE",
} as const;
export type FileMetaErrorCodeValue = (typeof FileMetaErrorCode)[keyof typeof FileMetaErrorCode];

/** A value `encodeFileMeta` refuses; the message names the attribute and the value. */
export class FileMetaError extends Error {
  override readonly name: string = "FileMetaError";
  readonly code: FileMetaErrorCodeValue = FileMetaErrorCode.InvalidValue;
}
