import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, afterEach, describe, it, mock } from "node:test";
import { filesIn } from "./support/files-in.js";
import { makeDataset, resolveSpec, SyntheticPreset, tempDir } from "@dicomtls/test-peers";
import { FileSystemInstanceStore, StorageError } from "../src/index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-fd-");
  dirs.push(d);
  return join(d.path, "store");
}

/**
 * The writer holds a plain descriptor (written synchronously, fsynced on the thread pool): what a FileHandle used to
 * guarantee by itself is the writer's to keep now.
 */
describe("the instance writer's file descriptor", () => {
  afterEach(() => mock.restoreAll());

  it("is never closed while an fsync of it runs on the thread pool (abort during sync)", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID });
    const events: string[] = [];
    const realFsync = fs.fsync;
    let started: () => void = () => undefined;
    const fsyncStarted = new Promise<void>((resolve) => (started = resolve));
    mock.method(fs, "fsync", (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      events.push(`fsync ${fd} start`);
      started();
      realFsync(fd, (err) => {
        events.push(`fsync ${fd} done`);
        cb(err);
      });
    });
    const realClose = fs.closeSync;
    mock.method(fs, "closeSync", (fd: number) => {
      events.push(`close ${fd}`);
      realClose(fd);
    });
    const spec = { ...SyntheticPreset.Ct512k, seed: 7 };
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset(spec));
    const syncing = w.sync();
    await fsyncStarted; // the fsync is on the pool now: abort must wait for it before closing
    await w.abort();
    await syncing.catch(() => undefined);
    const start = events.findIndex((e) => e.startsWith("fsync") && e.endsWith("start"));
    assert.ok(start >= 0, `the file was fsynced: ${events.join(", ")}`);
    const fd = events[start]!.split(" ")[1];
    assert.ok(events.indexOf(`fsync ${fd} done`) < events.indexOf(`close ${fd}`), `fsync ends before close: ${events.join(", ")}`);
    assert.deepEqual(filesIn(folder), [], "the aborted write leaves nothing");
    await s.close();
  });

  it("an abort before the fsync started runs no fsync on the closed descriptor", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID });
    const spec = { ...SyntheticPreset.Ct512k, seed: 9 };
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset(spec));
    const fsyncs = mock.method(fs, "fsync");
    const rejected = assert.rejects(w.sync(), StorageError);
    await w.abort();
    await rejected;
    assert.equal(fsyncs.mock.callCount(), 0);
    assert.deepEqual(filesIn(folder), []);
    await s.close();
  });

  it("a failing write (EIO from the disk) answers a StorageError naming the file, and leaves neither file nor row", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID });
    const spec = { ...SyntheticPreset.Ct512k, seed: 8 };
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    const ds = makeDataset(spec);
    await w.write(ds.subarray(0, 100_000));
    mock.method(fs, "writevSync", () => {
      throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO", errno: -5, syscall: "write" });
    });
    const failed = await w.write(ds.subarray(100_000)).then(
      () => w.commit(),
      (err: unknown) => err,
    );
    mock.restoreAll();
    assert.ok(failed instanceof StorageError, `expected a StorageError, got ${String(failed)}`);
    assert.match(failed.message, /^cannot write the file .*\.partial: EIO/);
    await w.abort();
    assert.deepEqual(filesIn(folder), [], "nothing left behind");
    assert.equal(await s.has(r.sopInstanceUid), false);
    await s.close();
  });

  it("a large instance's writes past the first MiB go to the pool; a failing one answers a StorageError and leaves nothing", async () => {
    const folder = newFolder();
    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID });
    const spec = { ...SyntheticPreset.MultiFrame10m, seed: 10 };
    const r = resolveSpec(spec);
    const ds = makeDataset(spec);
    const poolWrites = mock.method(fs, "writev", (_fd: number, _parts: unknown, _pos: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => {
      setImmediate(() => cb(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28, syscall: "write" }), 0));
    });
    const syncWrites = mock.method(fs, "writevSync");
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    let failure: unknown;
    try {
      for (let off = 0; off < ds.length; off += 131072) await w.write(ds.subarray(off, off + 131072));
      await w.commit();
    } catch (err) {
      failure = err;
      await w.abort();
    }
    assert.ok(syncWrites.mock.callCount() >= 1, "the first MiB is written synchronously");
    assert.ok(poolWrites.mock.callCount() >= 1, "the rest goes to the pool");
    mock.restoreAll();
    assert.ok(failure instanceof StorageError, `expected a StorageError, got ${String(failure)}`);
    assert.equal(failure.code, "ERR_DICOM_STORAGE_FULL", failure.message);
    assert.deepEqual(filesIn(folder), [], "nothing left behind");
    assert.equal(await s.has(r.sopInstanceUid), false);
    await s.close();
  });
});
