import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SyntheticTransferSyntax as TS, makeDataset, makeFileMeta, resolveSpec, tempDir } from "@dicomtls/test-peers";
import { decodePDataTf } from "@dicomtls/pdu-codec";
import { convertTransferSyntax } from "../src/index.js";
import { runCodecTask, transferablesOf, type EncodedBatch, type PreparedFilePlan } from "../src/worker.js";

const tmp = tempDir("dicomtls-worker-");
after(() => tmp.remove());

function header(tag: number, vr: string | undefined, length: number): Buffer {
  const long = vr === undefined || ["OB", "OW", "SQ", "UN", "UT"].includes(vr);
  const b = Buffer.alloc(vr === undefined || !long ? 8 : 12);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  if (vr === undefined) b.writeUInt32LE(length, 4);
  else {
    b.write(vr, 4, "latin1");
    if (long) b.writeUInt32LE(length, 8);
    else b.writeUInt16LE(length, 6);
  }
  return b;
}

function writeFile(name: string, ts: string, dataset: Buffer): string {
  const s = resolveSpec({ seed: 1 });
  const path = join(tmp.path, name);
  writeFileSync(path, Buffer.concat([makeFileMeta({ mediaStorageSopClassUid: s.sopClassUid, mediaStorageSopInstanceUid: s.sopInstanceUid, transferSyntaxUid: ts }), dataset]));
  return path;
}

/** All batches of a file through the tasks alone, as the runner would request them; returns the PDV data. */
function sendAll(path: string, to: string, maxPduLength: number, batchBytes: number): Buffer {
  const layout = { presentationContextId: 1, maxPduLength, batchBytes };
  const prepared = runCodecTask({ kind: "prepare-file", path, transferSyntaxUid: to, ...layout });
  if (!prepared.ok) throw new Error(prepared.error.message);
  const plan: PreparedFilePlan = prepared.value;
  assert.deepEqual(transferablesOf(prepared), [plan.first.buffer]);
  const data: Buffer[] = [];
  const take = (b: EncodedBatch): void => {
    let at = 0;
    for (let i = 0; i < b.pduCount; i++) {
      const length = new DataView(b.buffer).getUint32(at + 2) + 6;
      assert.ok(length <= maxPduLength + 6);
      const pdv = decodePDataTf(new Uint8Array(b.buffer, at, length)).pdvs[0]!;
      assert.equal(pdv.isLast, b.last && i === b.pduCount - 1);
      data.push(Buffer.from(pdv.data));
      at += length;
    }
    assert.equal(at, b.byteLength);
  };
  take(plan.first);
  let sent = plan.first.dataLength;
  let last = plan.first.last;
  while (!last) {
    const end = Math.min(plan.datasetLength, sent + plan.first.dataLength);
    const r = runCodecTask({ kind: "file-batch", path, ...layout, segments: plan.segments, segmentsStart: 0, start: sent, end, datasetLength: plan.datasetLength });
    if (!r.ok) throw new Error(r.error.message);
    take(r.value);
    sent += r.value.dataLength;
    last = r.value.last;
  }
  const out = Buffer.concat(data);
  assert.equal(out.length, plan.datasetLength);
  return out;
}

describe("prepare-file task", () => {
  it("streams the conversion as convertTransferSyntax converts the whole dataset, with sequences after the pixel data", () => {
    for (const bits of [8, 16] as const) {
      const base = makeDataset({ seed: 4, frames: 40, bitsAllocated: bits, privateTags: true, transferSyntax: TS.ImplicitVrLittleEndian });
      // (FFFA,FFFA) Digital Signatures Sequence, undefined length, one item; then (FFFC,FFFC) padding, small.
      const item = Buffer.concat([header(0x04000005, undefined, 2), Buffer.from([1, 0])]);
      const sq = Buffer.concat([header(0xfffafffa, undefined, 0xffffffff), header(0xfffee000, undefined, item.length), item, header(0xfffee0dd, undefined, 0)]);
      const dataset = Buffer.concat([base, sq, header(0xfffcfffc, undefined, 4), Buffer.alloc(4)]);
      const path = writeFile(`tail-${bits}.dcm`, TS.ImplicitVrLittleEndian, dataset);
      const expected = Buffer.concat(convertTransferSyntax(dataset, TS.ImplicitVrLittleEndian, TS.ExplicitVrLittleEndian).parts);
      assert.ok(sendAll(path, TS.ExplicitVrLittleEndian, 16384, 50_000).equals(expected), `${bits}-bit`);
      const explicitPath = writeFile(`tail-${bits}-explicit.dcm`, TS.ExplicitVrLittleEndian, expected);
      assert.ok(sendAll(explicitPath, TS.ImplicitVrLittleEndian, 5000, 1).equals(dataset), `${bits}-bit back`);
    }
  });

  it("refuses encapsulated pixel data towards Implicit VR with the dataset code and the path", () => {
    const base = makeDataset({ seed: 2, frames: 1, transferSyntax: TS.ExplicitVrLittleEndian });
    // Replace the native (7FE0,0010) by an encapsulated one: empty offset table, one fragment (PS3.5 §A.4).
    const cut = base.length - resolveSpec({ seed: 2 }).rows * resolveSpec({ seed: 2 }).columns * 2 - 12;
    const encapsulated = Buffer.concat([
      base.subarray(0, cut),
      header(0x7fe00010, "OB", 0xffffffff),
      header(0xfffee000, undefined, 0),
      header(0xfffee000, undefined, 4),
      Buffer.alloc(4, 9),
      header(0xfffee0dd, undefined, 0),
    ]);
    const path = writeFile("encapsulated.dcm", TS.ExplicitVrLittleEndian, encapsulated);
    const r = runCodecTask({ kind: "prepare-file", path, transferSyntaxUid: TS.ImplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384, batchBytes: 1 << 20 });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, "ERR_DICOM_DATASET_NOT_CONVERTIBLE");
    assert.equal(r.error.path, path);
    assert.deepEqual(transferablesOf(r), []);
  });

  it("reports a file cut short inside the pixel data as not Part 10", () => {
    const dataset = makeDataset({ seed: 3, frames: 4, transferSyntax: TS.ImplicitVrLittleEndian });
    const path = writeFile("cut.dcm", TS.ImplicitVrLittleEndian, dataset.subarray(0, dataset.length - 100));
    const r = runCodecTask({ kind: "prepare-file", path, transferSyntaxUid: TS.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384, batchBytes: 1 << 20 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "ERR_DICOM_FILE_NOT_PART10");
  });
});
