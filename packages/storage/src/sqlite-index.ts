import Database from "better-sqlite3";
import { storageErrorFrom } from "./errors.js";
import { effectiveTags, Hierarchy, INSTANCE_TAG_COLUMNS, tagParams } from "./hierarchy.js";
import type { TagValues } from "./index-store.js";
import { GroupCommit, type GroupCommitOptions } from "./group-commit.js";
import { applySchema, SCHEMA_VERSION } from "./schema.js";

/** Identifiers read from the dataset header (by the caller: storage parses no datasets). */
export interface InstanceIdentifiers {
  patientId?: string;
  patientName?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  studyDate?: string;
  modality?: string;
  accessionNumber?: string;
  /**
   * The main DICOM tags of the header by PS3.6 keyword (@dicomtls/dataset `parseDatasetHeader().tags`): what the hierarchy's
   * levels hold (`main-tags.ts`). Without it the hierarchy gets the fields above only.
   */
  tags?: TagValues;
}

/** One row of the index. */
export interface IndexedInstance extends InstanceIdentifiers {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** Relative to the storage folder, `/`-separated. */
  relativePath: string;
  size: number;
  /** ISO 8601, UTC. */
  receivedAt: string;
  sourceAeTitle?: string;
  peerAddress?: string;
  /** SHA-256 fingerprint of the peer's TLS certificate, when the association was TLS with a client certificate. */
  peerCertificateFingerprint?: string;
}

export interface ListFilter {
  patientId?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  limit?: number;
  offset?: number;
}

/** @internal A row of `instances` as SQLite returns it. */
export interface Row {
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  patient_id: string | null;
  patient_name: string | null;
  study_instance_uid: string | null;
  series_instance_uid: string | null;
  study_date: string | null;
  modality: string | null;
  accession_number: string | null;
  path: string;
  size: number;
  received_at: string;
  source_ae_title: string | null;
  peer_address: string | null;
  peer_certificate_fingerprint: string | null;
}

export interface SqliteIndexOptions {
  /** Open an existing index for reading only (storage check): no migration, no WAL switch, nothing written. */
  readonly readonly?: boolean;
  /**
   * Commit the rows of upsert / insertIfAbsent / remove in batches (group-commit.ts) instead of one transaction each.
   * Absent: each is its own transaction, durable against a process crash when it returns.
   */
  readonly groupCommit?: GroupCommitOptions;
}


const COLUMNS: ReadonlyArray<readonly [keyof Row, keyof IndexedInstance]> = [
  ["sop_instance_uid", "sopInstanceUid"],
  ["sop_class_uid", "sopClassUid"],
  ["transfer_syntax_uid", "transferSyntaxUid"],
  ["patient_id", "patientId"],
  ["patient_name", "patientName"],
  ["study_instance_uid", "studyInstanceUid"],
  ["series_instance_uid", "seriesInstanceUid"],
  ["study_date", "studyDate"],
  ["modality", "modality"],
  ["accession_number", "accessionNumber"],
  ["path", "relativePath"],
  ["size", "size"],
  ["received_at", "receivedAt"],
  ["source_ae_title", "sourceAeTitle"],
  ["peer_address", "peerAddress"],
  ["peer_certificate_fingerprint", "peerCertificateFingerprint"],
];

/** The series ids under a patient, a study, or of a Series Instance UID (list()'s filters; each an indexed look-up). */
const SERIES_OF_PATIENT = "SELECT se.id FROM series se JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id WHERE p.PatientID = @patientId";
const SERIES_OF_STUDY = "SELECT se.id FROM series se JOIN studies st ON st.id = se.study_id WHERE st.StudyInstanceUID = @study";
const SERIES_BY_UID = "SELECT id FROM series WHERE SeriesInstanceUID = @series";

/** @internal */
export function fromRow(row: Row): IndexedInstance {
  const out: Record<string, unknown> = {};
  for (const [col, key] of COLUMNS) if (row[col] !== null) out[key] = row[col];
  return out as unknown as IndexedInstance;
}

/**
 * The SQLite index: the `instances` rows and the hierarchy above them (schema.ts, hierarchy.ts), written in one
 * transaction once the file is in place (taken back if the folder's fsync then fails). WAL with synchronous=NORMAL: a commit is safe
 * against a process crash, and the last ones may be lost on power loss, which reindex() repairs from the files
 * (the files are the truth; the index only speeds look-ups up).
 */
export class SqliteIndex {
  /** @internal The connection (the IndexStore queries and the migration use it). */
  readonly db: Database.Database;
  /** `user_version`: 4 (3 with three more indexes) once the hierarchy is complete; 2 (or 1) for an index of older code not migrated yet. */
  schemaVersion: number;
  /** The hierarchy must be built from the rows and their files (`migrateHierarchy`) before queries see them all. */
  readonly needsHierarchy: boolean;
  /** What writes the rows and the hierarchy (absent when opened read-only: the columns may not exist yet). */
  private readonly writes: Writes | undefined;
  /** The batches of the C-STORE path's writes (`groupCommit`), if on. */
  readonly group: GroupCommit | undefined;
  private readonly getStmt: Database.Statement<[string], Row>;
  private readonly hasStmt: Database.Statement<[string], { one: number }>;
  private readonly countStmt: Database.Statement<[], { n: number }>;

  private readonly inFolderStmt: Database.Statement<[string, string], Row>;
  private readonly pathsInFolderStmt: Database.Statement<[string, string], string>;
  private readonly uidAtStmt: Database.Statement<[string], { uid: string }>;
  private readonly sizesInFolderStmt: Database.Statement<[string, string], { path: string; size: number }>;

  constructor(
    readonly file: string,
    options: SqliteIndexOptions = {},
  ) {
    let needsHierarchy = false;
    try {
      if (options.readonly === true) {
        this.db = new Database(file, { readonly: true, fileMustExist: true });
        this.db.pragma("busy_timeout = 5000");
      } else {
        this.db = new Database(file);
        this.db.pragma("journal_mode = WAL");
        this.db.pragma("synchronous = NORMAL");
        this.db.pragma("busy_timeout = 5000");
        needsHierarchy = applySchema(this.db).needsHierarchy;
      }
      this.schemaVersion = this.db.pragma("user_version", { simple: true }) as number;
    } catch (err) {
      throw storageErrorFrom(err, "open the SQLite index", file);
    }
    this.needsHierarchy = needsHierarchy;
    // Read-only (storage check, perhaps of an index of older code): nothing is written.
    this.writes = options.readonly === true ? undefined : new Writes(this.db);
    this.group = this.writes === undefined || options.groupCommit === undefined ? undefined : new GroupCommit(this.db, file, options.groupCommit);
    this.getStmt = this.db.prepare("SELECT * FROM instances WHERE sop_instance_uid = ?");
    this.hasStmt = this.db.prepare("SELECT 1 AS one FROM instances WHERE sop_instance_uid = ?");
    this.countStmt = this.db.prepare("SELECT COUNT(*) AS n FROM instances");
    // `ab/` <= path < `ab0`: every path in folder `ab` ('0' follows '/'), a range the path index answers.
    this.inFolderStmt = this.db.prepare("SELECT * FROM instances WHERE path >= ? AND path < ?");
    // Only the path: the path index covers the query, no table look-up per row.
    this.pathsInFolderStmt = this.db.prepare<[string, string], string>("SELECT path FROM instances WHERE path >= ? AND path < ?").pluck();
    this.uidAtStmt = this.db.prepare("SELECT sop_instance_uid AS uid FROM instances WHERE path = ?");
    this.sizesInFolderStmt = this.db.prepare("SELECT path, size FROM instances WHERE path >= ? AND path < ?");
  }

  /** Writes (or replaces) the row and places it in the hierarchy, in one transaction (or a savepoint of a batch). */
  upsert(i: IndexedInstance): void {
    const w = this.write();
    if (this.group === undefined) w.upsert(i);
    else this.group.run(() => w.upsert(i));
  }
  /** Adds the row unless one with the same SOP Instance UID exists (keeps the first, like the file). */
  insertIfAbsent(i: IndexedInstance): void {
    const w = this.write();
    if (this.group === undefined) w.insertIfAbsent(i);
    else this.group.run(() => w.insertIfAbsent(i));
  }
  remove(sopInstanceUid: string): void {
    const w = this.write();
    if (this.group === undefined) w.remove(sopInstanceUid);
    else this.group.run(() => w.remove(sopInstanceUid));
  }
  /** Commits the rows of the open batch now (group commit; nothing to do without). */
  flush(): void {
    this.group?.flush();
  }
  /** @internal Migration: links an existing row (not linked yet) with the tags read from its file. */
  linkExisting(i: IndexedInstance): void {
    this.flush();
    this.write().linkExisting(i);
  }
  /** @internal Migration: empties the hierarchy before it is built again. */
  clearHierarchy(): void {
    this.flush();
    this.write().hierarchy.clear();
  }
  /** @internal Migration: the hierarchy is complete; the index is now of the current schema version. */
  markHierarchyComplete(): void {
    this.flush();
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.schemaVersion = SCHEMA_VERSION;
  }
  get(sopInstanceUid: string): IndexedInstance | undefined {
    const row = this.getStmt.get(sopInstanceUid);
    return row === undefined ? undefined : fromRow(row);
  }
  has(sopInstanceUid: string): boolean {
    return this.hasStmt.get(sopInstanceUid) !== undefined;
  }
  count(): number {
    return this.countStmt.get()!.n;
  }
  list(filter: ListFilter = {}): IndexedInstance[] {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    // Schema 4 has no index on these columns: the hierarchy narrows the rows (series_id), the column decides. An
    // instance outside the hierarchy (no Study or Series UID) has series_id NULL: an indexed look-up too.
    if (filter.patientId !== undefined) {
      where.push(`(series_id IN (${SERIES_OF_PATIENT}) OR series_id IS NULL) AND patient_id = @patientId`);
      params["patientId"] = filter.patientId;
    }
    if (filter.studyInstanceUid !== undefined) {
      where.push(`(series_id IN (${SERIES_OF_STUDY}) OR series_id IS NULL) AND study_instance_uid = @study`);
      params["study"] = filter.studyInstanceUid;
    }
    if (filter.seriesInstanceUid !== undefined) {
      where.push(`(series_id IN (${SERIES_BY_UID}) OR series_id IS NULL) AND series_instance_uid = @series`);
      params["series"] = filter.seriesInstanceUid;
    }
    params["limit"] = filter.limit ?? -1;
    params["offset"] = filter.offset ?? 0;
    const sql =
      `SELECT * FROM instances ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ` +
      "ORDER BY received_at, sop_instance_uid LIMIT @limit OFFSET @offset";
    return (this.db.prepare(sql).all(params) as Row[]).map(fromRow);
  }
  /** The rows whose file is in the instance folder `folder` (`ab`). */
  rowsInFolder(folder: string): IndexedInstance[] {
    return this.inFolderStmt.all(`${folder}/`, `${folder}0`).map(fromRow);
  }
  /** Only the paths of the rows in `folder`: start-up recovery reads every row of the store this way (index only). */
  pathsInFolder(folder: string): string[] {
    return this.pathsInFolderStmt.all(`${folder}/`, `${folder}0`);
  }
  /** The paths of the rows in `folder` with the file size each row recorded (recovery of a store without fsyncs). */
  sizesInFolder(folder: string): Map<string, number> {
    return new Map(this.sizesInFolderStmt.all(`${folder}/`, `${folder}0`).map((r) => [r.path, r.size]));
  }
  /** Removes the rows of a path; returns their SOP Instance UIDs. */
  removeAt(relativePath: string): string[] {
    const uids = this.uidAtStmt.all(relativePath).map((r) => r.uid);
    this.flush();
    this.db.transaction(() => {
      for (const uid of uids) this.write().remove(uid);
    })();
    return uids;
  }
  /** Rows whose path is in no instance folder `00`..`ff` (only a hand-edited index has them). */
  rowsOutsideFolders(): IndexedInstance[] {
    return (this.db.prepare("SELECT * FROM instances WHERE path NOT GLOB '[0-9a-f][0-9a-f]/*'").all() as Row[]).map(fromRow);
  }
  /** Adds rows in one transaction (reindex: a batch at a time). */
  upsertMany(rows: readonly IndexedInstance[]): void {
    this.flush();
    this.db.transaction(() => {
      for (const r of rows) this.write().upsert(r);
    })();
  }
  /** Moves the WAL's content into the database file and truncates the WAL (before the file is swapped). */
  checkpoint(): void {
    this.flush();
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }
  /** Replaces every row with `rows`, in one transaction. */
  replaceAll(rows: readonly IndexedInstance[]): void {
    this.flush();
    this.db.transaction(() => {
      this.write().hierarchy.clear();
      this.db.exec("DELETE FROM instances");
      for (const r of rows) this.write().upsert(r);
    })();
  }
  close(): void {
    this.group?.close();
    this.db.close();
  }
  private write(): Writes {
    if (this.writes === undefined) throw new Error(`the index ${this.file} was opened read-only`);
    return this.writes;
  }
}

/**
 * The writes of an index opened for writing: the row, with its series link and instance-level tags in the same INSERT,
 * and the hierarchy's upkeep. Each public method is one transaction (nested in the caller's when there is one).
 */
class Writes {
  readonly hierarchy: Hierarchy;
  private readonly insertStmt: Database.Statement;
  private readonly insertParams: Array<string | number | null>;
  private readonly seriesOfStmt: Database.Statement<[string], { series: number | null }>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly linkStmt: Database.Statement;
  readonly upsert: (i: IndexedInstance) => void;
  readonly insertIfAbsent: (i: IndexedInstance) => void;
  readonly remove: (uid: string) => void;
  readonly linkExisting: (i: IndexedInstance) => void;

  constructor(db: Database.Database) {
    this.hierarchy = new Hierarchy(db);
    // Positional parameters in this order: the columns of COLUMNS, series_id, the instance-level tags (insertRow).
    const cols = [...COLUMNS.map(([c]) => c), "series_id", ...INSTANCE_TAG_COLUMNS];
    this.insertStmt = db.prepare(`INSERT INTO instances (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`);
    this.insertParams = new Array<string | number | null>(cols.length).fill(null);
    this.seriesOfStmt = db.prepare("SELECT series_id AS series FROM instances WHERE sop_instance_uid = ?");
    this.deleteStmt = db.prepare("DELETE FROM instances WHERE sop_instance_uid = ?");
    this.linkStmt = db.prepare(`UPDATE instances SET series_id = @series_id, ${INSTANCE_TAG_COLUMNS.map((k) => `${k} = @${k}`).join(", ")} WHERE sop_instance_uid = @uid`);
    this.upsert = db.transaction((i: IndexedInstance) => {
      this.removeRow(i.sopInstanceUid);
      this.insertRow(i);
    });
    this.insertIfAbsent = db.transaction((i: IndexedInstance) => {
      if (this.seriesOfStmt.get(i.sopInstanceUid) === undefined) this.insertRow(i);
    });
    this.remove = db.transaction((uid: string) => this.removeRow(uid));
    this.linkExisting = db.transaction((i: IndexedInstance) => {
      const tags = effectiveTags(i);
      const series = this.hierarchy.seriesFor(tags);
      if (series === undefined) return;
      this.linkStmt.run({ ...tagParams(INSTANCE_TAG_COLUMNS, tags), series_id: series.id, uid: i.sopInstanceUid });
      this.hierarchy.added(series, i.sopClassUid);
    });
  }

  private insertRow(i: IndexedInstance): void {
    const tags = effectiveTags(i);
    const series = this.hierarchy.seriesFor(tags);
    // One positional array refilled per row (the statement copies the values when it binds): no object per row.
    const p = this.insertParams;
    let n = 0;
    for (const [, key] of COLUMNS) p[n++] = (i[key] as string | number | undefined) ?? null;
    p[n++] = series?.id ?? null;
    for (const k of INSTANCE_TAG_COLUMNS) {
      const v = tags[k];
      p[n++] = v === undefined || v === "" ? null : v;
    }
    this.insertStmt.run(p);
    if (series !== undefined) this.hierarchy.added(series, i.sopClassUid);
  }

  private removeRow(uid: string): void {
    const old = this.seriesOfStmt.get(uid);
    if (old === undefined) return;
    this.deleteStmt.run(uid);
    if (old.series !== null) this.hierarchy.removed(old.series);
  }
}
