/**
 * Leftovers of a crash, made by hand, and what the store does with them when it opens (recovery), what checkStorage
 * reports without changing anything, and rebuildIndex (build beside, then swap).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { datasetChunks, makeDataset, readDatasetBytes, resolveSpec, tempDir, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import { parseDatasetHeader } from "@dicomtls/dataset";
import {
  checkStorage,
  DisagreementKind,
  FileSystemInstanceStore,
  INDEX_FILE_NAME,
  instanceRelativePath,
  QUARANTINE_FOLDER,
  rebuildIndex,
  StorageError,
  type IndexedInstance,
} from "../src/index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const readIdentifiers = (prefix: Uint8Array, ts: string) => parseDatasetHeader(prefix, ts);
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-recovery-");
  dirs.push(d);
  return join(d.path, "store");
}

async function openStore(folder: string): Promise<FileSystemInstanceStore> {
  return FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers });
}

async function storeOne(s: FileSystemInstanceStore, spec: SyntheticDatasetSpec): Promise<IndexedInstance> {
  const r = resolveSpec(spec);
  const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "MODALITY" });
  for (const chunk of datasetChunks(spec, 16_384)) await w.write(chunk);
  await w.commit(parseDatasetHeader(makeDataset(spec).subarray(0, 8192), r.transferSyntax));
  const row = await s.get(r.sopInstanceUid);
  assert.ok(row);
  return row;
}

/** A store holding `specs`, closed; returns the rows as the store wrote them. */
async function storeWith(folder: string, specs: SyntheticDatasetSpec[]): Promise<IndexedInstance[]> {
  const s = await openStore(folder);
  const rows: IndexedInstance[] = [];
  for (const spec of specs) rows.push(await storeOne(s, spec));
  await s.close();
  return rows;
}

/** Edits the index behind the store's back (the store is closed), as a crash or a hand would leave it. */
function editIndex(folder: string, sql: string, ...params: unknown[]): void {
  const db = new Database(join(folder, INDEX_FILE_NAME));
  db.prepare(sql).run(...params);
  db.close();
}

const pathOf = (folder: string, relativePath: string): string => join(folder, ...relativePath.split("/"));
/** The row fields that come from the file (not the association's peer, not the reception time). */
const fromFile = (r: IndexedInstance) => {
  const { receivedAt: _r, peerAddress: _p, peerCertificateFingerprint: _f, ...rest } = r;
  return rest;
};

describe("recovery when the store opens", () => {
  it("a healthy store: nothing to do, the files counted", async () => {
    const folder = newFolder();
    await storeWith(folder, [{ seed: 301 }, { seed: 302 }]);
    const s = await openStore(folder);
    assert.deepEqual({ ...s.recovery, durationMs: 0 }, { files: 2, removedTemporaries: [], reindexed: [], quarantined: [], removedRows: [], durationMs: 0 });
    assert.equal(await s.count(), 2);
    await s.close();
  });

  it("removes a stale .partial file (a write interrupted by kill -9)", async () => {
    const folder = newFolder();
    const [row] = await storeWith(folder, [{ seed: 303 }]);
    const dir = row!.relativePath.split("/")[0]!;
    const stale = `${dir}/${row!.sopInstanceUid}.0a1b2c3d4e5f.partial`;
    writeFileSync(pathOf(folder, stale), makeDataset({ seed: 304 }).subarray(0, 3000));
    const s = await openStore(folder);
    assert.deepEqual(s.recovery.removedTemporaries, [stale]);
    assert.equal(existsSync(pathOf(folder, stale)), false);
    assert.equal(await s.has(row!.sopInstanceUid), true, "the instance next to it is untouched");
    await s.close();
  });

  it("indexes a complete file that has no row (killed between rename and index write), its header parsed as on receipt", async () => {
    const folder = newFolder();
    const specs = [{ seed: 305, patientId: "P305" }, { seed: 306 }];
    const [lost, kept] = await storeWith(folder, specs);
    editIndex(folder, "DELETE FROM instances WHERE sop_instance_uid = ?", lost!.sopInstanceUid);
    const s = await openStore(folder);
    assert.deepEqual(s.recovery.reindexed, [lost!.relativePath]);
    const row = await s.get(lost!.sopInstanceUid);
    assert.ok(row);
    assert.deepEqual(fromFile(row), fromFile(lost!));
    assert.equal(row.patientId, "P305");
    assert.deepEqual(fromFile((await s.get(kept!.sopInstanceUid))!), fromFile(kept!));
    await s.close();
  });

  it("removes a row whose file is gone, and reports it", async () => {
    const folder = newFolder();
    const [gone, kept] = await storeWith(folder, [{ seed: 307 }, { seed: 308 }]);
    rmSync(pathOf(folder, gone!.relativePath));
    const s = await openStore(folder);
    assert.deepEqual(s.recovery.removedRows, [{ sopInstanceUid: gone!.sopInstanceUid, path: gone!.relativePath }]);
    assert.equal(await s.has(gone!.sopInstanceUid), false);
    assert.equal(await s.has(kept!.sopInstanceUid), true);
    assert.equal(await s.count(), 1);
    await s.close();
  });

  it("moves an unreadable file and a misplaced one aside into quarantine/, reporting why", async () => {
    const folder = newFolder();
    const [a] = await storeWith(folder, [{ seed: 309 }]);
    await openStore(folder).then((s) => s.close()); // the folders exist
    const notDicom = "00/1.2.3.4.dcm";
    writeFileSync(pathOf(folder, notDicom), "not DICOM at all");
    // A Part 10 file under another UID's name: it belongs elsewhere, and its name is not its UID.
    const misplacedUid = "1.2.3.999";
    const misplaced = instanceRelativePath(misplacedUid);
    copyFileSync(pathOf(folder, a!.relativePath), pathOf(folder, misplaced));
    const s = await openStore(folder);
    const q = [...s.recovery.quarantined].sort((x, y) => x.path.localeCompare(y.path));
    assert.deepEqual(q.map((e) => e.path), [notDicom, misplaced].sort());
    for (const e of q) {
      assert.match(e.movedTo, new RegExp(`^${QUARANTINE_FOLDER}/\\d{8}T\\d{6}Z/${e.path.replace(/\./g, "\\.")}$`));
      assert.equal(existsSync(pathOf(folder, e.path)), false, `${e.path} left the instance folder`);
      assert.equal(existsSync(pathOf(folder, e.movedTo)), true, `${e.movedTo} holds it`);
    }
    assert.match(q.find((e) => e.path === notDicom)!.reason, /not a DICOM Part 10 file/);
    assert.match(q.find((e) => e.path === misplaced)!.reason, new RegExp(`holds ${a!.sopInstanceUid.replace(/\./g, "\\.")}, which belongs at`));
    assert.equal(await s.count(), 1);
    await s.close();
    const again = await openStore(folder);
    assert.equal(again.recovery.quarantined.length, 0, "quarantine/ is not an instance folder");
    await again.close();
  });
});

describe("checkStorage", () => {
  it("finds a clean store in agreement, and reports each kind of disagreement without changing anything", async () => {
    const folder = newFolder();
    const rows = await storeWith(folder, [{ seed: 320 }, { seed: 321 }, { seed: 322 }, { seed: 323 }, { seed: 324, patientId: "RIGHT" }]);
    const clean = await checkStorage({ folder, readIdentifiers });
    assert.deepEqual(clean.disagreements, []);
    assert.equal(clean.files, 5);
    assert.equal(clean.rows, 5);

    const [noRow, noFile, moved, , differs] = rows;
    const stale = `${noRow!.relativePath.split("/")[0]}/${noRow!.sopInstanceUid}.abcdef.partial`;
    writeFileSync(pathOf(folder, stale), "half");
    editIndex(folder, "DELETE FROM instances WHERE sop_instance_uid = ?", noRow!.sopInstanceUid);
    rmSync(pathOf(folder, noFile!.relativePath));
    const wrongPlace = `${moved!.relativePath.startsWith("00/") ? "01" : "00"}/${moved!.sopInstanceUid}.dcm`;
    renameSync(pathOf(folder, moved!.relativePath), pathOf(folder, wrongPlace));
    writeFileSync(pathOf(folder, "00/1.2.5.dcm"), "garbage");
    editIndex(folder, "UPDATE instances SET patient_id = 'WRONG' WHERE sop_instance_uid = ?", differs!.sopInstanceUid);
    // The index's -wal and -shm may appear (SQLite makes them for a reader too); files and rows must not change.
    const listing = (): string[] => (readdirSync(folder, { recursive: true }) as string[]).filter((f) => !/^index\.sqlite-(wal|shm)$/.test(f)).sort();
    const before = listing();

    const report = await checkStorage({ folder, readIdentifiers });
    const got = report.disagreements.map((d) => `${d.kind} ${d.path}`).sort();
    assert.deepEqual(
      got,
      [
        `${DisagreementKind.StaleTemporary} ${stale}`,
        `${DisagreementKind.FileWithoutRow} ${noRow!.relativePath}`,
        `${DisagreementKind.RowWithoutFile} ${noFile!.relativePath}`,
        `${DisagreementKind.RowWithoutFile} ${moved!.relativePath}`,
        `${DisagreementKind.MisplacedFile} ${wrongPlace}`,
        `${DisagreementKind.UnreadableFile} 00/1.2.5.dcm`,
        `${DisagreementKind.IdentifiersDiffer} ${differs!.relativePath}`,
      ].sort(),
    );
    const d = report.disagreements.find((x) => x.kind === DisagreementKind.IdentifiersDiffer);
    assert.equal(d?.detail, 'patientId: file "RIGHT", row "WRONG"');
    assert.deepEqual(listing(), before, "check changes nothing");
    assert.deepEqual((await checkStorage({ folder, readIdentifiers })).disagreements, report.disagreements, "the same the second time");
  });

  it("refuses a storage folder that does not exist, naming it", async () => {
    const folder = newFolder();
    await assert.rejects(checkStorage({ folder }), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.equal(err.code, "ERR_DICOM_STORAGE_IO");
      assert.match(err.message, new RegExp(`storage folder ${folder.replace(/[/.]/g, "\\$&")} does not exist`));
      return true;
    });
    await assert.rejects(rebuildIndex({ folder }), /does not exist/);
    assert.equal(existsSync(folder), false, "nothing was created");
  });
});

describe("rebuildIndex", () => {
  it("rebuilds a lost index from the files (rows as the store wrote them), removing temporaries and a half-built index", async () => {
    const folder = newFolder();
    const rows = await storeWith(folder, [{ seed: 330, patientId: "A" }, { seed: 331 }, { seed: 332 }]);
    for (const f of readdirSync(folder).filter((f) => f.startsWith(INDEX_FILE_NAME))) rmSync(join(folder, f));
    writeFileSync(join(folder, `${INDEX_FILE_NAME}.rebuild`), "left by an interrupted rebuild");
    const stale = `${rows[0]!.relativePath.split("/")[0]}/x.1234.partial`;
    writeFileSync(pathOf(folder, stale), "half");
    mkdirSync(join(folder, "ff"), { recursive: true });
    writeFileSync(pathOf(folder, "ff/1.2.6.dcm"), "garbage");
    const progress: Array<[number, number]> = [];
    const result = await rebuildIndex({ folder, readIdentifiers, onProgress: (done, total) => progress.push([done, total]) });
    assert.equal(result.indexed, 3);
    assert.equal(result.removedTemporaries, 1);
    assert.deepEqual(result.skipped.map((x) => x.path), ["ff/1.2.6.dcm"]);
    assert.deepEqual(progress.at(-1), [4, 4]);
    assert.equal(progress.length, 4);
    assert.deepEqual(readdirSync(folder).filter((f) => f.startsWith(INDEX_FILE_NAME)), [INDEX_FILE_NAME], "one index file, no WAL, no half-built one");

    rmSync(pathOf(folder, "ff/1.2.6.dcm"));
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, recover: false });
    for (const r of rows) assert.deepEqual(fromFile((await s.get(r.sopInstanceUid))!), fromFile(r));
    const { stream } = await s.readDataset(rows[0]!.sopInstanceUid);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(await readDatasetBytes(pathOf(folder, rows[0]!.relativePath))));
    await s.close();
    assert.deepEqual((await checkStorage({ folder, readIdentifiers })).disagreements, []);
  });

  it("replaces an index that holds wrong rows; refuses while another connection holds the index (a running server)", async () => {
    const folder = newFolder();
    const rows = await storeWith(folder, [{ seed: 340 }, { seed: 341 }]);
    editIndex(folder, "UPDATE instances SET patient_id = 'WRONG'");
    editIndex(folder, "INSERT INTO instances (sop_instance_uid, sop_class_uid, transfer_syntax_uid, path, size, received_at) VALUES ('1.2.3', '1.2', '1.2.840.10008.1.2', '00/1.2.3.dcm', 1, 'x')");
    const running = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, recover: false });
    await storeOne(running, { seed: 342 }); // the server is writing: its WAL exists
    await assert.rejects(rebuildIndex({ folder, readIdentifiers }), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.equal(err.code, "ERR_DICOM_STORAGE_IN_USE");
      assert.match(err.message, /open in another process/);
      return true;
    });
    assert.equal(await running.count(), 4, "the running store's index is untouched");
    // check reads beside a running store (its last row is still in the WAL): the hand-made row and the wrong IDs.
    const seen = await checkStorage({ folder, readIdentifiers });
    assert.equal(seen.rows, 4);
    assert.deepEqual(seen.disagreements.map((d) => d.kind).sort(), [DisagreementKind.IdentifiersDiffer, DisagreementKind.IdentifiersDiffer, DisagreementKind.RowWithoutFile]);
    await running.close();
    const result = await rebuildIndex({ folder, readIdentifiers });
    assert.equal(result.indexed, 3);
    assert.deepEqual((await checkStorage({ folder, readIdentifiers })).disagreements, []);
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, recover: false });
    assert.equal(await s.has("1.2.3"), false);
    for (const r of rows) assert.equal((await s.get(r.sopInstanceUid))?.patientId, r.patientId);
    await s.close();
  });
});
