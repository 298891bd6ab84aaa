/**
 * DCMTK storescu +tls into dicomtls-server: every file becomes one durable Part 10 `.dcm` under StorageDirectory
 * whose dataset is byte for byte the source file's, with a File Meta built from the command and the negotiated
 * transfer syntax (checked with dcmdump); receiving a >100 MB instance does not grow the server's memory by its size.
 *
 * The sources carry no sequences: storescu re-serialises what it sends, and writes undefined-length sequences and
 * items with explicit lengths (16 bytes fewer for the generator's two), so only datasets DCMTK sends unchanged can
 * be compared with the source file. Undefined-length sequences reach the store unchanged in store-statuses (our SCU).
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@dicomtls/association";
import {
  SyntheticPreset,
  SyntheticTransferSyntax,
  datasetSha256,
  dcmtkEnv,
  readPart10Dataset,
  requireTool,
  runProcess,
  startServer,
  stopAll,
  tempDir,
  writePart10File,
  type StartedServer,
  type WrittenPart10File,
} from "@dicomtls/test-peers";
import { MB, rssOf, sampleRss, storedFiles, storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["storescu", "dcmdump"]) requireTool(tool);
const tmp = tempDir("dicomtls-store-dcmtk-");
after(async () => {
  await stopAll();
  tmp.remove();
});

/** Stored file of each source, matched by SOP Instance UID through the File Meta. */
async function storedBySopInstance(storage: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of storedFiles(storage)) out.set((await readPart10Dataset(path)).mediaStorageSopInstanceUid, path);
  return out;
}

async function assertStoredLike(source: WrittenPart10File, stored: string | undefined): Promise<void> {
  assert.ok(stored, `${source.path} (${source.spec.sopInstanceUid}) was not stored`);
  const meta = await readPart10Dataset(stored);
  assert.equal(meta.mediaStorageSopClassUid, source.spec.sopClassUid);
  assert.equal(meta.mediaStorageSopInstanceUid, source.spec.sopInstanceUid);
  assert.equal(meta.transferSyntaxUid, source.spec.transferSyntax);
  assert.equal(meta.implementationClassUid, IMPLEMENTATION_CLASS_UID);
  assert.equal(meta.implementationVersionName, IMPLEMENTATION_VERSION_NAME);
  assert.equal(meta.sourceAeTitle, "STORESCU");
  assert.deepEqual([...meta.fileMetaInformationVersion], [0, 1]);
  assert.equal(meta.fileSize - meta.datasetOffset, source.datasetLength, `${stored}: dataset length`);
  assert.equal(await datasetSha256(stored), await datasetSha256(source.path), `${stored}: dataset bytes differ from ${source.path}`);
}

describe("DCMTK storescu +tls -> dicomtls-server", () => {
  let files: NodeFiles;
  let server: StartedServer;
  const storage = join(tmp.path, "storage");

  before(async () => {
    files = await writePki(tmp.path);
    const config = await writeNodeConfig(tmp.path, "node.json", files, storage);
    server = await startServer(config.path);
  });
  after(() => server.stop());

  test("the seed's kind of file (a CT): stored as one .dcm, dataset identical, File Meta as dcmdump reads it", async () => {
    const src = join(tmp.path, "seed");
    mkdirSync(src);
    const ct = await writePart10File(join(src, "ct.dcm"), { ...SyntheticPreset.Ct512k, seed: 1001, patientName: "Doe^Jane", patientId: "SEED-1", sequences: false, privateTags: true });
    const r = await storescuTls(files, server.port, [ct.path]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Received Store Response \(Success\)/, r.output);

    const stored = (await storedBySopInstance(storage)).get(ct.spec.sopInstanceUid);
    await assertStoredLike(ct, stored);
    assert.ok(stored!.startsWith(storage) && stored!.endsWith(".dcm"));

    const dump = await runProcess("dcmdump", ["-M", "+L", stored!], { timeoutMs: 30_000 });
    assert.equal(dump.code, 0, dump.output);
    assert.match(dump.stdout, /\(0002,0002\) UI =CTImageStorage/);
    assert.match(dump.stdout, new RegExp(`\\(0002,0003\\) UI \\[${ct.spec.sopInstanceUid.replace(/\./g, "\\.")}\\]`));
    assert.match(dump.stdout, /\(0002,0010\) UI =LittleEndianExplicit/);
    assert.match(dump.stdout, new RegExp(`\\(0002,0012\\) UI \\[${IMPLEMENTATION_CLASS_UID.replace(/\./g, "\\.")}\\]`));
    assert.match(dump.stdout, new RegExp(`\\(0002,0013\\) SH \\[${IMPLEMENTATION_VERSION_NAME}\\]`));
    assert.match(dump.stdout, /\(0002,0016\) AE \[STORESCU\]/);
    assert.match(dump.stdout, /\(0010,0020\) LO \[SEED-1\]/);

    // One info record for the instance, without the patient's name or ID (DeidentifyLogs defaults to true).
    const rec = await server.waitForRecord((x) => x["event"] === "instance-stored" && x["sopInstanceUid"] === ct.spec.sopInstanceUid);
    assert.equal(rec["level"], "info");
    assert.equal(rec["callingAet"], "STORESCU");
    assert.equal(rec["bytes"], ct.datasetLength);
    const text = JSON.stringify(rec);
    assert.doesNotMatch(text, /Doe|SEED-1/);
  });

  test("a folder (+sd +r) of small, multi-frame and >100 MB instances in Implicit and Explicit VR LE: all stored, datasets identical, RSS bounded", async (t) => {
    const src = join(tmp.path, "folder");
    mkdirSync(join(src, "sub"), { recursive: true });
    const sources: WrittenPart10File[] = [];
    const ts = [SyntheticTransferSyntax.ImplicitVrLittleEndian, SyntheticTransferSyntax.ExplicitVrLittleEndian] as const;
    for (let i = 0; i < 6; i++) {
      sources.push(await writePart10File(join(src, `small-${i}.dcm`), { seed: 2000 + i, rows: 32 + 8 * i, columns: 32, transferSyntax: ts[i % 2]!, sequences: false }));
    }
    for (let i = 0; i < 4; i++) {
      sources.push(await writePart10File(join(src, "sub", `ct-${i}.dcm`), { ...SyntheticPreset.Ct512k, seed: 2100 + i, transferSyntax: ts[i % 2]!, sequences: false }));
    }
    sources.push(await writePart10File(join(src, "sub", "multiframe-implicit.dcm"), { ...SyntheticPreset.MultiFrame10m, seed: 2200, transferSyntax: ts[0], sequences: false }));
    sources.push(await writePart10File(join(src, "multiframe-explicit.dcm"), { ...SyntheticPreset.MultiFrame10m, seed: 2201, frames: 7, transferSyntax: ts[1], sequences: false }));
    const big = await writePart10File(join(src, "sub", "big.dcm"), { ...SyntheticPreset.MultiFrame200m, seed: 2300, targetSize: 110 * MB, transferSyntax: ts[0], sequences: false });
    sources.push(big);
    assert.ok(big.size > 100 * MB);

    const pid = server.process.pid;
    const before = rssOf(pid);
    const sampler = sampleRss(pid);
    const r = await storescuTls(files, server.port, ["+sd", "+r", src], 300_000);
    const { peak, samples } = sampler.stop();
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.match(/Received Store Response \(Success\)/g)?.length, sources.length, r.output);

    const stored = await storedBySopInstance(storage);
    for (const s of sources) await assertStoredLike(s, stored.get(s.spec.sopInstanceUid));

    const growth = peak - before;
    t.diagnostic(
      `server RSS before ${(before / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB (${samples} samples), growth ${(growth / MB).toFixed(1)} MB ` +
        `while receiving ${sources.length} files incl. one of ${(big.size / MB).toFixed(1)} MB`,
    );
    assert.ok(growth < big.size / 2, `RSS grew by ${(growth / MB).toFixed(1)} MB receiving a ${(big.size / MB).toFixed(1)} MB instance`);
    // dcmdump reads the big stored file end to end (structure sound, pixel data length right).
    const dump = await runProcess("dcmdump", ["-q", "+L", "-M", stored.get(big.spec.sopInstanceUid)!], { env: dcmtkEnv(), timeoutMs: 60_000 });
    assert.equal(dump.code, 0, dump.output);
    assert.match(dump.stdout, /\(7fe0,0010\) OW/);
  });
});
