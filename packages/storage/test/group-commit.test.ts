/**
 * Group commit of the index rows (`indexGroupCommit`, group-commit.ts): what this store and other connections see of
 * an open batch, a write that fails inside a batch, a COMMIT that fails (a full disk) and is tried again, and a
 * kill -9 with rows uncommitted: start-up recovery indexes their files, hierarchy included, and a find sees them.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fillUp } from "./support/fill-up.js";
import Database from "better-sqlite3";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { makeDataset, resolveSpec, runProcess, startProcess, stopAll, tempDir, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import { checkStorage, DisagreementKind, FileSystemInstanceStore, INDEX_FILE_NAME, QueryLevel, type StorageError, type IndexRecord, type IndexStore } from "../src/index.js";
import { SqliteIndex, type IndexedInstance } from "../src/sqlite-index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const dirs: Array<{ remove: () => void }> = [];
after(async () => {
  await stopAll();
  dirs.forEach((d) => d.remove());
});

function newDir(): string {
  const d = tempDir("storage-group-");
  dirs.push(d);
  return d.path;
}

/** Rows of `instances` as another connection (a `storage check`, another process) reads them. */
function committedRows(folder: string): number {
  const db = new Database(join(folder, INDEX_FILE_NAME), { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM instances").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function storeOne(s: FileSystemInstanceStore, spec: SyntheticDatasetSpec): Promise<void> {
  const r = resolveSpec(spec);
  const ds = makeDataset(spec);
  const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
  await w.write(ds);
  await w.commit(parseDatasetHeader(ds, r.transferSyntax));
}

async function all(idx: IndexStore, level: QueryLevel): Promise<IndexRecord[]> {
  const out: IndexRecord[] = [];
  for await (const r of idx.find({ level })) out.push(r);
  return out;
}

/** Waits (a turn of the event loop at a time, 10 s at most) until `done()`. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function row(k: number, over: Partial<IndexedInstance> = {}): IndexedInstance {
  return {
    sopInstanceUid: `1.2.826.0.1.3680043.9.7433.60.${k}`,
    sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
    transferSyntaxUid: "1.2.840.10008.1.2.1",
    relativePath: `00/1.2.826.0.1.3680043.9.7433.60.${k}.dcm`,
    size: 1000,
    receivedAt: new Date(0).toISOString(),
    patientId: "GC1",
    studyInstanceUid: "1.2.826.0.1.3680043.9.7433.61.1",
    seriesInstanceUid: "1.2.826.0.1.3680043.9.7433.62.1",
    ...over,
  };
}

describe("index group commit", () => {
  it("this store reads an open batch at once; another connection once it is committed (maxRows)", async () => {
    const folder = join(newDir(), "store");
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, indexGroupCommit: { maxRows: 3, maxDelayMs: 600_000 } });
    await storeOne(s, { seed: 501 });
    await storeOne(s, { seed: 502 });
    assert.equal(s.pendingIndexRows, 2);
    assert.equal(await s.has(resolveSpec({ seed: 502 }).sopInstanceUid), true, "the store's own reads see the open batch");
    assert.equal((await all(s.queryIndex(), QueryLevel.Image)).length, 2, "and so does a find (C-FIND, storage commitment)");
    assert.equal(committedRows(folder), 0, "another connection does not, yet");
    await storeOne(s, { seed: 503 });
    assert.equal(s.pendingIndexRows, 0, "the third row filled the batch");
    assert.equal(committedRows(folder), 3);
    await storeOne(s, { seed: 504 });
    await s.close();
    assert.equal(committedRows(folder), 4, "close() commits the open batch");
  });

  it("commits a batch that does not fill maxDelayMs after its first row", async () => {
    const folder = join(newDir(), "store");
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, indexGroupCommit: { maxRows: 100, maxDelayMs: 5 } });
    await storeOne(s, { seed: 511 });
    await until(() => s.pendingIndexRows === 0, "the batch is committed");
    assert.equal(committedRows(folder), 1);
    await s.close();
  });

  it("a write that fails takes back only its own statements: the batch's other rows and their hierarchy stay", () => {
    const folder = newDir();
    const index = new SqliteIndex(join(folder, INDEX_FILE_NAME), { groupCommit: { maxRows: 100, maxDelayMs: 600_000 } });
    index.upsert(row(1));
    // NOT NULL sop_class_uid: the INSERT fails after the hierarchy's new levels were written in its savepoint.
    assert.throws(() => index.upsert(row(2, { sopClassUid: undefined as unknown as string, seriesInstanceUid: "1.2.826.0.1.3680043.9.7433.62.9" })), /NOT NULL/);
    index.upsert(row(3));
    index.flush();
    assert.equal(index.group?.failed, 0);
    const db = new Database(join(folder, INDEX_FILE_NAME), { readonly: true });
    try {
      const uids = db.prepare("SELECT sop_instance_uid FROM instances ORDER BY sop_instance_uid").pluck().all();
      assert.deepEqual(uids, [row(1).sopInstanceUid, row(3).sopInstanceUid]);
      const series = db.prepare("SELECT SeriesInstanceUID AS uid, NumberOfSeriesRelatedInstances AS n FROM series").all();
      assert.deepEqual(series, [{ uid: row(1).seriesInstanceUid, n: 2 }], "the failed row's new series went with it");
    } finally {
      db.close();
      index.close();
    }
  });

  describe("a COMMIT that fails (the disk is full)", () => {
    const dir = newDir();
    const mountPoint = join(dir, "small");
    let mounted = false;
    after(async () => {
      if (mounted) assert.equal((await runProcess("umount", [mountPoint])).code, 0);
    });

    it("is reported to onError, its rows kept and committed once there is room again", async () => {
      mkdirSync(mountPoint);
      const r = await runProcess("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
      assert.equal(r.code, 0, `mount -t tmpfs failed (this test needs root): ${r.output}`);
      mounted = true;
      const errors: StorageError[] = [];
      const index = new SqliteIndex(join(mountPoint, INDEX_FILE_NAME), { groupCommit: { maxRows: 100, maxDelayMs: 600_000, onError: (err) => errors.push(err) } });
      index.upsert(row(1));
      index.flush();
      index.upsert(row(2));
      index.upsert(row(3));
      const filler = join(mountPoint, "filler");
      fillUp(filler);
      index.flush();
      assert.equal(errors.length, 1, "one failed COMMIT");
      assert.equal(errors[0]!.code, "ERR_DICOM_STORAGE_FULL", errors[0]!.message);
      assert.match(errors[0]!.message, /commit the index rows to/);
      assert.equal(index.group?.pending, 2, "the batch's rows wait to be written again");
      rmSync(filler);
      index.flush();
      assert.equal(index.group?.pending, 0);
      assert.deepEqual([1, 2, 3].map((k) => index.has(row(k).sopInstanceUid)), [true, true, true]);
      index.close();
      assert.equal(committedRows(mountPoint), 3);
    });
  });

  it("kill -9 with rows uncommitted: the restart indexes their files with their hierarchy, and a find sees them", async () => {
    const folder = join(newDir(), "store");
    const child = await startProcess(process.execPath, ["--conditions=dicomtls-source", "--import", "tsx", join(import.meta.dirname, "fixtures", "group-commit-child.ts"), folder, "5", "520"]);
    const [line] = await child.waitFor(/stored 5, seen \d+, uncommitted \d+/, 60_000);
    assert.equal(line, "stored 5, seen 5, uncommitted 5", child.output());
    process.kill(child.pid, "SIGKILL");
    assert.equal(await child.exited, "SIGKILL");

    const left = await checkStorage({ folder, readIdentifiers: parseDatasetHeader });
    assert.equal(left.rows, 0, "the killed batch was never committed");
    assert.deepEqual(left.disagreements.map((d) => d.kind), Array(5).fill(DisagreementKind.FileWithoutRow), "only files without their row");

    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers: parseDatasetHeader, indexGroupCommit: { maxRows: 64, maxDelayMs: 20 } });
    assert.equal(s.recovery.reindexed.length, 5);
    assert.equal(s.pendingIndexRows, 0, "what recovery indexed is committed");
    const images = await all(s.queryIndex(), QueryLevel.Image);
    const uids = [0, 1, 2, 3, 4].map((k) => resolveSpec({ seed: 520 + k }).sopInstanceUid);
    assert.deepEqual(images.map((r) => r.attributes["SOPInstanceUID"]).sort(), [...uids].sort());
    const studies = await all(s.queryIndex(), QueryLevel.Study);
    assert.deepEqual(studies.map((r) => r.attributes["StudyInstanceUID"]), ["1.2.826.0.1.3680043.9.7433.77.1"]);
    assert.equal(studies[0]!.attributes["NumberOfStudyRelatedInstances"], "5");
    assert.equal(studies[0]!.attributes["ModalitiesInStudy"], "MR");
    const series = await all(s.queryIndex(), QueryLevel.Series);
    assert.deepEqual(series.map((r) => r.attributes["SeriesInstanceUID"]).sort(), uids.map((_, k) => resolveSpec({ seed: 520 + k }).seriesInstanceUid).sort());
    assert.equal(series[0]!.attributes["Modality"], "MR");
    await s.close();
    assert.deepEqual((await checkStorage({ folder, readIdentifiers: parseDatasetHeader })).disagreements, [], "files and index agree");
  });
});

