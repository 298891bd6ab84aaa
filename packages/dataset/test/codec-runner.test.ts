import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodePDataTf } from "@dicomtls/pdu-codec";
import {
  SyntheticTransferSyntax,
  makeDataset,
  makeFileMeta,
  readDatasetBytes,
  resolveSpec,
  tempDir,
  writePart10File,
  type SyntheticDatasetSpec,
} from "@dicomtls/test-peers";
import {
  CodecError,
  CodecErrorCode,
  convertTransferSyntax,
  createCodecRunner,
  InlineCodecRunner,
  parseDatasetHeader,
  PiscinaCodecRunner,
  type CodecRunner,
  type PrepareFileOptions,
} from "../src/index.js";

const TS = SyntheticTransferSyntax;
const tmp = tempDir("dicomtls-codec-");
const inline = new InlineCodecRunner();
const pool = new PiscinaCodecRunner({ threads: 2 });
const runners: Array<[string, CodecRunner]> = [
  ["inline", inline],
  ["pool", pool],
];

after(async () => {
  await Promise.all([inline.close(), pool.close()]);
  tmp.remove();
});

interface Collected {
  pdus: Buffer[];
  dataset: Buffer;
}

/** Iterates a prepared file, checks each PDU, and reassembles the dataset from the PDVs. */
async function collect(runner: CodecRunner, path: string, options: PrepareFileOptions): Promise<Collected> {
  const prepared = await runner.prepareFile(path, options);
  const pdus: Buffer[] = [];
  const data: Buffer[] = [];
  const limit = options.maxPduLength === 0 ? 64 * 1024 : options.maxPduLength;
  let sawLast = false;
  for await (const batch of prepared) {
    let batchBytes = 0;
    for (const pdu of batch.pdus) {
      assert.equal(sawLast, false, "no PDU after the last fragment");
      assert.ok(pdu.byteLength <= limit + 6, `PDU of ${pdu.byteLength} bytes exceeds ${limit} + 6`);
      const decoded = decodePDataTf(pdu);
      assert.equal(decoded.pdvs.length, 1);
      const pdv = decoded.pdvs[0]!;
      assert.equal(pdv.presentationContextId, options.presentationContextId);
      assert.equal(pdv.isCommand, false);
      sawLast = pdv.isLast;
      data.push(Buffer.from(pdv.data));
      pdus.push(Buffer.from(pdu));
      batchBytes += pdu.byteLength;
    }
    assert.equal(batchBytes, batch.byteLength);
    assert.equal(batch.last, sawLast);
    batch.release();
  }
  assert.ok(sawLast, "the last PDU has the last-fragment bit");
  const dataset = Buffer.concat(data);
  assert.equal(dataset.length, prepared.datasetLength);
  return { pdus, dataset };
}

let fileCounter = 0;
async function part10(spec: SyntheticDatasetSpec): Promise<string> {
  const path = join(tmp.path, `f${fileCounter++}.dcm`);
  await writePart10File(path, spec);
  return path;
}

function converted(dataset: Uint8Array, from: string, to: string): Buffer {
  return Buffer.concat(convertTransferSyntax(dataset, from, to).parts);
}

describe("parseHeader", () => {
  const syntaxes = [TS.ImplicitVrLittleEndian, TS.ExplicitVrLittleEndian, TS.ExplicitVrBigEndian, TS.DeflatedExplicitVrLittleEndian];
  for (const ts of syntaxes) {
    it(`gives the pure function's result in ${ts}, inline and pooled, whole or in chunks`, async () => {
      const spec = { seed: 7, frames: 2, transferSyntax: ts, privateTags: true } as const;
      const dataset = makeDataset(spec);
      const expected = parseDatasetHeader(dataset, ts);
      assert.equal(expected.sopInstanceUid, resolveSpec(spec).sopInstanceUid);
      for (const [name, runner] of runners) {
        assert.deepEqual(await runner.parseHeader(dataset, ts), expected, name);
        const chunks = [dataset.subarray(0, 100), dataset.subarray(100, 5000), dataset.subarray(5000)];
        assert.deepEqual(await runner.parseHeader(chunks, ts), expected, `${name} (chunks)`);
        // As a TLS socket delivers them: 16 KiB parts, the header (and its bulk element) inside the first one.
        const reads = Array.from({ length: Math.ceil(dataset.byteLength / 16384) }, (_, i) => dataset.subarray(i * 16384, (i + 1) * 16384));
        assert.deepEqual(await runner.parseHeader(reads, ts), expected, `${name} (16 KiB reads)`);
      }
      assert.equal(dataset.byteLength, makeDataset(spec).byteLength, "the caller's buffer is not detached");
    });
  }

  it("grows the prefix when the identifiers lie beyond it", async () => {
    const dataset = makeDataset({ seed: 3, transferSyntax: TS.ExplicitVrLittleEndian });
    const expected = parseDatasetHeader(dataset, TS.ExplicitVrLittleEndian);
    for (const runner of [new InlineCodecRunner({ headerPrefixBytes: 16 }), new PiscinaCodecRunner({ threads: 1, headerPrefixBytes: 16 })]) {
      try {
        assert.deepEqual(await runner.parseHeader(dataset, TS.ExplicitVrLittleEndian), expected);
      } finally {
        await runner.close();
      }
    }
  });

  it("reports a dataset that is not one as ERR_DICOM_DATASET_UNPARSABLE, the same way inline and pooled", async () => {
    const junk = new Uint8Array(64).fill(0x41);
    const errors: CodecError[] = [];
    for (const [, runner] of runners) {
      await assert.rejects(runner.parseHeader(junk, TS.ExplicitVrLittleEndian), (err: unknown) => {
        assert.ok(err instanceof CodecError);
        assert.equal(err.code, CodecErrorCode.DatasetUnparsable);
        errors.push(err);
        return true;
      });
    }
    assert.equal(errors[0]?.message, errors[1]?.message);
  });
});

describe("readFileInfo", () => {
  it("reads the File Meta, inline and pooled", async () => {
    const path = await part10({ seed: 11, transferSyntax: TS.ImplicitVrLittleEndian });
    const spec = resolveSpec({ seed: 11 });
    for (const [name, runner] of runners) {
      const info = await runner.readFileInfo(path);
      assert.equal(info.sopClassUid, spec.sopClassUid, name);
      assert.equal(info.sopInstanceUid, spec.sopInstanceUid, name);
      assert.equal(info.transferSyntaxUid, TS.ImplicitVrLittleEndian, name);
      assert.equal(info.datasetOffset + info.datasetLength, info.fileSize, name);
    }
  });
});

describe("prepareFile", () => {
  const cases: Array<{ from: string; to: string; spec: SyntheticDatasetSpec }> = [
    { from: TS.ExplicitVrLittleEndian, to: TS.ExplicitVrLittleEndian, spec: { frames: 5 } },
    { from: TS.ImplicitVrLittleEndian, to: TS.ImplicitVrLittleEndian, spec: { frames: 5, privateTags: true } },
    { from: TS.ImplicitVrLittleEndian, to: TS.ExplicitVrLittleEndian, spec: { frames: 5, privateTags: true } },
    { from: TS.ExplicitVrLittleEndian, to: TS.ImplicitVrLittleEndian, spec: { frames: 5, bitsAllocated: 8, privateTags: true } },
    { from: TS.ImplicitVrLittleEndian, to: TS.ExplicitVrLittleEndian, spec: { frames: 3, bitsAllocated: 8, sequences: false } },
    { from: TS.DeflatedExplicitVrLittleEndian, to: TS.DeflatedExplicitVrLittleEndian, spec: { frames: 2 } },
    { from: TS.ExplicitVrBigEndian, to: TS.ExplicitVrBigEndian, spec: { frames: 2 } },
  ];
  const layouts = [
    { maxPduLength: 16384, batchBytes: 20_000 },
    { maxPduLength: 0, batchBytes: 1 },
    { maxPduLength: 1001, batchBytes: 7_000 },
    { maxPduLength: 131072, batchBytes: 4 * 1024 * 1024 },
  ];
  for (const c of cases) {
    it(`sends ${c.from} as ${c.to}: reassembles to the expected bytes, PDUs within the limit, same PDUs inline and pooled`, async () => {
      const path = await part10({ seed: 5, transferSyntax: c.from as (typeof TS)[keyof typeof TS], ...c.spec });
      const stored = await readDatasetBytes(path);
      const expected = c.from === c.to ? stored : converted(stored, c.from, c.to);
      for (const layout of layouts) {
        const options = { transferSyntaxUid: c.to, presentationContextId: 3, ...layout };
        const a = await collect(inline, path, options);
        const b = await collect(pool, path, options);
        assert.ok(a.dataset.equals(expected), `inline dataset, ${JSON.stringify(layout)}`);
        assert.ok(Buffer.concat(b.pdus).equals(Buffer.concat(a.pdus)), `pool PDUs equal inline PDUs, ${JSON.stringify(layout)}`);
      }
      const prepared = await pool.prepareFile(path, { transferSyntaxUid: c.to, presentationContextId: 1, maxPduLength: 16384 });
      prepared.close();
      assert.equal(prepared.converted, c.from !== c.to);
      assert.equal(prepared.info.transferSyntaxUid, c.from);
    });
  }

  it("round-trips Implicit -> Explicit -> Implicit byte for byte", async () => {
    const spec = { seed: 21, frames: 4, privateTags: true, transferSyntax: TS.ImplicitVrLittleEndian } as const;
    const implicitPath = await part10(spec);
    const original = await readDatasetBytes(implicitPath);
    const layout = { presentationContextId: 1, maxPduLength: 16384, batchBytes: 10_000 };
    const explicit = await collect(pool, implicitPath, { ...layout, transferSyntaxUid: TS.ExplicitVrLittleEndian });
    const s = resolveSpec(spec);
    const explicitPath = join(tmp.path, "explicit-from-implicit.dcm");
    writeFileSync(explicitPath, Buffer.concat([makeFileMeta({ mediaStorageSopClassUid: s.sopClassUid, mediaStorageSopInstanceUid: s.sopInstanceUid, transferSyntaxUid: TS.ExplicitVrLittleEndian }), explicit.dataset]));
    const back = await collect(pool, explicitPath, { ...layout, transferSyntaxUid: TS.ImplicitVrLittleEndian });
    assert.ok(back.dataset.equals(original));
  });

  it("sends elements after the pixel data: small ones converted, large ones from the file", async () => {
    const s = resolveSpec({ seed: 9, frames: 1, transferSyntax: TS.ImplicitVrLittleEndian });
    const base = makeDataset(s);
    const element = (tag: number, value: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h.writeUInt16LE(tag >>> 16, 0);
      h.writeUInt16LE(tag & 0xffff, 2);
      h.writeUInt32LE(value.length, 4);
      return Buffer.concat([h, value]);
    };
    // (7FE0,0020) Coefficients SDVN is OW, (FFFC,FFFC) Data Set Trailing Padding OB (PS3.6): both follow the pixel data.
    const tail = Buffer.concat([element(0x7fe00020, Buffer.alloc(16, 1)), element(0xfffcfffc, Buffer.alloc(100_000, 2))]);
    const dataset = Buffer.concat([base, tail]);
    const path = join(tmp.path, "trailing.dcm");
    writeFileSync(path, Buffer.concat([makeFileMeta({ mediaStorageSopClassUid: s.sopClassUid, mediaStorageSopInstanceUid: s.sopInstanceUid, transferSyntaxUid: TS.ImplicitVrLittleEndian }), dataset]));
    const expected = converted(dataset, TS.ImplicitVrLittleEndian, TS.ExplicitVrLittleEndian);
    for (const [name, runner] of runners) {
      const got = await collect(runner, path, { transferSyntaxUid: TS.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 4096, batchBytes: 30_000 });
      assert.ok(got.dataset.equals(expected), name);
    }
  });

  it("refuses conversions other than Implicit <-> Explicit VR LE before sending anything", async () => {
    const path = await part10({ seed: 2, transferSyntax: TS.ExplicitVrBigEndian });
    for (const [name, runner] of runners) {
      await assert.rejects(runner.prepareFile(path, { transferSyntaxUid: TS.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384 }), (err: unknown) => {
        assert.ok(err instanceof CodecError, name);
        assert.equal(err.code, CodecErrorCode.DatasetNotConvertible);
        assert.equal(err.path, path);
        assert.match(err.message, new RegExp(path.replace(/[.]/g, "\\.")));
        return true;
      });
    }
  });

  it("names the file when it is missing or not Part 10, and refuses a PDU limit with no room for data", async () => {
    const junk = join(tmp.path, "junk.dcm");
    writeFileSync(junk, Buffer.alloc(300, 7));
    const missing = join(tmp.path, "missing.dcm");
    const ok = await part10({ seed: 1 });
    const options = { transferSyntaxUid: TS.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384 };
    for (const [name, runner] of runners) {
      await assert.rejects(runner.prepareFile(junk, options), { code: CodecErrorCode.FileNotPart10, path: junk }, name);
      await assert.rejects(runner.readFileInfo(missing), { code: CodecErrorCode.FileRead, path: missing }, name);
      await assert.rejects(runner.prepareFile(ok, { ...options, maxPduLength: 6 }), { code: CodecErrorCode.InvalidValue, path: ok }, name);
    }
  });
});

describe("runner lifecycle", () => {
  it("holds tasks beyond maxPending (needsDrain) and runs them all", async () => {
    const runner = new PiscinaCodecRunner({ threads: 1, maxPending: 1 });
    try {
      const dataset = makeDataset({ seed: 4 });
      const tasks = [1, 2, 3].map(() => runner.parseHeader(dataset, TS.ExplicitVrLittleEndian));
      await Promise.resolve();
      assert.equal(runner.needsDrain, true);
      const drained = runner.drained();
      const headers = await Promise.all(tasks);
      await drained;
      assert.equal(runner.needsDrain, false);
      assert.equal(new Set(headers.map((h) => h.sopInstanceUid)).size, 1);
    } finally {
      await runner.close();
    }
  });

  it("warmUp runs a task on the worker (pool, inline and routing runners), and is refused once closed", async () => {
    for (const runner of [new PiscinaCodecRunner({ threads: 1 }), new InlineCodecRunner(), createCodecRunner({ threads: 1 })] as CodecRunner[]) {
      await runner.warmUp();
      // The warmed worker serves the next task.
      assert.equal((await runner.parseHeader(makeDataset({ seed: 2 }), TS.ExplicitVrLittleEndian)).sopClassUid.length > 0, true);
      await runner.close();
      await assert.rejects(runner.warmUp(), { code: CodecErrorCode.Closed });
    }
  });

  it("refuses tasks after close with ERR_DICOM_CODEC_CLOSED", async () => {
    const runner = createCodecRunner({ threads: 1 });
    await runner.close();
    await assert.rejects(runner.parseHeader(makeDataset({ seed: 1 }), TS.ExplicitVrLittleEndian), { code: CodecErrorCode.Closed });
  });

  it("stops a prepared file between batches when its signal aborts", async () => {
    const path = await part10({ seed: 8, frames: 20 });
    const controller = new AbortController();
    const prepared = await pool.prepareFile(path, { transferSyntaxUid: TS.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384, batchBytes: 16_000, signal: controller.signal });
    let batches = 0;
    await assert.rejects(
      (async () => {
        for await (const batch of prepared) {
          batches++;
          batch.release();
          if (batches === 2) controller.abort();
        }
      })(),
      { code: CodecErrorCode.Aborted },
    );
    assert.ok(batches >= 2 && batches <= 3);
  });

  it("routes by size and gives the same results either way (createCodecRunner)", async () => {
    const path = await part10({ seed: 12, frames: 3 });
    const dataset = makeDataset({ seed: 12, frames: 3 });
    const allInline = createCodecRunner({ threads: 0 });
    const allPool = createCodecRunner({ threads: 1, inlineThresholdBytes: 0, inlineFileThresholdBytes: 0 });
    const mixed = createCodecRunner({ threads: 1, inlineThresholdBytes: 1 << 30, inlineFileThresholdBytes: 1 << 30 });
    try {
      const options = { transferSyntaxUid: TS.ImplicitVrLittleEndian, presentationContextId: 5, maxPduLength: 8192, batchBytes: 10_000 };
      const results = [];
      for (const r of [allInline, allPool, mixed]) {
        results.push({
          header: await r.parseHeader(dataset, TS.ExplicitVrLittleEndian),
          info: await r.readFileInfo(path),
          pdus: Buffer.concat((await collect(r, path, options)).pdus),
        });
      }
      for (const r of results.slice(1)) {
        assert.deepEqual(r.header, results[0]?.header);
        assert.deepEqual(r.info, results[0]?.info);
        assert.ok(r.pdus.equals(results[0]!.pdus));
      }
    } finally {
      await Promise.all([allInline.close(), allPool.close(), mixed.close()]);
    }
  });
});

