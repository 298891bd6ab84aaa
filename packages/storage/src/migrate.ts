/**
 * Builds the hierarchy of an index written by older code (schema 1 or 2: the flat table only). The rows are kept;
 * the main tags they lack are read back from each file's header (the store's `readIdentifiers`, as recovery does),
 * and each row is linked under its series, study and patient. Rows are linked in transactions of a page; the schema
 * version becomes 3 only at the end, so an interrupted migration starts again at the next open.
 */
import { describeFile, type IdentifierReader } from "./scan.js";
import { fromRow, type IndexedInstance, type Row, type SqliteIndex } from "./sqlite-index.js";

/** Rows linked per transaction; files of one page are read a few at a time. */
const PAGE_ROWS = 500;
const READS_AT_ONCE = 8;

export interface MigrationReport {
  /** Schema version found. */
  readonly fromVersion: number;
  /** Rows linked into the hierarchy. */
  readonly rows: number;
  /** Rows whose file could not be read: linked with the identifiers of their row only (recovery then decides). */
  readonly withoutFile: number;
  readonly durationMs: number;
}

/** The tags of a row's file, or undefined when it cannot be read. */
async function tagsOf(root: string, row: IndexedInstance, readIdentifiers: IdentifierReader | undefined): Promise<IndexedInstance | undefined> {
  if (readIdentifiers === undefined) return undefined;
  const found = await describeFile(root, row.relativePath, readIdentifiers);
  if (found.kind !== "instance") return undefined;
  // What the row says stays (it is what the store was told); the file adds the main tags.
  return { ...row, ...(found.row.tags !== undefined && { tags: found.row.tags }) };
}

export async function migrateHierarchy(root: string, index: SqliteIndex, readIdentifiers: IdentifierReader | undefined): Promise<MigrationReport> {
  const started = process.hrtime.bigint();
  const fromVersion = index.schemaVersion;
  index.db.transaction(() => index.clearHierarchy())();
  const page = index.db.prepare<[number], Row & { rowid: number }>(`SELECT rowid, * FROM instances WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_ROWS}`);
  let after = 0;
  let rows = 0;
  let withoutFile = 0;
  for (;;) {
    const batch = page.all(after);
    if (batch.length === 0) break;
    after = batch[batch.length - 1]!.rowid;
    const linked: IndexedInstance[] = [];
    for (let i = 0; i < batch.length; i += READS_AT_ONCE) {
      const read = await Promise.all(batch.slice(i, i + READS_AT_ONCE).map(async (r) => {
        const row = fromRow(r);
        const withTags = await tagsOf(root, row, readIdentifiers);
        if (withTags === undefined) withoutFile++;
        return withTags ?? row;
      }));
      linked.push(...read);
    }
    index.db.transaction(() => {
      for (const row of linked) index.linkExisting(row);
    })();
    rows += linked.length;
  }
  index.markHierarchyComplete();
  return { fromVersion, rows, withoutFile, durationMs: Number(process.hrtime.bigint() - started) / 1e6 };
}
