import { createHash } from "node:crypto";
import { StorageError, StorageErrorCode } from "./errors.js";

/** PS3.5 §9.1: a UID is digits and dots, components without leading zeros, at most 64 characters. */
const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function checkUid(value: string, what: string): void {
  if (value.length === 0 || value.length > 64 || !UID.test(value)) {
    throw new StorageError(StorageErrorCode.InvalidValue, `${what} ${JSON.stringify(value)} is not a valid UID (PS3.5 §9.1)`);
  }
}

/**
 * Where an instance lives, relative to the storage folder: `ab/cd/<SOP Instance UID>.dcm`, where `abcd` are the
 * first four hex digits of the SHA-256 of the UID. Hashing spreads instances evenly over 65,536 folders; the UIDs
 * themselves share long organisation prefixes and would pile up in one folder. The UID was checked to hold only
 * digits and dots, so it is safe as a file name.
 */
export function instanceRelativePath(sopInstanceUid: string): string {
  checkUid(sopInstanceUid, "SOP Instance UID");
  const h = createHash("sha256").update(sopInstanceUid, "latin1").digest("hex");
  return `${h.slice(0, 2)}/${h.slice(2, 4)}/${sopInstanceUid}.dcm`;
}

/** Temporary files never end in `.dcm`, so a crash leaves nothing that looks like a stored instance. */
export const TEMP_SUFFIX = ".partial";
