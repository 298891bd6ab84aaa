import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { dcmjs } from "../src/dataset/dcmjs-runtime.js";
import { DatasetError, DatasetTransferSyntax, parseDatasetHeader } from "../src/dataset/index.js";
import { makeDataset, pixelDataLength, resolveSpec, SyntheticPreset, type SyntheticDatasetSpec } from "@dicomtls/test-peers";

const syntaxes = Object.entries(DatasetTransferSyntax);

function expectUnparsable(fn: () => unknown, needMoreBytes?: boolean): DatasetError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DatasetError, `expected a DatasetError, got ${String(err)}`);
    assert.equal(err.code, "ERR_DICOM_DATASET_UNPARSABLE");
    if (needMoreBytes !== undefined) assert.equal(err.needMoreBytes, needMoreBytes, err.message);
    return err;
  }
  assert.fail("expected ERR_DICOM_DATASET_UNPARSABLE");
}

/** Tiny Explicit VR LE dataset from (tag, VR, text) triples, encoded here by hand (PS3.5 §7.1.2). */
function explicitLe(elements: ReadonlyArray<readonly [number, string, string]>): Buffer {
  return Buffer.concat(
    elements.map(([tag, vr, value]) => {
      let v = Buffer.from(value, "latin1");
      if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === "UI" ? 0 : 0x20])]);
      const h = Buffer.alloc(8);
      h.writeUInt16LE(tag >>> 16, 0);
      h.writeUInt16LE(tag & 0xffff, 2);
      h.write(vr, 4, "latin1");
      h.writeUInt16LE(v.length, 6);
      return Buffer.concat([h, v]);
    }),
  );
}

describe("parseDatasetHeader", () => {
  for (const [name, ts] of syntaxes) {
    it(`reads the identifiers of a ${name} dataset and stops at the pixel data`, () => {
      const spec: SyntheticDatasetSpec = { seed: 21, transferSyntax: ts, privateTags: true, frames: 3, patientName: "DOE^JANE" };
      const s = resolveSpec(spec);
      const h = parseDatasetHeader(makeDataset(spec), ts);
      assert.equal(h.sopClassUid, s.sopClassUid);
      assert.equal(h.sopInstanceUid, s.sopInstanceUid);
      assert.equal(h.studyInstanceUid, s.studyInstanceUid);
      assert.equal(h.seriesInstanceUid, s.seriesInstanceUid);
      assert.equal(h.patientId, s.patientId);
      assert.equal(h.patientName, "DOE^JANE");
      assert.equal(h.studyDate, s.studyDate);
      assert.equal(h.accessionNumber, s.accessionNumber);
      assert.equal(h.modality, s.modality);
      assert.equal(h.specificCharacterSet, "ISO_IR 100");
      assert.equal(h.rows, s.rows);
      assert.equal(h.columns, s.columns);
      assert.equal(h.numberOfFrames, 3);
      assert.equal(h.instanceNumber, 21);
      assert.equal(h.transferSyntaxUid, ts);
      assert.equal(h.truncated, false);
      if (ts !== DatasetTransferSyntax.DeflatedExplicitVrLittleEndian) {
        const inflatedLength = makeDataset({ ...spec, transferSyntax: DatasetTransferSyntax.ExplicitVrLittleEndian }).length;
        const headerSize = ts === DatasetTransferSyntax.ImplicitVrLittleEndian ? 8 : 12;
        const total = ts === DatasetTransferSyntax.ImplicitVrLittleEndian ? makeDataset(spec).length : inflatedLength;
        assert.equal(h.pixelDataOffset, total - pixelDataLength(s) - headerSize);
      } else {
        assert.ok(h.pixelDataOffset !== undefined && h.pixelDataOffset > 0);
      }
    });
  }

  it("reads a view into a larger buffer at its own offset (the dcmjs subarray gotcha)", () => {
    const ds = makeDataset({ ...SyntheticPreset.Ct512k, seed: 8 });
    const big = Buffer.alloc(ds.length + 5000, 0xaa);
    ds.copy(big, 3001);
    const view = big.subarray(3001, 3001 + ds.length);
    const h = parseDatasetHeader(view, DatasetTransferSyntax.ExplicitVrLittleEndian);
    assert.equal(h.sopInstanceUid, resolveSpec({ seed: 8 }).sopInstanceUid);
    assert.equal(h.rows, 512);
  });

  for (const ts of [DatasetTransferSyntax.ImplicitVrLittleEndian, DatasetTransferSyntax.ExplicitVrBigEndian]) {
    it(`works on every prefix of a ${ts} dataset long enough to hold the UIDs`, () => {
      const spec = { seed: 5, transferSyntax: ts, privateTags: true };
      const s = resolveSpec(spec);
      const ds = makeDataset(spec);
      const uidAt = ds.indexOf(Buffer.from(s.sopInstanceUid, "latin1"));
      const uidEnd = uidAt + s.sopInstanceUid.length + (s.sopInstanceUid.length % 2);
      const pixelHeaderSize = ts === DatasetTransferSyntax.ImplicitVrLittleEndian ? 8 : 12;
      const pixelTagAt = ds.length - pixelDataLength(s) - pixelHeaderSize;
      for (let n = 0; n < pixelTagAt + 40; n++) {
        const prefix = ds.subarray(0, n);
        if (n < uidEnd) {
          expectUnparsable(() => parseDatasetHeader(prefix, ts), true);
          continue;
        }
        const h = parseDatasetHeader(prefix, ts);
        assert.equal(h.sopInstanceUid, s.sopInstanceUid, `prefix of ${n}`);
        if (n >= pixelTagAt + pixelHeaderSize) {
          assert.equal(h.pixelDataOffset, pixelTagAt, `prefix of ${n}`);
          assert.equal(h.truncated, false);
        } else {
          assert.ok(h.headerLength <= n && h.headerLength >= uidEnd);
          assert.equal(h.truncated, h.headerLength < n, `prefix of ${n}: cut inside an element exactly when bytes are left over`);
          assert.equal(parseDatasetHeader(prefix.subarray(0, h.headerLength), ts).truncated, false, "headerLength is an element boundary");
        }
      }
    });
  }

  it("reads the first 64 KiB of a 10 MB dataset, and of its deflated form", () => {
    const spec = { ...SyntheticPreset.MultiFrame10m, seed: 77 };
    const s = resolveSpec(spec);
    const h = parseDatasetHeader(makeDataset(spec).subarray(0, 65536), DatasetTransferSyntax.ExplicitVrLittleEndian);
    assert.equal(h.sopInstanceUid, s.sopInstanceUid);
    assert.equal(h.numberOfFrames, 20);
    assert.equal(h.truncated, false, "the pixel data element starts within the prefix");

    const deflated = makeDataset({ ...spec, transferSyntax: DatasetTransferSyntax.DeflatedExplicitVrLittleEndian });
    const d = parseDatasetHeader(deflated.subarray(0, 4096), DatasetTransferSyntax.DeflatedExplicitVrLittleEndian);
    assert.equal(d.sopInstanceUid, s.sopInstanceUid);
    assert.equal(d.seriesInstanceUid, s.seriesInstanceUid);
  });

  it("refuses bytes in another syntax than the negotiated one, and garbage", () => {
    const implicit = makeDataset({ seed: 1, transferSyntax: DatasetTransferSyntax.ImplicitVrLittleEndian });
    const err = expectUnparsable(() => parseDatasetHeader(implicit, DatasetTransferSyntax.ExplicitVrLittleEndian), false);
    assert.match(err.message, /no explicit VR/);
    expectUnparsable(() => parseDatasetHeader(Buffer.from("this is not a dataset at all"), DatasetTransferSyntax.ExplicitVrLittleEndian));
    expectUnparsable(() => parseDatasetHeader(implicit, DatasetTransferSyntax.DeflatedExplicitVrLittleEndian));
  });

  it("refuses a dataset without a SOP Instance UID; more bytes can help only before the pixel data", () => {
    const ds = explicitLe([
      [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"],
      [0x00100020, "LO", "P1"],
    ]);
    const noPixels = expectUnparsable(() => parseDatasetHeader(ds, DatasetTransferSyntax.ExplicitVrLittleEndian), true);
    assert.match(noPixels.message, /\(0008,0018\) SOP Instance UID/);
    // (7FE0,0010) OW, 2 reserved bytes, 32-bit length 2, one pixel (PS3.5 §7.1.2).
    const pixelData = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 2, 0, 0, 0, 0x34, 0x12]);
    const withPixels = Buffer.concat([ds, pixelData]);
    const err = expectUnparsable(() => parseDatasetHeader(withPixels, DatasetTransferSyntax.ExplicitVrLittleEndian), false);
    assert.match(err.message, /no \(0008,0018\) SOP Instance UID before its pixel data/);
  });

  it("takes identifiers from the top level only, never from inside a sequence item", () => {
    // (0008,1115) SQ of undefined length holding one item of undefined length with its own (0010,0020) and (0020,000D).
    const nested = explicitLe([
      [0x00100020, "LO", "NESTED"],
      [0x0020000d, "UI", "9.9.9"],
    ]);
    const u32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    const sequence = Buffer.concat([
      Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0]), u32(0xffffffff),
      Buffer.from([0xfe, 0xff, 0x00, 0xe0]), u32(0xffffffff), nested, Buffer.from([0xfe, 0xff, 0x0d, 0xe0]), u32(0),
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0]), u32(0),
    ]);
    const before = explicitLe([
      [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"],
      [0x00080018, "UI", "1.2.3.4.5"],
      [0x00080060, "CS", "OT"],
    ]);
    const top = explicitLe([
      [0x00100010, "PN", "TOP^LEVEL"],
      [0x00100020, "LO", "TOP"],
    ]);
    const h = parseDatasetHeader(Buffer.concat([before, sequence, top]), DatasetTransferSyntax.ExplicitVrLittleEndian);
    assert.equal(h.patientId, "TOP");
    assert.equal(h.patientName, "TOP^LEVEL");
    assert.equal(h.studyInstanceUid, undefined, "the nested (0020,000D) is not the instance's");
    assert.equal(h.modality, "OT");
    assert.equal(h.headerLength, before.length + sequence.length + top.length);
    const withoutTop = parseDatasetHeader(Buffer.concat([before, sequence]), DatasetTransferSyntax.ExplicitVrLittleEndian);
    assert.equal(withoutTop.patientId, undefined);
  });

  it("reads identifiers under ISO 2022 code extensions, which dcmjs refuses to decode", () => {
    const ds = explicitLe([
      [0x00080005, "CS", "ISO 2022 IR 6\\ISO 2022 IR 87"],
      [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"],
      [0x00080018, "UI", "1.2.3.4.5"],
      [0x00100020, "LO", "JP1"],
    ]);
    const h = parseDatasetHeader(ds, "1.2.840.10008.1.2.4.50");
    assert.equal(h.sopInstanceUid, "1.2.3.4.5");
    assert.equal(h.patientId, "JP1");
    assert.equal(h.specificCharacterSet, "ISO 2022 IR 6\\ISO 2022 IR 87");
  });
  it("returns the main tags by keyword: values as written, IS/DS as text, several values joined with a backslash", () => {
    for (const [name, ts] of syntaxes) {
      const spec: SyntheticDatasetSpec = { seed: 22, transferSyntax: ts, patientName: "DOE^JANE" };
      const s = resolveSpec(spec);
      const { tags } = parseDatasetHeader(makeDataset(spec), ts);
      // The synthetic generator's header (tooling/test-peers dicom-files.ts headerElements), main tags only.
      assert.deepEqual(tags, {
        SOPClassUID: s.sopClassUid,
        SOPInstanceUID: s.sopInstanceUid,
        StudyDate: s.studyDate,
        StudyTime: "101010",
        AccessionNumber: s.accessionNumber,
        Modality: s.modality,
        Manufacturer: "dicomtls synthetic",
        PatientName: "DOE^JANE",
        PatientID: s.patientId,
        PatientBirthDate: "19700101",
        PatientSex: "O",
        StudyInstanceUID: s.studyInstanceUid,
        SeriesInstanceUID: s.seriesInstanceUid,
        StudyID: "S22",
        SeriesNumber: "1",
        InstanceNumber: "22",
        ImagePositionPatient: "-100\\-100\\0",
      }, name);
    }
  });

  it("main tags are decoded through the character set; PN keeps its component groups", () => {
    const utf8 = (text: string): string => Buffer.from(text, "utf8").toString("latin1"); // explicitLe writes latin1 bytes
    const ds = explicitLe([
      [0x00080005, "CS", "ISO_IR 192"],
      [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"],
      [0x00080018, "UI", "1.2.3.4.5"],
      [0x00080090, "PN", utf8("Dupont^Émilie=デュポン^エミリ")],
      [0x00100010, "PN", utf8("Müller^Jörg\\Other^Name")],
      [0x00100020, "LO", "  P7"],
      [0x00101000, "LO", "A1\\B2"],
      [0x00200013, "IS", " 7"],
      [0x00204000, "LT", ""],
    ]);
    const tags = parseDatasetHeader(ds, DatasetTransferSyntax.ExplicitVrLittleEndian).tags ?? {};
    assert.equal(tags["ReferringPhysicianName"], "Dupont^Émilie=デュポン^エミリ");
    assert.equal(tags["PatientName"], "Müller^Jörg\\Other^Name");
    assert.equal(tags["PatientID"], "P7", "leading spaces of LO are not significant (PS3.5 §6.2)");
    assert.equal(tags["OtherPatientIDs"], "A1\\B2");
    assert.equal(tags["InstanceNumber"], "7");
    assert.equal("ImageComments" in tags, false, "an empty attribute is left out");
  });

  describe("plain ASCII values read without dcmjs give dcmjs' header", () => {
    /** Both readings agree; `plain`: the default one did not call dcmjs at all (it is the fast path, not a fallback). */
    const same = (bytes: Uint8Array, ts: string, plain = true): void => {
      const reads = mock.method(dcmjs.data.DicomMessage, "_read");
      try {
        const fast = parseDatasetHeader(bytes, ts);
        assert.equal(reads.mock.callCount() === 0, plain, `dcmjs read ${reads.mock.callCount()} times`);
        assert.deepEqual(fast, parseDatasetHeader(bytes, ts, { plainValues: false }));
      } finally {
        reads.mock.restore();
      }
    };
    for (const [name, ts] of syntaxes) {
      it(`synthetic ${name} datasets, whole and as prefixes`, () => {
        for (const seed of [1, 2, 3]) {
          const spec: SyntheticDatasetSpec = { seed, transferSyntax: ts, privateTags: seed === 2, sequences: seed === 3, frames: seed, patientName: `DOE^JANE${seed}` };
          const ds = makeDataset(spec);
          same(ds, ts);
          if (ts !== DatasetTransferSyntax.DeflatedExplicitVrLittleEndian) for (const n of [400, 600, 900]) if (n < ds.length) same(ds.subarray(0, n), ts);
        }
      });
    }
    it("multiple values, component groups, padding, empty and odd values", () => {
      const cases: Array<ReadonlyArray<readonly [number, string, string]>> = [
        [[0x00080005, "CS", "ISO_IR 100\\ISO_IR 192"], [0x00080016, "UI", "1.2.3\\4.5"], [0x00080018, "UI", "1.2.3.4.5"], [0x00080060, "CS", "CT\\MR"]],
        [[0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"], [0x00080018, "UI", "1.2.3"], [0x00100010, "PN", "Yamada^Tarou=="], [0x00100020, "LO", "  P 1  "]],
        [[0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"], [0x00080018, "UI", "1.2.3"], [0x00100010, "PN", "A^B=C^D=E^F"], [0x00200011, "IS", " 12 "], [0x00200013, "IS", ""]],
        [[0x00080005, "CS", ""], [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"], [0x00080018, "UI", "1.2.3"], [0x00080020, "DA", "20240131"], [0x00080030, "TM", "101010.123"], [0x00200013, "IS", "+7"]],
        // Not plain: a Latin-1 name (decoded by dcmjs with the character set) and an ISO 2022 escape.
        [[0x00080005, "CS", "ISO_IR 100"], [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"], [0x00080018, "UI", "1.2.3"], [0x00100010, "PN", "M\xfcller^J\xfcrgen"]],
        [[0x00080005, "CS", "ISO 2022 IR 6\\ISO 2022 IR 87"], [0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"], [0x00080018, "UI", "1.2.3"], [0x00100010, "PN", "Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"]],
      ];
      cases.forEach((elements, i) => same(explicitLe(elements), DatasetTransferSyntax.ExplicitVrLittleEndian, i < cases.length - 2));
    });
  });
});
