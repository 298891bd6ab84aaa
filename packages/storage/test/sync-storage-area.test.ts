import assert from "node:assert/strict";
import fs, { existsSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, beforeEach, describe, it, mock } from "node:test";
import { filesIn } from "./support/files-in.js";
import { makeDataset, readDatasetBytes, resolveSpec, SyntheticPreset, tempDir, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { checkStorage, FileSystemInstanceStore, instanceRelativePath, TEMP_SUFFIX } from "../src/index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-sync-");
  dirs.push(d);
  return join(d.path, "store");
}

/** FileHandle's class is not exported: its prototype is taken from a handle, and its fsync calls counted there. */
async function fileHandlePrototype(): Promise<object> {
  const fh = await open(import.meta.filename, "r");
  const proto = Object.getPrototypeOf(fh) as object;
  await fh.close();
  return proto;
}

describe("SyncStorageArea (FileSystemStoreOptions.sync)", () => {
  let syncs: { mock: { callCount(): number } };
  let datasyncs: { mock: { callCount(): number } };

  beforeEach(async () => {
    // Both ways a file can be fsynced here: a FileHandle's methods and the callback API on the fs module object.
    const proto = (await fileHandlePrototype()) as { sync(): Promise<void>; datasync(): Promise<void> };
    const both = (a: { mock: { callCount(): number } }, b: { mock: { callCount(): number } }) => ({ mock: { callCount: () => a.mock.callCount() + b.mock.callCount() } });
    syncs = both(mock.method(proto, "sync"), mock.method(fs, "fsync"));
    datasyncs = both(mock.method(proto, "datasync"), mock.method(fs, "fdatasync"));
  });
  afterEach(() => mock.restoreAll());

  const store = async (s: FileSystemInstanceStore, spec: SyntheticDatasetSpec, callSync: boolean) => {
    const r = resolveSpec(spec);
    const ds = makeDataset(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "MODALITY" });
    for (let off = 0; off < ds.length; off += 16384) await w.write(ds.subarray(off, off + 16384));
    if (callSync) await w.sync();
    return { result: await w.commit(parseDatasetHeader(ds, r.transferSyntax)), ds, uid: r.sopInstanceUid };
  };

  it("true (the default): the file, its early datasyncs and the folder are fsynced (the spy sees them)", async () => {
    const s = await FileSystemInstanceStore.open({ folder: newFolder(), implementationClassUid: IMPLEMENTATION_CLASS_UID });
    assert.equal(s.sync, true);
    const before = syncs.mock.callCount();
    await store(s, { ...SyntheticPreset.MultiFrame10m, seed: 1 }, false);
    assert.ok(syncs.mock.callCount() - before >= 2, `file and folder fsync: ${syncs.mock.callCount() - before} calls`);
    assert.ok(datasyncs.mock.callCount() >= 1, "a 10 MB file starts its writeback while it arrives");
    await s.close();
  });

  it("false: no fsync and no datasync at all, and each file is complete, byte for byte, with its row", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, sync: false });
    assert.equal(s.sync, false);
    const before = { syncs: syncs.mock.callCount(), datasyncs: datasyncs.mock.callCount() };
    const specs: SyntheticDatasetSpec[] = [
      { ...SyntheticPreset.Ct512k, seed: 2 },
      { ...SyntheticPreset.MultiFrame10m, seed: 3 }, // past the early-datasync threshold
      { ...SyntheticPreset.Ct512k, seed: 4 }, // committed after an explicit sync(), as the Storage SCP does
    ];
    const stored = [];
    for (const [i, spec] of specs.entries()) stored.push(await store(s, spec, i === 2));
    assert.deepEqual({ syncs: syncs.mock.callCount() - before.syncs, datasyncs: datasyncs.mock.callCount() - before.datasyncs }, { syncs: 0, datasyncs: 0 });

    assert.deepEqual(filesIn(folder), stored.map((x) => x.result.relativePath).sort(), "the instances and nothing else (no temporary)");
    for (const { result, ds, uid } of stored) {
      const path = join(folder, result.relativePath);
      assert.ok((await readDatasetBytes(path)).equals(ds), `${uid}: the dataset as sent`);
      assert.equal(readFileSync(path).length, result.size);
      const row = await s.get(uid);
      assert.equal(row?.relativePath, result.relativePath);
      assert.equal(row?.size, result.size);
      assert.equal(row?.sourceAeTitle, "MODALITY");
    }
    await s.close();

    const again = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, sync: false });
    assert.deepEqual({ ...again.recovery, durationMs: 0 }, { files: 3, removedTemporaries: [], reindexed: [], quarantined: [], removedRows: [], durationMs: 0 }, "files and index agree");
    await again.close();
  });

  it("false: an aborted writer leaves no temporary and no row, without any fsync", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, sync: false });
    const before = syncs.mock.callCount() + datasyncs.mock.callCount(); // open() fsyncs the folders it created
    const r = resolveSpec({ seed: 5 });
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset({ seed: 5 }));
    await w.sync();
    await w.abort();
    assert.deepEqual(filesIn(folder).filter((p) => p.endsWith(TEMP_SUFFIX) || p.endsWith(".dcm")), []);
    assert.equal(await s.has(r.sopInstanceUid), false);
    assert.equal(syncs.mock.callCount() + datasyncs.mock.callCount() - before, 0, "no fsync");
    await s.close();
  });

  it("false: start-up recovery also finds what a power loss leaves (files shorter than their row, empty files)", async () => {
    const folder = newFolder();
    const open = (sync: boolean) => FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers: parseDatasetHeader, sync });
    const s = await open(false);
    const kept = await store(s, { ...SyntheticPreset.Ct512k, seed: 6 }, false);
    const truncated = await store(s, { ...SyntheticPreset.Ct512k, seed: 7 }, false);
    const emptied = await store(s, { ...SyntheticPreset.Ct512k, seed: 8 }, false);
    await s.close();
    // What ext4 can show after a power loss: the renames and rows survived, the data of the last files not (or partly).
    truncateSync(join(folder, truncated.result.relativePath), 200_000);
    truncateSync(join(folder, emptied.result.relativePath), 0);
    const rowless = instanceRelativePath(resolveSpec({ seed: 9 }).sopInstanceUid); // renamed, its row lost too
    writeFileSync(join(folder, rowless), "");

    const synced = await open(true); // with fsyncs on, matching files are not looked at: cheap start-up
    assert.deepEqual(synced.recovery.removedRows, []);
    assert.deepEqual(synced.recovery.quarantined.map((q) => q.path), [rowless], "an empty file without a row is unreadable either way");
    await synced.close();
    writeFileSync(join(folder, rowless), "");

    const again = await open(false);
    const r = again.recovery;
    assert.deepEqual(r.quarantined.map((q) => q.path).sort(), [truncated.result.relativePath, emptied.result.relativePath, rowless].sort());
    const reasonOf = (p: string) => r.quarantined.find((q) => q.path === p)?.reason ?? "";
    assert.match(reasonOf(truncated.result.relativePath), new RegExp(`^200000 bytes where its index row recorded ${truncated.result.size}: not completely written before a power loss`));
    assert.match(reasonOf(emptied.result.relativePath), /^0 bytes where its index row recorded/);
    assert.deepEqual(r.removedRows.map((x) => x.sopInstanceUid).sort(), [truncated.uid, emptied.uid].sort());
    for (const q of r.quarantined) assert.ok(existsSync(join(folder, q.movedTo)), `${q.path} moved aside, not deleted`);
    assert.equal(await again.has(kept.uid), true);
    assert.equal(await again.count(), 1);
    await again.close();
    const check = await checkStorage({ folder, readIdentifiers: parseDatasetHeader });
    assert.deepEqual(check.disagreements, [], "files and index agree");
  });
});
