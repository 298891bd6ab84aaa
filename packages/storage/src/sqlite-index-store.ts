/**
 * `IndexStore` over the SQLite index: queries of the hierarchy tables, streamed a page at a time. A page is read with
 * `.iterate()` from the row after the last one seen (keyset: the level's rowid), at most PAGE_ROWS rows, and the
 * iterator is closed before anything is handed out: the connection is never left busy across an `await` (the C-STORE
 * path writes on it between pages), and memory holds one page, whatever the match count.
 */
import { join } from "node:path";
import type { IndexCondition, IndexQuery, IndexRecord, IndexStore, InstanceSelector, QueryLevel } from "./index-store.js";
import { QueryLevel as Level } from "./index-store.js";
import type { StoredInstance } from "./instance-store.js";
import { LEVEL_TABLES, levelsDownTo, MULTI_VALUED_TAGS, PERSON_NAME_TAGS } from "./main-tags.js";
import { fromRow, type Row, type SqliteIndex } from "./sqlite-index.js";

/** Rows read per page before the event loop gets a turn (a page of a wide query costs about a millisecond). */
const PAGE_ROWS = 500;

const FROM: Record<QueryLevel, string> = {
  [Level.Patient]: "patients p",
  [Level.Study]: "studies st JOIN patients p ON p.id = st.patient_id",
  [Level.Series]: "series se JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id",
  [Level.Image]: "instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id JOIN patients p ON p.id = st.patient_id",
};

/** An instance of the resource, where attributes the index lacks are read from. */
const SAMPLE: Record<QueryLevel, string> = {
  [Level.Patient]:
    "(SELECT i2.sop_instance_uid FROM studies t2 JOIN series s2 ON s2.study_id = t2.id JOIN instances i2 ON i2.series_id = s2.id WHERE t2.patient_id = p.id LIMIT 1)",
  [Level.Study]: "(SELECT i2.sop_instance_uid FROM series s2 JOIN instances i2 ON i2.series_id = s2.id WHERE s2.study_id = st.id LIMIT 1)",
  [Level.Series]: "(SELECT i2.sop_instance_uid FROM instances i2 WHERE i2.series_id = se.id LIMIT 1)",
  [Level.Image]: "i.sop_instance_uid",
};

/** The columns of the instance row that stand for attributes. */
const INSTANCE_OWN: Readonly<Record<string, string>> = { SOPInstanceUID: "i.sop_instance_uid", SOPClassUID: "i.sop_class_uid" };

interface Compiled {
  readonly sql: string;
  readonly params: unknown[];
  /** The attribute keyword of each selected column after the first two (rowid, sample). */
  readonly keywords: readonly string[];
}

/** The SQL column holding `keyword` at `level` or above (the deepest level that has it), or undefined. */
function columnOf(level: QueryLevel, keyword: string): string | undefined {
  if (level === Level.Image && INSTANCE_OWN[keyword] !== undefined) return INSTANCE_OWN[keyword];
  for (const l of levelsDownTo(level).reverse()) {
    const t = LEVEL_TABLES[l];
    if (t.tags.includes(keyword) || (l === level && t.computed.includes(keyword))) return `${t.alias}.${keyword}`;
  }
  return undefined;
}

/** The smallest string greater than every string starting with `prefix` (code point order, as SQLite's UTF-8), if any. */
function prefixEnd(prefix: string): string | undefined {
  const last = prefix.codePointAt(prefix.length - 1)!;
  if (last >= 0xd7ff) return undefined; // surrogates and beyond: the lower bound alone (accept narrows)
  return prefix.slice(0, -1) + String.fromCodePoint(last + 1);
}

/** One condition as SQL (a superset of its matches), or undefined when the index cannot evaluate it. */
function conditionSql(level: QueryLevel, c: IndexCondition, params: unknown[]): string | undefined {
  const base = columnOf(level, c.keyword);
  if (base === undefined) return undefined;
  let column = base;
  let test: (col: string) => string | undefined;
  if ("anyOf" in c) {
    test = (col) => (c.anyOf.length === 0 ? "0" : `${col} IN (${c.anyOf.map((v) => (params.push(v), "?")).join(", ")})`);
  } else if ("prefix" in c) {
    if (c.prefix === "") return undefined;
    let prefix = c.prefix;
    if (c.caseInsensitive === true) {
      if (!PERSON_NAME_TAGS.has(c.keyword)) return undefined; // no upper-cased column: left to accept
      column = `${base}_ci`;
      prefix = prefix.toUpperCase();
    }
    const end = prefixEnd(prefix);
    test = (col) => {
      params.push(prefix);
      if (end === undefined) return `${col} >= ?`;
      params.push(end);
      return `${col} >= ? AND ${col} < ?`;
    };
  } else {
    test = (col) => {
      const parts: string[] = [];
      if (c.from !== undefined) {
        parts.push(`${col} >= ?`);
        params.push(c.from);
      }
      if (c.to !== undefined) {
        parts.push(`${col} <= ?`);
        params.push(c.to);
      }
      return parts.length === 0 ? undefined : parts.join(" AND ");
    };
  }
  let sql: string | undefined;
  if (c.keyword === "ModalitiesInStudy" && level === Level.Study) {
    // The study's modalities are its series': one of them matching is the test, with the series' own index.
    const inner = test("x.Modality");
    sql = inner === undefined ? undefined : `EXISTS (SELECT 1 FROM series x WHERE x.study_id = st.id AND ${inner})`;
  } else {
    const core = test(column);
    if (core === undefined) return undefined;
    sql = MULTI_VALUED_TAGS.has(c.keyword) ? `(${core} OR instr(${base}, '\\') > 0)` : core;
  }
  if (sql === undefined) return undefined;
  return c.matchAbsent === true ? `(${sql} OR ${base} IS NULL)` : sql;
}

function compileFind(query: IndexQuery): Compiled {
  const level = query.level;
  const selected: string[] = [];
  const keywords: string[] = [];
  for (const l of levelsDownTo(level)) {
    const t = LEVEL_TABLES[l];
    const own = l === level ? [...t.tags, ...t.computed] : t.tags;
    for (const k of own) {
      selected.push(`${t.alias}.${k}`);
      keywords.push(k);
    }
  }
  if (level === Level.Image) {
    for (const [k, col] of Object.entries(INSTANCE_OWN)) {
      selected.push(col);
      keywords.push(k);
    }
  }
  const params: unknown[] = [];
  const where = (query.conditions ?? []).map((c) => conditionSql(level, c, params)).filter((w): w is string => w !== undefined);
  const alias = LEVEL_TABLES[level].alias;
  const sql =
    `SELECT ${alias}.rowid, ${SAMPLE[level]}, ${selected.join(", ")} FROM ${FROM[level]} ` +
    `WHERE ${[...where, `${alias}.rowid > ?`].join(" AND ")} ORDER BY ${alias}.rowid LIMIT ${PAGE_ROWS}`;
  return { sql, params, keywords };
}

/** A row as a record: values as strings, absent ones left out; a deeper level's value wins over an upper one's. */
function toRecord(level: QueryLevel, row: unknown[], keywords: readonly string[]): IndexRecord {
  const attributes: Record<string, string> = {};
  for (let c = 0; c < keywords.length; c++) {
    const v = row[c + 2] as string | number | null;
    if (v !== null) attributes[keywords[c]!] = String(v);
  }
  return { level, attributes, sampleSopInstanceUid: (row[1] as string | null) ?? "" };
}

/** Read through a call: TypeScript would otherwise keep `aborted` narrowed to false across the loop's yields. */
const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class SqliteIndexStore implements IndexStore {
  constructor(
    private readonly index: SqliteIndex,
    private readonly folder: string,
    private readonly checkOpen: () => void,
  ) {}

  async *find(query: IndexQuery): AsyncIterable<IndexRecord> {
    this.checkOpen();
    const { sql, params, keywords } = compileFind(query);
    const stmt = this.index.db.prepare(sql).raw(true);
    const limit = query.limit ?? 0;
    let accepted = 0;
    let after = 0;
    for (;;) {
      if (isAborted(query.signal)) return;
      const page: IndexRecord[] = [];
      let rows = 0;
      for (const row of stmt.iterate(...params, after) as IterableIterator<unknown[]>) {
        rows++;
        after = row[0] as number;
        const record = toRecord(query.level, row, keywords);
        if (query.accept !== undefined && !query.accept(record)) continue;
        page.push(record);
        if (limit > 0 && accepted + page.length >= limit) break;
      }
      for (const record of page) {
        if (isAborted(query.signal)) return;
        yield record;
        accepted++;
      }
      if (rows < PAGE_ROWS || (limit > 0 && accepted >= limit)) return;
      await nextTurn();
    }
  }

  async *instances(selector: InstanceSelector, options: { readonly signal?: AbortSignal } = {}): AsyncIterable<StoredInstance> {
    this.checkOpen();
    const where: string[] = [];
    const params: unknown[] = [];
    const list = (column: string, values: readonly string[] | undefined): void => {
      if (values === undefined) return;
      where.push(values.length === 0 ? "0" : `${column} IN (${values.map(() => "?").join(", ")})`);
      params.push(...values);
    };
    list("p.PatientID", selector.patientIds);
    list("st.StudyInstanceUID", selector.studyInstanceUids);
    list("se.SeriesInstanceUID", selector.seriesInstanceUids);
    list("i.sop_instance_uid", selector.sopInstanceUids);
    const stmt = this.index.db.prepare<unknown[], Row & { rowid: number }>(
      `SELECT i.rowid AS rowid, i.* FROM ${FROM[Level.Image]} WHERE ${[...where, "i.rowid > ?"].join(" AND ")} ORDER BY i.rowid LIMIT ${PAGE_ROWS}`,
    );
    let after = 0;
    for (;;) {
      if (isAborted(options.signal)) return;
      const page = stmt.all(...params, after);
      for (const row of page) {
        if (isAborted(options.signal)) return;
        after = row.rowid;
        yield this.withPath(fromRow(row));
      }
      if (page.length < PAGE_ROWS) return;
      await nextTurn();
    }
  }

  instance(sopInstanceUid: string): Promise<StoredInstance | undefined> {
    this.checkOpen();
    const row = this.index.get(sopInstanceUid);
    return Promise.resolve(row === undefined ? undefined : this.withPath(row));
  }

  count(level: QueryLevel): Promise<number> {
    this.checkOpen();
    const sql = level === Level.Image ? "SELECT COUNT(*) FROM instances WHERE series_id IS NOT NULL" : `SELECT COUNT(*) FROM ${LEVEL_TABLES[level].table}`;
    return Promise.resolve(this.index.db.prepare(sql).pluck().get() as number);
  }

  private withPath(row: ReturnType<typeof fromRow>): StoredInstance {
    return { ...row, path: join(this.folder, ...row.relativePath.split("/")) };
  }
}
