import type { FileHandle } from "node:fs/promises";
import { decodeFileMeta, encodeFileMeta, FileError, FileMetaError, FIRST_FILE_META_READ, type FileMetaInformation, type ReadFileMeta } from "@dicomtls/dataset";
import { StorageError, StorageErrorCode } from "./errors.js";

/** @dicomtls/dataset's encoder, its refusal as this package's error (a value the store cannot put in the File Meta). */
export function fileMetaBytes(meta: FileMetaInformation): Buffer {
  try {
    return encodeFileMeta(meta);
  } catch (err) {
    if (err instanceof FileMetaError) throw new StorageError(StorageErrorCode.InvalidValue, err.message, undefined, { cause: err });
    throw err;
  }
}

/**
 * Reads the File Meta of an open Part 10 file with @dicomtls/dataset's decoder (the only one), reading further while
 * it asks; throws ERR_DICOM_STORAGE_IO naming the file for a file that is not Part 10.
 */
export async function readFileMeta(fh: FileHandle, path: string): Promise<ReadFileMeta> {
  let want = FIRST_FILE_META_READ;
  for (;;) {
    const head = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(head, 0, want, 0);
    let r;
    try {
      r = decodeFileMeta(head.subarray(0, bytesRead), path, bytesRead < want);
    } catch (err) {
      if (err instanceof FileError) throw new StorageError(StorageErrorCode.Io, err.message, path, { cause: err });
      throw err;
    }
    if (r.kind === "meta") return r.meta;
    want = r.bytes;
  }
}
