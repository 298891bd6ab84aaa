import { createHash } from "node:crypto";
import { isUid } from "@dicomtls/dataset";
import { StorageError, StorageErrorCode } from "./errors.js";

/** PS3.5 §9.1 (the UID becomes a file name, so it must be one). */
export function checkUid(value: string, what: string): void {
  if (!isUid(value)) {
    throw new StorageError(StorageErrorCode.InvalidValue, `${what} ${JSON.stringify(value)} is not a valid UID (PS3.5 §9.1)`);
  }
}

/**
 * The folders instances live in, relative to the storage folder: `00` to `ff`. The store creates all 256 when it opens
 * (durably, once), so storing an instance never creates a folder: a new folder costs a mkdir and an fsync of its parent
 * on the answer's way (with two levels, 65,536 folders, nearly every instance of a young store made one).
 */
export const INSTANCE_FOLDERS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Where an instance lives, relative to the storage folder: `ab/<SOP Instance UID>.dcm`, where `ab` are the first two
 * hex digits of the SHA-256 of the UID. Hashing spreads instances evenly over the 256 folders (the UIDs themselves
 * share long organisation prefixes and would pile up in one): ten million instances make ~39,000 files per folder,
 * which ext4's and XFS's hashed directories look up directly. The UID was checked to hold only digits and dots, so
 * it is safe as a file name.
 */
export function instanceRelativePath(sopInstanceUid: string): string {
  checkUid(sopInstanceUid, "SOP Instance UID");
  const h = createHash("sha256").update(sopInstanceUid, "latin1").digest("hex");
  return `${h.slice(0, 2)}/${sopInstanceUid}.dcm`;
}

/** Temporary files never end in `.dcm`, so a crash leaves nothing that looks like a stored instance. */
export const TEMP_SUFFIX = ".partial";

/** The index database, in the storage folder (with its `-wal` and `-shm` while open). */
export const INDEX_FILE_NAME = "index.sqlite";
