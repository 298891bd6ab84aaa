import { join } from "node:path";
import { exists } from "./fs-util.js";
import { INDEX_FILE_NAME, instanceRelativePath } from "./layout.js";
import { HIERARCHY_VERSION } from "./schema.js";
import { describeFile, listAllInstanceFolders, requireStorageFolder, type DescribedFile, type FolderListing, type IdentifierReader } from "./scan.js";
import { SqliteIndex, type IndexedInstance } from "./sqlite-index.js";
import { hierarchyProblems, levelCounts, type LevelCounts } from "./hierarchy-check.js";

/** The kinds of disagreement between the files and the index that `checkStorage` reports. */
export const DisagreementKind = {
  /** A `.partial` file: a write interrupted by a crash (or in progress, if a server runs on the folder). */
  StaleTemporary: "stale-temporary",
  /** A readable instance file with no index row. */
  FileWithoutRow: "file-without-row",
  /** An index row whose file is missing. */
  RowWithoutFile: "row-without-file",
  /** A Part 10 file whose SOP Instance UID belongs at another path (or whose name is not its UID). */
  MisplacedFile: "misplaced-file",
  /** A `.dcm` that is not a readable Part 10 file, or whose dataset header cannot be read. */
  UnreadableFile: "unreadable-file",
  /** File and row disagree: SOP Class, transfer syntax, size or an identifier of the header. */
  IdentifiersDiffer: "identifiers-differ",
  /**
   * The hierarchy disagrees with the instance rows: an instance in no series (a missing link), a patient, study or
   * series row without instances (an extra row), a count or set (ModalitiesInStudy...) other than the rows below give,
   * or an index of older code not migrated yet.
   */
  HierarchyDiffers: "hierarchy-differs",
} as const;
export type DisagreementKindValue = (typeof DisagreementKind)[keyof typeof DisagreementKind];

export interface Disagreement {
  readonly kind: DisagreementKindValue;
  /** Relative to the storage folder. */
  readonly path: string;
  readonly sopInstanceUid?: string;
  /** What disagrees, in words. */
  readonly detail: string;
}

export interface StorageCheckReport {
  readonly folder: string;
  /** Instance files (`.dcm`) in the instance folders. */
  readonly files: number;
  /** Rows of the index. */
  readonly rows: number;
  /** Rows of each level of the hierarchy (absent for an index of older code, which has none). */
  readonly levels?: LevelCounts;
  readonly disagreements: Disagreement[];
}

export interface StorageCheckOptions {
  /** The storage folder (StorageDirectory). It must exist. */
  readonly folder: string;
  /** Reads the identifiers of each file's dataset header to compare them with its row (the server's parser). */
  readonly readIdentifiers?: IdentifierReader;
  /** Called after each file: files done of the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The row fields a file must agree with (relativePath and receivedAt are where and when, not what). */
const COMPARED = ["sopClassUid", "transferSyntaxUid", "size", "patientId", "patientName", "studyInstanceUid", "seriesInstanceUid", "studyDate", "modality", "accessionNumber"] as const;

/** Temporaries of interrupted writes in one folder. */
export function staleTemporaries(listing: FolderListing): Disagreement[] {
  return listing.temporaries.map((name) => ({ kind: DisagreementKind.StaleTemporary, path: `${listing.folder}/${name}`, detail: "temporary file of an interrupted write" }));
}

/** What is wrong with one instance file given its row (undefined: none), or nothing. */
export function fileAgainstRow(path: string, found: DescribedFile, row: IndexedInstance | undefined): Disagreement | undefined {
  if (found.kind === "unreadable") return { kind: DisagreementKind.UnreadableFile, path, detail: found.reason, ...(row && { sopInstanceUid: row.sopInstanceUid }) };
  if (found.kind === "misplaced") return { kind: DisagreementKind.MisplacedFile, path, sopInstanceUid: found.sopInstanceUid, detail: found.reason };
  if (row === undefined) return { kind: DisagreementKind.FileWithoutRow, path, sopInstanceUid: found.row.sopInstanceUid, detail: "no index row for this file" };
  const differ = COMPARED.filter((k) => found.row[k] !== row[k]).map((k) => `${k}: file ${JSON.stringify(found.row[k] ?? null)}, row ${JSON.stringify(row[k] ?? null)}`);
  if (differ.length === 0) return undefined;
  return { kind: DisagreementKind.IdentifiersDiffer, path, sopInstanceUid: row.sopInstanceUid, detail: differ.join("; ") };
}

/** Rows of one folder that no file matched. */
export function rowsWithoutFiles(rows: Iterable<IndexedInstance>): Disagreement[] {
  return [...rows].map((r) => ({ kind: DisagreementKind.RowWithoutFile, path: r.relativePath, sopInstanceUid: r.sopInstanceUid, detail: "the index has a row, the file is missing" }));
}

/** Rows that point outside the instance folders (a hand-edited index): reported unless their file is where they say. */
export async function rowsOutsideFolders(root: string, index: SqliteIndex): Promise<Disagreement[]> {
  const out: Disagreement[] = [];
  for (const r of index.rowsOutsideFolders()) {
    const present = await exists(join(root, ...r.relativePath.split("/")));
    let belongsAt = "?";
    try {
      belongsAt = instanceRelativePath(r.sopInstanceUid);
    } catch {
      // Not a UID: the detail says so through "?".
    }
    out.push({
      kind: present ? DisagreementKind.MisplacedFile : DisagreementKind.RowWithoutFile,
      path: r.relativePath,
      sopInstanceUid: r.sopInstanceUid,
      detail: `the row points outside the instance folders; the instance belongs at ${belongsAt}`,
    });
  }
  return out;
}

/**
 * Compares every file with the index, without changing either (a read-only look; a server need not be stopped, but
 * its writes in progress then show as temporaries). Every `.dcm` is read (File Meta and dataset header), so this
 * costs a read of each file's first bytes.
 */
export async function checkStorage(options: StorageCheckOptions): Promise<StorageCheckReport> {
  const root = options.folder;
  await requireStorageFolder(root);
  const indexFile = join(root, INDEX_FILE_NAME);
  // A missing index is an empty one: every file is then a file without a row.
  const index = (await exists(indexFile)) ? new SqliteIndex(indexFile, { readonly: true }) : undefined;
  try {
    const listings = await listAllInstanceFolders(root);
    const total = listings.reduce((n, l) => n + l.instances.length, 0);
    const disagreements: Disagreement[] = [];
    let done = 0;
    for (const listing of listings) {
      disagreements.push(...staleTemporaries(listing));
      const rows = new Map((index?.rowsInFolder(listing.folder) ?? []).map((r) => [r.relativePath, r]));
      for (const name of listing.instances) {
        const path = `${listing.folder}/${name}`;
        const row = rows.get(path);
        rows.delete(path);
        const problem = fileAgainstRow(path, await describeFile(root, path, options.readIdentifiers), row);
        if (problem !== undefined) disagreements.push(problem);
        options.onProgress?.(++done, total);
      }
      disagreements.push(...rowsWithoutFiles(rows.values()));
    }
    if (index !== undefined) disagreements.push(...(await rowsOutsideFolders(root, index)));
    const hierarchy = index === undefined ? [] : hierarchyProblems(index.db, index.schemaVersion);
    disagreements.push(...hierarchy.map((p) => ({ kind: DisagreementKind.HierarchyDiffers, ...p })));
    const levels = index !== undefined && index.schemaVersion >= HIERARCHY_VERSION ? levelCounts(index.db) : undefined;
    return { folder: root, files: total, rows: index?.count() ?? 0, ...(levels && { levels }), disagreements };
  } finally {
    index?.close();
  }
}
