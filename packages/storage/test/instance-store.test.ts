import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  datasetChunks,
  makeDataset,
  readDatasetBytes,
  readPart10Dataset,
  requireTool,
  resolveSpec,
  runProcess,
  SyntheticPreset,
  SyntheticTransferSyntax,
  tempDir,
  type SyntheticDatasetSpec,
} from "@dicomtls/test-peers";
// The reindex test uses the real header parser, as the server passes it.
import { parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore, INDEX_FILE_NAME, INSTANCE_FOLDERS, StorageError, type InstanceWriter } from "../src/index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-test-");
  dirs.push(d);
  return join(d.path, "store");
}

async function openStore(folder: string, overwriteInstances = false, extra: { recover?: boolean } = {}): Promise<FileSystemInstanceStore> {
  return FileSystemInstanceStore.open({
    ...extra,
    folder,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: "DICOMTLS_0_1",
    overwriteInstances,
    readIdentifiers: (prefix, ts) => parseDatasetHeader(prefix, ts),
  });
}

/** Every file under `folder` (relative paths), except the index database. */
function filesIn(folder: string): string[] {
  return (readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(folder.length + 1))
    .filter((p) => !p.startsWith(INDEX_FILE_NAME));
}

/** The layout documented in the README: the first two hex digits of SHA-256(uid) name the folder. */
function expectedPath(uid: string): string {
  const h = createHash("sha256").update(uid).digest("hex");
  return `${h.slice(0, 2)}/${uid}.dcm`;
}

async function store(
  s: FileSystemInstanceStore,
  spec: SyntheticDatasetSpec,
  extra: { sourceAeTitle?: string; chunkSize?: number } = {},
): Promise<{ writer: InstanceWriter; result: Awaited<ReturnType<InstanceWriter["commit"]>> }> {
  const r = resolveSpec(spec);
  const writer = await s.begin({
    sopClassUid: r.sopClassUid,
    sopInstanceUid: r.sopInstanceUid,
    transferSyntaxUid: r.transferSyntax,
    sourceAeTitle: extra.sourceAeTitle ?? "MODALITY",
    peerAddress: "127.0.0.1",
    peerCertificateFingerprint: "AB:CD",
  });
  for (const chunk of datasetChunks(spec, extra.chunkSize ?? 16_384)) await writer.write(chunk);
  const result = await writer.commit(parseDatasetHeader(makeDataset(spec).subarray(0, 4096), r.transferSyntax));
  return { writer, result };
}

async function expectStorageError(p: Promise<unknown>, code: string): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StorageError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe("FileSystemInstanceStore", () => {
  before(() => requireTool("dcmdump"));

  for (const [name, ts] of Object.entries(SyntheticTransferSyntax).filter(([n]) => !n.startsWith("Deflated"))) {
    it(`stores a ${name} dataset as a Part 10 file dcmdump reads, with the received bytes unchanged`, async () => {
      const folder = newFolder();
      const s = await openStore(folder);
      const spec = { ...SyntheticPreset.Ct512k, seed: 101, transferSyntax: ts, privateTags: true };
      const r = resolveSpec(spec);
      const { writer, result } = await store(s, spec, { sourceAeTitle: "CT01  " });
      assert.deepEqual(result, { sopInstanceUid: r.sopInstanceUid, relativePath: expectedPath(r.sopInstanceUid), size: result.size, duplicate: false, replaced: false });
      assert.equal(writer.datasetBytes, makeDataset(spec).length);

      const path = join(folder, expectedPath(r.sopInstanceUid));
      const dump = await runProcess("dcmdump", ["-q", "-M", path]);
      assert.equal(dump.code, 0, dump.output);
      assert.ok(dump.stdout.includes(`(0008,0018) UI [${r.sopInstanceUid}]`), dump.stdout.slice(0, 2000));
      const meta = await readPart10Dataset(path);
      assert.equal(meta.fileSize, result.size);
      assert.equal(meta.transferSyntaxUid, ts);
      assert.equal(meta.mediaStorageSopClassUid, r.sopClassUid);
      assert.equal(meta.mediaStorageSopInstanceUid, r.sopInstanceUid);
      assert.equal(meta.implementationClassUid, IMPLEMENTATION_CLASS_UID);
      assert.equal(meta.implementationVersionName, "DICOMTLS_0_1");
      assert.equal(meta.sourceAeTitle, "CT01");
      assert.deepEqual([...meta.fileMetaInformationVersion], [0, 1]);
      assert.ok((await readDatasetBytes(path)).equals(makeDataset(spec)), "dataset bytes are the bytes received");

      assert.equal(await s.has(r.sopInstanceUid), true);
      assert.equal(await s.count(), 1);
      const row = await s.get(r.sopInstanceUid);
      assert.ok(row);
      assert.equal(row.path, path);
      assert.equal(row.size, result.size);
      assert.equal(row.studyInstanceUid, r.studyInstanceUid);
      assert.equal(row.seriesInstanceUid, r.seriesInstanceUid);
      assert.equal(row.patientId, r.patientId);
      assert.equal(row.transferSyntaxUid, ts);
      assert.equal(row.sourceAeTitle, "CT01");
      assert.equal(row.peerAddress, "127.0.0.1");
      assert.equal(row.peerCertificateFingerprint, "AB:CD");

      const { stream } = await s.readDataset(r.sopInstanceUid);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(makeDataset(spec)));
      assert.deepEqual(filesIn(folder), [expectedPath(r.sopInstanceUid)]);
      await s.close();
    });
  }

  it("keeps the bytes whatever the chunk sizes (staged small chunks, direct large ones)", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const spec = { ...SyntheticPreset.Ct512k, seed: 140, frames: 3 };
    const r = resolveSpec(spec);
    const ds = makeDataset(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    const sizes = [1, 7, 262_143, 2, 262_144, 300_000, 16_384, 1_000_001];
    const pending: Array<Promise<void>> = [];
    let off = 0;
    for (let i = 0; off < ds.length; i++) {
      const n = sizes[i % sizes.length]!;
      pending.push(w.write(ds.subarray(off, off + n))); // not awaited one by one: order must still hold
      off += n;
    }
    await Promise.all(pending);
    const result = await w.commit();
    assert.ok((await readDatasetBytes(join(folder, result.relativePath))).equals(ds));
    await s.close();
  });

  it("keeps an unfinished write under a temporary name that never ends in .dcm", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const r = resolveSpec({ seed: 102 });
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset({ seed: 102 }).subarray(0, 1000));
    const during = filesIn(folder);
    assert.equal(during.length, 1);
    assert.ok(!during[0]!.endsWith(".dcm"), during[0]);
    assert.ok(during[0]!.startsWith(`${expectedPath(r.sopInstanceUid).split("/")[0]}/${r.sopInstanceUid}.`), `next to its final name: ${during[0]}`);
    assert.equal(await s.has(r.sopInstanceUid), false);
    await w.abort();
    await w.abort();
    assert.deepEqual(filesIn(folder), [], "an aborted write leaves no file");
    assert.equal(await s.count(), 0);
    await expectStorageError(w.write(Buffer.alloc(2)), "ERR_DICOM_STORAGE_CLOSED");
    await expectStorageError(w.commit(), "ERR_DICOM_STORAGE_CLOSED");
    await s.close();
  });

  it("discards a second instance with a known SOP Instance UID (OverwriteInstances false)", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const first = { seed: 103, privateTags: true };
    const uid = resolveSpec(first).sopInstanceUid;
    const second = { seed: 104, sopInstanceUid: uid, patientId: "OTHER" };
    await store(s, first);
    const { result } = await store(s, second);
    assert.equal(result.duplicate, true);
    assert.equal(result.replaced, false);
    const path = join(folder, expectedPath(uid));
    assert.equal(result.size, (await readPart10Dataset(path)).fileSize);
    assert.ok((await readDatasetBytes(path)).equals(makeDataset(first)), "the first file is kept");
    assert.equal((await s.get(uid))?.patientId, resolveSpec(first).patientId);
    assert.deepEqual(filesIn(folder), [expectedPath(uid)]);
    await s.close();
  });

  it("keeps the first of two writes racing on one SOP Instance UID", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const a = { seed: 105 };
    const uid = resolveSpec(a).sopInstanceUid;
    const b = { seed: 106, sopInstanceUid: uid };
    const begin = (spec: SyntheticDatasetSpec) => {
      const r = resolveSpec(spec);
      return s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: uid, transferSyntaxUid: r.transferSyntax });
    };
    const wa = await begin(a);
    const wb = await begin(b);
    await wa.write(makeDataset(a));
    await wb.write(makeDataset(b));
    assert.equal(filesIn(folder).length, 2, "two temporary files");
    const ra = await wa.commit();
    const rb = await wb.commit();
    assert.equal(ra.duplicate, false);
    assert.equal(rb.duplicate, true);
    assert.ok((await readDatasetBytes(join(folder, expectedPath(uid)))).equals(makeDataset(a)));
    assert.deepEqual(filesIn(folder), [expectedPath(uid)]);
    await s.close();
  });

  it("replaces the instance atomically with OverwriteInstances true", async () => {
    const folder = newFolder();
    const s = await openStore(folder, true);
    const first = { seed: 107 };
    const uid = resolveSpec(first).sopInstanceUid;
    const second = { seed: 108, sopInstanceUid: uid, patientId: "REPLACED", rows: 32 };
    assert.equal((await store(s, first)).result.replaced, false);
    const { result } = await store(s, second);
    assert.equal(result.duplicate, false);
    assert.equal(result.replaced, true);
    assert.ok((await readDatasetBytes(join(folder, expectedPath(uid)))).equals(makeDataset(second)));
    const row = await s.get(uid);
    assert.equal(row?.patientId, "REPLACED");
    assert.equal(row?.size, result.size);
    assert.equal(await s.count(), 1);
    assert.deepEqual(filesIn(folder), [expectedPath(uid)]);
    await s.close();
  });

  it("rebuilds the index from the files, removing leftovers of interrupted writes", async () => {
    const folder = newFolder();
    let s = await openStore(folder);
    const specs = [
      { seed: 110, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian },
      { seed: 111, privateTags: true },
      { seed: 112, transferSyntax: SyntheticTransferSyntax.ExplicitVrBigEndian, patientId: "BE" },
    ];
    for (const spec of specs) await store(s, spec);
    const before = await s.list();
    await s.close();
    for (const f of readdirSync(folder).filter((f) => f.startsWith(INDEX_FILE_NAME))) rmSync(join(folder, f));
    writeFileSync(join(folder, "00", "1.2.3.abc.partial"), "half a dataset");
    writeFileSync(join(folder, "00", "1.2.3.dcm"), "not DICOM");

    // Without start-up recovery (which would do the same), to see reindex() alone at work.
    s = await openStore(folder, false, { recover: false });
    assert.equal(await s.count(), 0);
    const result = await s.reindex();
    assert.equal(result.indexed, 3);
    assert.equal(result.removedTemporaries, 1);
    assert.equal(result.skipped.length, 1);
    assert.match(result.skipped[0]!.reason, /not a DICOM Part 10 file/);
    assert.equal(existsSync(join(folder, "00", "1.2.3.abc.partial")), false);
    assert.equal(existsSync(join(folder, "00", "1.2.3.dcm")), true, "a file reindex() cannot read is left where it is");
    for (const spec of specs) {
      const r = resolveSpec(spec);
      const row = await s.get(r.sopInstanceUid);
      const old = before.find((b) => b.sopInstanceUid === r.sopInstanceUid);
      assert.ok(row && old);
      for (const key of ["sopClassUid", "transferSyntaxUid", "patientId", "patientName", "studyInstanceUid", "seriesInstanceUid", "modality", "size", "relativePath", "sourceAeTitle"] as const) {
        assert.equal(row[key], old[key], key);
      }
    }
    assert.equal((await s.list({ patientId: "BE" })).length, 1);
    assert.equal((await s.list({ studyInstanceUid: resolveSpec(specs[0]).studyInstanceUid })).length, 1);
    await s.close();
  });

  it("a failure moving the file into place names that step and the path, and leaves neither file nor row", async () => {
    const folder = newFolder();
    const s = await openStore(folder, true);
    const spec = { seed: 150 };
    const r = resolveSpec(spec);
    const finalPath = join(folder, expectedPath(r.sopInstanceUid));
    mkdirSync(finalPath); // rename() of a file over a folder fails (EISDIR)
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset(spec));
    const err = await expectStorageError(w.commit(), "ERR_DICOM_STORAGE_IO");
    assert.equal(err.message.startsWith(`cannot move the file into place at ${finalPath}: EISDIR`), true, err.message);
    assert.equal(err.path, finalPath);
    assert.deepEqual(filesIn(folder), [], "no temporary left");
    assert.equal(await s.has(r.sopInstanceUid), false);
    await s.close();
  });

  it("an index that fails the row write (after the file is in place): the file is taken back, the error names the index", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    // The index failing as SQLite reports a broken disk; the file system itself works.
    s.index.upsert = () => {
      throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
    };
    const spec = { seed: 151 };
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    await w.write(makeDataset(spec));
    const err = await expectStorageError(w.commit(), "ERR_DICOM_STORAGE_IO");
    assert.equal(err.message, `cannot write the index row of ${r.sopInstanceUid} to ${join(folder, INDEX_FILE_NAME)}: SQLITE_IOERR disk I/O error`);
    assert.deepEqual(filesIn(folder), [], "neither the instance nor its temporary stays");
    assert.equal(await s.has(r.sopInstanceUid), false);
    await s.close();
  });

  it("refuses a SOP Instance UID that is not a UID (it becomes a file name)", async () => {
    const s = await openStore(newFolder());
    const bad = ["../../etc/passwd", "1.2.3/4", "1.02.3", "", "1".repeat(65)];
    for (const uid of bad) {
      await expectStorageError(s.begin({ sopClassUid: "1.2.3", sopInstanceUid: uid, transferSyntaxUid: "1.2.840.10008.1.2" }), "ERR_DICOM_STORAGE_INVALID_VALUE");
    }
    await s.close();
  });

  it("creates its 256 instance folders when it opens, and keeps what an existing store holds", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const folders = readdirSync(folder).filter((n) => !n.startsWith(INDEX_FILE_NAME)).sort();
    assert.deepEqual(folders, [...INSTANCE_FOLDERS]);
    assert.equal(INSTANCE_FOLDERS.length, 256);
    assert.deepEqual(INSTANCE_FOLDERS.slice(0, 3), ["00", "01", "02"]);
    assert.equal(INSTANCE_FOLDERS.at(-1), "ff");
    const { result: r } = await store(s, { seed: 130 });
    await s.close();
    rmSync(join(folder, "7f"), { recursive: true }); // a folder lost (or a store made by hand): made again
    const again = await openStore(folder);
    assert.ok(existsSync(join(folder, "7f")));
    assert.equal(await again.has(r.sopInstanceUid), true);
    assert.ok((await readDatasetBytes(join(folder, expectedPath(r.sopInstanceUid)))).equals(makeDataset({ seed: 130 })));
    await again.close();
  });

  it("names the storage folder when it cannot be made", async () => {
    const parent = newFolder();
    mkdirSync(parent, { recursive: true });
    const notAFolder = join(parent, "file");
    writeFileSync(notAFolder, "x");
    await assert.rejects(openStore(notAFolder), (err: unknown) => {
      assert.ok(err instanceof StorageError);
      assert.ok(err.message.includes(notAFolder), err.message);
      return true;
    });
  });

  it("writes a 200 MB dataset through without holding it in memory", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    const spec = { ...SyntheticPreset.MultiFrame200m, seed: 120 };
    const r = resolveSpec(spec);
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
    const start = process.memoryUsage().rss;
    let peak = start;
    let total = 0;
    for (const chunk of datasetChunks(spec, 1 << 20)) {
      await w.write(chunk);
      total += chunk.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const result = await w.commit();
    assert.ok(total > 200 * 1024 * 1024);
    assert.equal(result.size, (await readPart10Dataset(join(folder, result.relativePath))).fileSize);
    const growth = peak - start;
    assert.ok(growth < 64 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1048576)} MB while writing ${Math.round(total / 1048576)} MB`);
    await s.close();
  });
});

describe("index file", () => {
  it("is one SQLite database in WAL mode inside the storage folder", async () => {
    const folder = newFolder();
    const s = await openStore(folder);
    await store(s, { seed: 130 });
    const header = readFileSync(join(folder, INDEX_FILE_NAME)).subarray(0, 16).toString("latin1");
    assert.equal(header, "SQLite format 3\0");
    assert.ok(existsSync(join(folder, `${INDEX_FILE_NAME}-wal`)), "WAL file present while open");
    await s.close();
  });
});
