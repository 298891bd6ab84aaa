import { existsSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StorageError, StorageErrorCode, storageErrorFrom } from "./errors.js";
import { exists, removeQuietly, syncFolder } from "./fs-util.js";
import { INDEX_FILE_NAME } from "./layout.js";
import { describeFile, listAllInstanceFolders, requireStorageFolder, type IdentifierReader } from "./scan.js";
import { SqliteIndex, type IndexedInstance } from "./sqlite-index.js";

export interface RebuildIndexOptions {
  /** The storage folder (StorageDirectory). It must exist. */
  readonly folder: string;
  /** Reads the identifiers of each file's dataset header (the server's parser); without it rows hold the File Meta only. */
  readonly readIdentifiers?: IdentifierReader;
  /** Called after each file: files done of the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface RebuildIndexResult {
  /** Rows in the new index. */
  readonly indexed: number;
  /** Files that could not be indexed (relative path and why); left where they are. */
  readonly skipped: Array<{ path: string; reason: string }>;
  /** Temporary files of interrupted writes, removed. */
  readonly removedTemporaries: number;
}

/** The new index is built under this name next to the old one, then renamed over it. */
const REBUILD_NAME = `${INDEX_FILE_NAME}.rebuild`;
const SIDE_FILES = ["-wal", "-shm", "-journal"] as const;
/** Rows handed to SQLite per transaction while building. */
const BATCH_ROWS = 1000;

async function removeIndexFiles(base: string): Promise<void> {
  await removeQuietly(base);
  for (const s of SIDE_FILES) await removeQuietly(`${base}${s}`);
}

/**
 * Makes sure no other process has the index open (a running server), and leaves the old index without a WAL, so a
 * file renamed over it is not paired with the old WAL: the last connection to close a WAL database removes its
 * `-wal`; when it is still there after ours closed, someone else holds the database.
 */
function releaseOldIndex(file: string, walExists: () => boolean): void {
  let old: SqliteIndex | undefined;
  try {
    old = new SqliteIndex(file);
    old.checkpoint();
  } catch {
    // Unreadable or corrupt: it is being replaced, which is what reindex is for.
  } finally {
    old?.close();
  }
  if (walExists()) {
    throw new StorageError(StorageErrorCode.InUse, `the index ${file} is open in another process (a running dicomtls-server?): stop it, then run reindex again`, file);
  }
}

/**
 * Rebuilds the index from the files without a server: a new database is built beside the old one (`index.sqlite.rebuild`)
 * and renamed over it once complete, so an interrupted rebuild leaves the old index as it was. Temporaries of
 * interrupted writes are removed; files that cannot be indexed are reported and left in place.
 */
export async function rebuildIndex(options: RebuildIndexOptions): Promise<RebuildIndexResult> {
  const root = options.folder;
  await requireStorageFolder(root);
  const file = join(root, INDEX_FILE_NAME);
  const building = join(root, REBUILD_NAME);
  const walExists = (): boolean => existsSync(`${file}-wal`);
  if (await exists(file)) releaseOldIndex(file, walExists); // refuse early, before the long part
  await removeIndexFiles(building); // what an interrupted rebuild left
  const listings = await listAllInstanceFolders(root);
  const total = listings.reduce((n, l) => n + l.instances.length, 0);
  const skipped: RebuildIndexResult["skipped"] = [];
  let removedTemporaries = 0;
  let indexed = 0;
  let done = 0;
  const index = new SqliteIndex(building);
  try {
    let batch: IndexedInstance[] = [];
    for (const listing of listings) {
      for (const name of listing.temporaries) {
        await removeQuietly(join(root, listing.folder, name));
        removedTemporaries++;
      }
      for (const name of listing.instances) {
        const path = `${listing.folder}/${name}`;
        const found = await describeFile(root, path, options.readIdentifiers);
        if (found.kind === "instance") batch.push(found.row);
        else skipped.push({ path, reason: found.reason });
        if (batch.length >= BATCH_ROWS) {
          index.upsertMany(batch);
          indexed += batch.length;
          batch = [];
        }
        options.onProgress?.(++done, total);
      }
    }
    index.upsertMany(batch);
    indexed += batch.length;
  } catch (err) {
    index.close();
    await removeIndexFiles(building);
    throw err;
  }
  // Closing the last connection checkpoints the WAL into the file (synced) and removes the WAL.
  index.close();
  if (await exists(file)) releaseOldIndex(file, walExists);
  try {
    await unlink(`${file}-shm`).catch(() => undefined);
    await rename(building, file);
    await syncFolder(root);
  } catch (err) {
    throw storageErrorFrom(err, `put the rebuilt index in place of`, file);
  }
  return { indexed, skipped, removedTemporaries };
}
