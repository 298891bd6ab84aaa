import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  convertExplicitToImplicit,
  convertImplicitToExplicit,
  convertTransferSyntax,
  DatasetError,
  DatasetTransferSyntax,
  parseDatasetHeader,
} from "../src/dataset/index.js";
import { makeDataset, pixelDataLength, resolveSpec, type SyntheticDatasetSpec } from "@dicomtls/test-peers";

const IMPLICIT = DatasetTransferSyntax.ImplicitVrLittleEndian;
const EXPLICIT = DatasetTransferSyntax.ExplicitVrLittleEndian;

const joined = (c: { parts: Uint8Array[]; byteLength: number }): Buffer => {
  const b = Buffer.concat(c.parts);
  assert.equal(b.length, c.byteLength, "byteLength is the sum of the parts");
  return b;
};

const specs: Array<[string, SyntheticDatasetSpec]> = [
  ["16-bit with private tags and sequences", { seed: 31, privateTags: true, frames: 2 }],
  ["8-bit (OB pixel data in explicit VR)", { seed: 32, bitsAllocated: 8, rows: 33, columns: 17, privateTags: true }],
  ["no sequences, no private tags", { seed: 33, sequences: false }],
];

function expectError(fn: () => unknown, code: string): DatasetError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DatasetError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** Element header, Little Endian; `vr` undefined gives the implicit form (PS3.5 §7.1). */
function el(tag: number, vr: string | undefined, value: Buffer | number): Buffer {
  const length = typeof value === "number" ? value : value.length;
  const long = vr === undefined || ["OB", "OW", "SQ", "UN", "UT"].includes(vr);
  const h = Buffer.alloc(vr !== undefined && long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  if (vr === undefined) h.writeUInt32LE(length, 4);
  else {
    h.write(vr, 4, "latin1");
    if (long) h.writeUInt32LE(length, 8);
    else h.writeUInt16LE(length, 6);
  }
  return typeof value === "number" ? h : Buffer.concat([h, value]);
}
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const U = 0xffffffff;
const uid = (s: string): Buffer => Buffer.from(s.length % 2 ? `${s}\0` : s, "latin1");

describe("Implicit <-> Explicit VR Little Endian", () => {
  for (const [name, spec] of specs) {
    it(`${name}: each direction gives exactly what the generator writes for the other syntax`, () => {
      const implicit = makeDataset({ ...spec, transferSyntax: IMPLICIT });
      const explicit = makeDataset({ ...spec, transferSyntax: EXPLICIT });
      assert.deepEqual(joined(convertImplicitToExplicit(implicit)), explicit);
      assert.deepEqual(joined(convertExplicitToImplicit(explicit)), implicit);
    });

    it(`${name}: round trips are byte-identical both ways`, () => {
      const implicit = makeDataset({ ...spec, transferSyntax: IMPLICIT });
      const explicit = makeDataset({ ...spec, transferSyntax: EXPLICIT });
      assert.deepEqual(joined(convertExplicitToImplicit(joined(convertImplicitToExplicit(implicit)))), implicit);
      assert.deepEqual(joined(convertImplicitToExplicit(joined(convertExplicitToImplicit(explicit)))), explicit);
    });
  }

  it("hands the pixel data back as a view of the input, not a copy", () => {
    const spec = { seed: 40, rows: 256, columns: 256, frames: 4 };
    const implicit = makeDataset({ ...spec, transferSyntax: IMPLICIT });
    const out = convertImplicitToExplicit(implicit);
    const pixels = out.parts.at(-1)!;
    assert.equal(pixels.byteLength, pixelDataLength(resolveSpec(spec)));
    assert.equal(pixels.buffer, implicit.buffer, "same memory");
    const h = parseDatasetHeader(joined(out), EXPLICIT);
    assert.equal(h.sopInstanceUid, resolveSpec(spec).sopInstanceUid);
  });

  it("convertTransferSyntax converts the two native syntaxes and refuses the others", () => {
    const implicit = makeDataset({ seed: 41, transferSyntax: IMPLICIT });
    const same = convertTransferSyntax(implicit, IMPLICIT, IMPLICIT);
    assert.equal(same.parts.length, 1);
    assert.equal(same.parts[0], implicit);
    assert.deepEqual(joined(convertTransferSyntax(implicit, IMPLICIT, EXPLICIT)), makeDataset({ seed: 41, transferSyntax: EXPLICIT }));
    expectError(() => convertTransferSyntax(implicit, IMPLICIT, DatasetTransferSyntax.ExplicitVrBigEndian), "ERR_DICOM_DATASET_NOT_CONVERTIBLE");
    expectError(() => convertTransferSyntax(implicit, "1.2.840.10008.1.2.4.50", IMPLICIT), "ERR_DICOM_DATASET_NOT_CONVERTIBLE");
  });

  it("keeps an unknown undefined-length element as UN with its implicit content verbatim (PS3.5 §6.2.2)", () => {
    const inner = Buffer.concat([el(ITEM, undefined, U), el(0x00111001, undefined, Buffer.from("ab")), el(ITEM_END, undefined, 0), el(SEQ_END, undefined, 0)]);
    const implicit = Buffer.concat([
      el(0x00080018, undefined, uid("1.2.3")),
      el(0x00110010, undefined, Buffer.from("MY CREATOR")),
      el(0x00111002, undefined, U),
      inner,
    ]);
    const explicit = Buffer.concat([
      el(0x00080018, "UI", uid("1.2.3")),
      el(0x00110010, "LO", Buffer.from("MY CREATOR")),
      el(0x00111002, "UN", U),
      inner,
    ]);
    assert.deepEqual(joined(convertImplicitToExplicit(implicit)), explicit);
    assert.deepEqual(joined(convertExplicitToImplicit(explicit)), implicit);
  });

  it("writes a short-length VR longer than 64 KiB as UN", () => {
    const long = Buffer.alloc(70_000, 0x41);
    const implicit = el(0x00081030, undefined, long); // Study Description, LO in the dictionary
    const explicit = joined(convertImplicitToExplicit(implicit));
    assert.equal(explicit.toString("latin1", 4, 6), "UN");
    assert.equal(explicit.readUInt32LE(8), 70_000);
  });

  it("refuses encapsulated pixel data towards Implicit VR", () => {
    const explicit = Buffer.concat([
      el(0x00080018, "UI", uid("1.2.3")),
      el(0x7fe00010, "OB", U),
      el(ITEM, undefined, 0),
      el(ITEM, undefined, Buffer.from([1, 2, 3, 4])),
      el(SEQ_END, undefined, 0),
    ]);
    const err = expectError(() => convertExplicitToImplicit(explicit), "ERR_DICOM_DATASET_NOT_CONVERTIBLE");
    assert.match(err.message, /\(7FE0,0010\)/);
  });

  it("refuses truncated or overrunning input", () => {
    const implicit = makeDataset({ seed: 42, transferSyntax: IMPLICIT, privateTags: true });
    for (const cut of [7, 100, 300, implicit.length - 1]) {
      expectError(() => convertImplicitToExplicit(implicit.subarray(0, cut)), "ERR_DICOM_DATASET_UNPARSABLE");
    }
    const explicit = makeDataset({ seed: 42, transferSyntax: EXPLICIT });
    expectError(() => convertExplicitToImplicit(explicit.subarray(0, explicit.length - 3)), "ERR_DICOM_DATASET_UNPARSABLE");
  });
});
