import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeDataset, resolveSpec, runProcess, SyntheticPreset, tempDir } from "@dicomtls/test-peers";
import { FileSystemInstanceStore, INDEX_FILE_NAME, StorageError } from "../src/index.js";

/** A 1 MiB tmpfs: the second 512 KB instance cannot fit. Needs root (the test machines run as root). */
describe("storage full", () => {
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
    const s = await FileSystemInstanceStore.open({ folder: mountPoint, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1" });
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
});
