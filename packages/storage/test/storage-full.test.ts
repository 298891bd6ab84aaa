import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fillUp } from "./support/fill-up.js";
import { makeDataset, resolveSpec, runProcess, SyntheticPreset, tempDir } from "@dicomtls/test-peers";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore, INDEX_FILE_NAME, instanceRelativePath, StorageError, TEMP_SUFFIX } from "../src/index.js";


/**
 * A 1 MiB tmpfs: the second 512 KB instance cannot fit. Needs root (the test machines run as root). Run with
 * SyncStorageArea on and off: without fsyncs, ENOSPC comes from the writes themselves and the 0xA700 path must leave
 * nothing behind all the same.
 */
for (const sync of [true, false]) describe(`storage full (SyncStorageArea ${sync})`, () => {
  const dir = tempDir("storage-full-");
  const mountPoint = join(dir.path, "small");
  let mounted = false;

  before(async () => {
    mkdirSync(mountPoint);
    const r = await runProcess("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
    assert.equal(r.code, 0, `mount -t tmpfs failed (this test needs root): ${r.output}`);
    mounted = true;
  });
  after(async () => {
    if (mounted) {
      const r = await runProcess("umount", [mountPoint]);
      assert.equal(r.code, 0, r.output);
    }
    dir.remove();
  });

  it("fails with ERR_DICOM_STORAGE_FULL and leaves nothing behind", async () => {
    const s = await FileSystemInstanceStore.open({ folder: mountPoint, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1", sync });
    const stored: string[] = [];
    let failure: unknown;
    for (let seed = 1; seed <= 4 && failure === undefined; seed++) {
      const spec = { ...SyntheticPreset.Ct512k, seed };
      const r = resolveSpec(spec);
      const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax }).catch((err: unknown) => {
        failure = err;
        return undefined;
      });
      if (w === undefined) break;
      try {
        const ds = makeDataset(spec);
        for (let off = 0; off < ds.length; off += 65536) await w.write(ds.subarray(off, off + 65536));
        const result = await w.commit();
        stored.push(result.relativePath);
      } catch (err) {
        failure = err;
        await w.abort();
      }
    }
    assert.ok(failure instanceof StorageError, `expected a StorageError, got ${String(failure)}`);
    assert.equal(failure.code, "ERR_DICOM_STORAGE_FULL", failure.message);
    assert.match(failure.message, /storage is full \(ENOSPC\)/);
    assert.equal(stored.length, 1, "one 512 KB instance fits in 1 MiB, two do not");

    const files = (readdirSync(mountPoint, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
      .filter((e) => e.isFile() && !e.name.startsWith(INDEX_FILE_NAME))
      .map((e) => join(e.parentPath, e.name).slice(mountPoint.length + 1));
    assert.deepEqual(files, stored, "only the committed instance; no partial file");
    assert.equal(await s.count(), 1);
    await s.close();
  });

  it("full exactly at the index write: ERR_DICOM_STORAGE_FULL naming the index row, and neither file nor row stays", async () => {
    for (const entry of readdirSync(mountPoint)) rmSync(join(mountPoint, entry), { recursive: true });
    const folder = join(mountPoint, "store");
    const open = () => FileSystemInstanceStore.open({ folder, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1", readIdentifiers: parseDatasetHeader, sync });
    const s = await open();
    const put = async (seed: number, beforeCommit?: () => void) => {
      const r = resolveSpec({ seed });
      const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
      await w.write(makeDataset({ seed }));
      await w.sync(); // the file is written (and durable with sync on): only the index write needs space now
      beforeCommit?.();
      try {
        return await w.commit(parseDatasetHeader(makeDataset({ seed }), r.transferSyntax));
      } finally {
        await w.abort();
      }
    };
    await put(11); // the index's WAL has frames: the next row needs pages the disk no longer has
    const filler = join(mountPoint, "filler");
    const victim = resolveSpec({ seed: 12 }).sopInstanceUid;
    await assert.rejects(
      put(12, () => fillUp(filler)),
      (err: unknown) => {
        assert.ok(err instanceof StorageError, String(err));
        assert.equal(err.code, "ERR_DICOM_STORAGE_FULL", err.message);
        assert.match(err.message, /storage is full \(SQLITE_FULL\) while trying to write the index row of /);
        assert.ok(err.message.includes(victim), err.message);
        assert.ok(err.message.includes(join(folder, INDEX_FILE_NAME)), err.message);
        assert.doesNotMatch(err.message, /fsync the folder/);
        return true;
      },
    );
    assert.equal(existsSync(join(folder, instanceRelativePath(victim))), false, "the refused instance's file was taken back");
    assert.deepEqual(readdirSync(join(folder, instanceRelativePath(victim).split("/")[0]!)).filter((n) => n.endsWith(TEMP_SUFFIX)), []);
    assert.equal(await s.has(victim), false, "and it has no row");

    rmSync(filler);
    const after = await put(13);
    assert.equal(after.duplicate, false, "space again: the store carries on");
    assert.equal(await s.count(), 2);
    await s.close();
    const again = await open();
    assert.deepEqual({ ...again.recovery, durationMs: 0 }, { files: 2, removedTemporaries: [], reindexed: [], quarantined: [], removedRows: [], durationMs: 0 }, "files and index agree");
    await again.close();
  });
});
