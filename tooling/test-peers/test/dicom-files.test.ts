import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { inflateRawSync } from "node:zlib";
import {
  datasetChunks,
  datasetSha256,
  makeDataset,
  readDatasetBytes,
  readPart10Dataset,
  requireTool,
  runProcess,
  SyntheticPreset,
  SyntheticTransferSyntax,
  syntheticDatasetSha256,
  tempDir,
  writePart10File,
} from "../src/index.js";

const dir = tempDir("dicom-files-test-");
after(() => dir.remove());

describe("synthetic datasets", () => {
  it("are deterministic for a seed and differ between seeds", () => {
    const a = makeDataset({ seed: 5, privateTags: true });
    assert.deepEqual(makeDataset({ seed: 5, privateTags: true }), a);
    assert.notDeepEqual(makeDataset({ seed: 6, privateTags: true }), a);
  });

  it("give the same bytes whole and in chunks of any even size", () => {
    for (const transferSyntax of [SyntheticTransferSyntax.ImplicitVrLittleEndian, SyntheticTransferSyntax.ExplicitVrBigEndian]) {
      const spec = { seed: 9, rows: 300, columns: 301, frames: 3, transferSyntax, privateTags: true };
      const whole = makeDataset(spec);
      const chunks = [...datasetChunks(spec, 70_002)];
      assert.ok(chunks.length > 3, "the pixel data spans several chunks");
      assert.deepEqual(Buffer.concat(chunks), whole);
      assert.equal(syntheticDatasetSha256(spec).length, 64);
    }
  });

  it("keep the image the same across byte orders (PS3.5 §7.3)", () => {
    const le = makeDataset({ seed: 2, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian });
    const be = makeDataset({ seed: 2, transferSyntax: SyntheticTransferSyntax.ExplicitVrBigEndian });
    const n = 64 * 64 * 2;
    assert.deepEqual(Buffer.from(be.subarray(be.length - n)).swap16(), le.subarray(le.length - n));
  });

  it("deflated is the explicit little endian encoding, raw-deflated (PS3.5 §A.5)", () => {
    const deflated = makeDataset({ seed: 4, transferSyntax: SyntheticTransferSyntax.DeflatedExplicitVrLittleEndian });
    assert.deepEqual(inflateRawSync(deflated), makeDataset({ seed: 4, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian }));
  });
});

describe("Part 10 files checked by DCMTK", () => {
  requireTool("dcmdump");
  requireTool("dcmftest");
  for (const [name, ts] of Object.entries(SyntheticTransferSyntax)) {
    it(`${name}: dcmdump reads it, meta and dataset bytes are as written`, async () => {
      const path = join(dir.path, `${name}.dcm`);
      const spec = { seed: 11, transferSyntax: ts, privateTags: true, sourceAeTitle: "MODALITY1" };
      const written = await writePart10File(path, spec);
      assert.equal(statSync(path).size, written.size);

      const dump = await runProcess("dcmdump", ["-q", "-M", path]);
      assert.equal(dump.code, 0, dump.output);
      assert.match(dump.stdout, new RegExp(`\\(0008,0018\\) UI \\[${written.spec.sopInstanceUid.replaceAll(".", "\\.")}\\]`));
      assert.match(dump.stdout, /\(0009,1001\)/, "the private element is there");
      assert.match(dump.stdout, /ReferencedImageSequence/);
      assert.match(dump.stdout, /RequestAttributesSequence/);
      assert.match(dump.stdout, /\(0002,0016\) AE \[MODALITY1\]/);
      const ftest = await runProcess("dcmftest", [path]);
      assert.match(ftest.stdout, /^yes:/, ftest.output);

      const meta = await readPart10Dataset(path);
      assert.equal(meta.transferSyntaxUid, ts);
      assert.equal(meta.mediaStorageSopInstanceUid, written.spec.sopInstanceUid);
      assert.equal(meta.mediaStorageSopClassUid, written.spec.sopClassUid);
      assert.equal(meta.sourceAeTitle, "MODALITY1");
      assert.deepEqual([...meta.fileMetaInformationVersion], [0, 1]);
      assert.equal(meta.datasetOffset, written.datasetOffset);
      assert.deepEqual(await readDatasetBytes(path), makeDataset(spec));
    });
  }

  it("targets a file size within one frame, streaming the pixel data", async () => {
    const path = join(dir.path, "ten-mb.dcm");
    const written = await writePart10File(path, { ...SyntheticPreset.MultiFrame10m, seed: 3, targetSize: 10_000_000 });
    const frame = 512 * 512 * 2;
    assert.ok(Math.abs(written.size - 10_000_000) <= frame / 2 + 1024, `size ${written.size}`);
    const dump = await runProcess("dcmdump", ["-q", "-M", path]);
    assert.equal(dump.code, 0, dump.output);
    assert.match(dump.stdout, new RegExp(`\\(0028,0008\\) IS \\[${written.spec.frames}\\]`));
    assert.equal(await datasetSha256(path), syntheticDatasetSha256(written.spec));
  });
});
