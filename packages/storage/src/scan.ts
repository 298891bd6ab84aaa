import { mkdir, open, readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { StorageError, StorageErrorCode, storageErrorFrom } from "./errors.js";
import { readFileMeta } from "./file-meta.js";
import { instanceRelativePath, INSTANCE_FOLDERS, TEMP_SUFFIX } from "./layout.js";
import type { IndexedInstance, InstanceIdentifiers } from "./sqlite-index.js";

/** Reads identifiers from the start of a dataset (recovery, check, reindex); the server passes @dicomtls/dataset's parseDatasetHeader. */
export type IdentifierReader = (datasetPrefix: Uint8Array, transferSyntaxUid: string) => InstanceIdentifiers;

/** Where files the store cannot index are moved aside, inside the storage folder (outside the instance folders). */
export const QUARANTINE_FOLDER = "quarantine";
const INSTANCE_SUFFIX = ".dcm";

/**
 * The prefix handed to the identifier reader first, and how far it grows (four times each time the reader says the
 * identifiers lie further on): the Storage SCP's own steps (scp HeaderProbe), so a file is read as it was received.
 */
const FIRST_PREFIX_BYTES = 64 * 1024;
const MAX_PREFIX_BYTES = 16 * 1024 * 1024;

/** One instance folder (`ab`) as listed: instance files and temporaries of interrupted writes, by name. */
export interface FolderListing {
  readonly folder: string;
  readonly instances: string[];
  readonly temporaries: string[];
}

/** Lists one instance folder; a missing folder is empty (open() makes it again). */
export async function listInstanceFolder(root: string, folder: string): Promise<FolderListing> {
  const listing: FolderListing = { folder, instances: [], temporaries: [] };
  let names: string[];
  try {
    names = await readdir(join(root, folder));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return listing;
    throw storageErrorFrom(err, "list the instance folder", join(root, folder));
  }
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) listing.temporaries.push(name);
    else if (name.endsWith(INSTANCE_SUFFIX)) listing.instances.push(name);
  }
  return listing;
}

/** Every instance folder's listing, a few folders at a time (each readdir is a thread-pool round trip). */
export async function listAllInstanceFolders(root: string): Promise<FolderListing[]> {
  const out: FolderListing[] = [];
  for (let i = 0; i < INSTANCE_FOLDERS.length; i += 16) {
    out.push(...(await Promise.all(INSTANCE_FOLDERS.slice(i, i + 16).map((f) => listInstanceFolder(root, f)))));
  }
  return out;
}

/** The storage folder must exist (check and reindex must not make an empty store where the user meant another). */
export async function requireStorageFolder(root: string, what = "storage folder"): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new StorageError(StorageErrorCode.Io, `the ${what} ${root} does not exist (StorageDirectory): nothing to check or index`, root);
    }
    throw storageErrorFrom(err, `look at the ${what}`, root);
  }
  if (!isFolder) throw new StorageError(StorageErrorCode.Io, `the ${what} ${root} is not a folder (StorageDirectory)`, root);
}

/** What a file in an instance folder turned out to be. */
export type DescribedFile =
  | { readonly kind: "instance"; readonly row: IndexedInstance }
  /** Not a readable Part 10 file, or its dataset header cannot be read. */
  | { readonly kind: "unreadable"; readonly reason: string }
  /** A Part 10 file whose SOP Instance UID belongs at another path. */
  | { readonly kind: "misplaced"; readonly sopInstanceUid: string; readonly reason: string };

/** Only the identifier fields (a header parser returns more). */
export function pickIdentifiers(i: InstanceIdentifiers): InstanceIdentifiers {
  const out: InstanceIdentifiers = {};
  const keys = ["patientId", "patientName", "studyInstanceUid", "seriesInstanceUid", "studyDate", "modality", "accessionNumber"] as const;
  for (const k of keys) {
    const v = i[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Reads a file's File Meta and the identifiers of its dataset header, as the row the store would have written when
 * it received it (the reception time becomes the file's mtime; peer address and certificate are not in the file).
 */
export async function describeFile(root: string, relativePath: string, readIdentifiers: IdentifierReader | undefined): Promise<DescribedFile> {
  const path = join(root, ...relativePath.split("/"));
  let fh;
  try {
    fh = await open(path, "r");
  } catch (err) {
    return { kind: "unreadable", reason: storageErrorFrom(err, "open", path).message };
  }
  try {
    const meta = await readFileMeta(fh, path);
    const info = await fh.stat();
    const uid = meta.mediaStorageSopInstanceUid;
    let belongsAt: string;
    try {
      belongsAt = instanceRelativePath(uid);
    } catch (err) {
      return { kind: "unreadable", reason: `${path}: ${(err as Error).message}` };
    }
    if (belongsAt !== relativePath) return { kind: "misplaced", sopInstanceUid: uid, reason: `${path} holds ${uid}, which belongs at ${belongsAt}` };
    let identifiers: InstanceIdentifiers = {};
    if (readIdentifiers !== undefined) {
      const available = info.size - meta.datasetOffset;
      for (let want = FIRST_PREFIX_BYTES; ; want *= 4) {
        const prefix = Buffer.alloc(Math.min(want, available));
        await fh.read(prefix, 0, prefix.length, meta.datasetOffset);
        try {
          identifiers = readIdentifiers(prefix, meta.transferSyntaxUid);
          break;
        } catch (err) {
          const more = (err as { needMoreBytes?: unknown }).needMoreBytes === true && prefix.length < available && want * 4 <= MAX_PREFIX_BYTES;
          if (!more) return { kind: "unreadable", reason: `${path}: the dataset header cannot be read: ${(err as Error).message}` };
        }
      }
    }
    const row: IndexedInstance = {
      ...pickIdentifiers(identifiers),
      sopInstanceUid: uid,
      sopClassUid: meta.mediaStorageSopClassUid,
      transferSyntaxUid: meta.transferSyntaxUid,
      relativePath,
      size: info.size,
      // The reception time is not in the file; the modification time is when it was written.
      receivedAt: info.mtime.toISOString(),
      ...(meta.sourceAeTitle === undefined ? {} : { sourceAeTitle: meta.sourceAeTitle }),
    };
    return { kind: "instance", row };
  } catch (err) {
    return { kind: "unreadable", reason: (err as Error).message };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Moves a file the store cannot index out of the instance folders, to `quarantine/<run>/<relative path>`, so an
 * operator can look at it (nothing is deleted). Returns the new path relative to the storage folder.
 */
export async function quarantine(root: string, relativePath: string, run: string): Promise<string> {
  const movedTo = `${QUARANTINE_FOLDER}/${run}/${relativePath}`;
  const target = join(root, ...movedTo.split("/"));
  const from = join(root, ...relativePath.split("/"));
  try {
    await mkdir(join(target, ".."), { recursive: true });
    await rename(from, target);
  } catch (err) {
    throw storageErrorFrom(err, `move aside (to ${target})`, from);
  }
  return movedTo;
}

/** A name for one recovery run's quarantine folder: the UTC time, sortable (`20261205T150607Z`). */
export function quarantineRunName(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
