import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DatasetError, DatasetTransferSyntax, SUPPORTED_CHARACTER_SETS, decodeIdentifier, encodeIdentifier, resolveKey, type DecodedIdentifier, type IdentifierKeyValue } from "../src/index.js";

const EXPLICIT = DatasetTransferSyntax.ExplicitVrLittleEndian;
const IMPLICIT = DatasetTransferSyntax.ImplicitVrLittleEndian;

/** Hex with one line per element; `#` starts a comment (what the bytes are, PS3.5 §7.1.2 / §7.1.3). */
function hex(lines: readonly string[]): Buffer {
  return Buffer.from(lines.map((l) => l.replace(/#.*/, "").replace(/\s+/g, "")).join(""), "hex");
}

interface Vector {
  readonly name: string;
  readonly transferSyntax: string;
  readonly level?: string;
  readonly keys: ReadonlyArray<readonly [string, IdentifierKeyValue]>;
  readonly bytes: readonly string[];
  /** What decoding the bytes gives. */
  readonly decoded: DecodedIdentifier;
}

/** Written by hand from PS3.5 (element layout) and PS3.6 (tags, VRs). */
const VECTORS: readonly Vector[] = [
  {
    name: "study query, Explicit VR LE: wildcard, open date range, return key; elements sorted, padded to even length",
    transferSyntax: EXPLICIT,
    level: "STUDY",
    keys: [
      ["PatientName", "DOE*"],
      ["StudyInstanceUID", ""],
      ["0008,0020", "20240101-"],
    ],
    bytes: [
      "0800 2000 4441 0a00 3230323430313031 2d20", // (0008,0020) DA len 10 "20240101- " (space pad)
      "0800 5200 4353 0600 535455445920", // (0008,0052) CS len 6 "STUDY "
      "1000 1000 504e 0400 444f452a", // (0010,0010) PN len 4 "DOE*"
      "2000 0d00 5549 0000", // (0020,000D) UI len 0 (universal: a return key)
    ],
    decoded: { StudyDate: ["20240101-"], QueryRetrieveLevel: ["STUDY"], PatientName: ["DOE*"], StudyInstanceUID: [] },
  },
  {
    name: "patient query, Implicit VR LE: a non-ASCII name adds ISO_IR 192 and goes as UTF-8",
    transferSyntax: IMPLICIT,
    level: "PATIENT",
    keys: [
      ["(0010,0020)", undefined],
      ["00100010", "Dupont^Émilie"],
    ],
    bytes: [
      "0800 0500 0a000000 49534f5f495220313932", // (0008,0005) len 10 "ISO_IR 192"
      "0800 5200 08000000 50415449454e5420", // (0008,0052) len 8 "PATIENT "
      "1000 1000 0e000000 4475706f6e745e c389 6d696c6965", // (0010,0010) len 14 "Dupont^" É (C3 89) "milie"
      "1000 2000 00000000", // (0010,0020) len 0
    ],
    decoded: { SpecificCharacterSet: ["ISO_IR 192"], QueryRetrieveLevel: ["PATIENT"], PatientName: ["Dupont^Émilie"], PatientID: [] },
  },
  {
    name: "UID list and multi-valued CS: values joined with a backslash, UI padded with NUL",
    transferSyntax: EXPLICIT,
    level: "SERIES",
    keys: [
      ["StudyInstanceUID", ["1.2.3", "1.2.456"]],
      ["Modality", "CT\\MR"],
    ],
    bytes: [
      "0800 5200 4353 0600 534552494553", // (0008,0052) CS len 6 "SERIES"
      "0800 6000 4353 0600 43545c4d5220", // (0008,0060) CS len 6 "CT\MR "
      "2000 0d00 5549 0e00 312e322e335c 312e322e34353600", // (0020,000D) UI len 14 "1.2.3\1.2.456" + NUL
    ],
    decoded: { QueryRetrieveLevel: ["SERIES"], Modality: ["CT", "MR"], StudyInstanceUID: ["1.2.3", "1.2.456"] },
  },
];

describe("query identifier vectors", () => {
  for (const v of VECTORS) {
    it(`encodes: ${v.name}`, () => {
      const out = encodeIdentifier(v.keys, { transferSyntaxUid: v.transferSyntax, ...(v.level !== undefined && { level: v.level }) });
      assert.equal(Buffer.from(out).toString("hex"), hex(v.bytes).toString("hex"));
    });
    it(`decodes: ${v.name}`, () => {
      assert.deepEqual(decodeIdentifier(hex(v.bytes), v.transferSyntax), v.decoded);
    });
    it(`encode then decode gives the keys back: ${v.name}`, () => {
      const bytes = encodeIdentifier(v.keys, { transferSyntaxUid: v.transferSyntax, ...(v.level !== undefined && { level: v.level }) });
      const back = decodeIdentifier(bytes, v.transferSyntax);
      for (const [key, value] of v.keys) {
        const name = resolveKey(key).keyword ?? key;
        const expected = value === undefined || value === "" ? [] : typeof value === "string" ? value.split("\\") : value;
        assert.deepEqual(back[name], expected, key);
      }
    });
  }
});

describe("decodeIdentifier on answers", () => {
  it("honours ISO_IR 100 (Latin-1, what Orthanc answers by default) for PN, not for CS", () => {
    const bytes = hex([
      "0800 0500 4353 0a00 49534f5f495220313030", // (0008,0005) CS "ISO_IR 100"
      "0800 6100 4353 0600 43545c4d5220", // (0008,0061) ModalitiesInStudy "CT\MR "
      "1000 1000 504e 0e00 4475706f6e745e c9 6d696c696520", // (0010,0010) PN "Dupont^" É (C9) "milie "
      "2000 0812 4953 0200 3320", // (0020,1208) IS "3 "
    ]);
    assert.deepEqual(decodeIdentifier(bytes, EXPLICIT), {
      SpecificCharacterSet: ["ISO_IR 100"],
      ModalitiesInStudy: ["CT", "MR"],
      PatientName: ["Dupont^Émilie"],
      NumberOfStudyRelatedInstances: ["3"],
    });
  });

  it("reads sequences of undefined length with undefined-length items, binary numbers and private tags", () => {
    const bytes = hex([
      "0800 1511 5351 0000 ffffffff", // (0008,1115) ReferencedSeriesSequence SQ, undefined length
      "feff 00e0 ffffffff", //   item, undefined length
      "2000 0e00 5549 0400 312e3200", //     (0020,000E) UI "1.2" + NUL
      "feff 0de0 00000000", //   item delimiter
      "feff dde0 00000000", // sequence delimiter
      "0900 1000 4c4f 0400 41434d45", // (0009,0010) private creator LO "ACME"
      "2800 1000 5553 0200 0002", // (0028,0010) Rows US 512
    ]);
    assert.deepEqual(decodeIdentifier(bytes, EXPLICIT), {
      ReferencedSeriesSequence: [{ SeriesInstanceUID: ["1.2"] }],
      "00090010": ["ACME"],
      Rows: [512],
    });
  });

  it("refuses a cut identifier and an unknown character set, naming what is wrong", () => {
    assert.throws(() => decodeIdentifier(hex(["1000 1000 504e 0800 444f45"]), EXPLICIT), (e: unknown) => e instanceof DatasetError && e.code === "ERR_DICOM_DATASET_UNPARSABLE");
    const klingon = hex(["0800 0500 4353 0600 4b4c494e474f", "1000 1000 504e 0200 c9c9"]);
    assert.throws(() => decodeIdentifier(klingon, EXPLICIT), (e: unknown) => e instanceof DatasetError && e.code === "ERR_DICOM_DATASET_CHARACTER_SET" && e.message.includes("KLINGO"));
    assert.ok(SUPPORTED_CHARACTER_SETS.includes("ISO_IR 100") && SUPPORTED_CHARACTER_SETS.includes("ISO_IR 192"));
  });

  it("decodes other single-byte sets: ISO_IR 144 (Cyrillic) and ISO_IR 126 (Greek)", () => {
    const cyr = hex(["0800 0500 4353 0a00 49534f5f495220313434", "1000 1000 504e 0400 b8d2d0dd"]); // "Иван" in ISO 8859-5
    assert.deepEqual(decodeIdentifier(cyr, EXPLICIT)["PatientName"], ["Иван"]);
    const greek = hex(["0800 0500 4353 0a00 49534f5f495220313236", "1000 1000 504e 0200 e1e2"]); // "αβ" in ISO 8859-7
    assert.deepEqual(decodeIdentifier(greek, EXPLICIT)["PatientName"], ["αβ"]);
  });
});

describe("encodeIdentifier refuses what it cannot send", () => {
  const fails = (keys: ReadonlyArray<readonly [string, IdentifierKeyValue]>, mention: string): void => {
    assert.throws(
      () => encodeIdentifier(keys, { transferSyntaxUid: EXPLICIT, level: "STUDY" }),
      (e: unknown) => e instanceof DatasetError && e.code === "ERR_DICOM_DATASET_UNKNOWN_KEY" && e.message.includes(mention),
      mention,
    );
  };
  it("an unknown keyword, a private tag, a key given twice, a non-ASCII UID, a non-number", () => {
    fails([["PatientNam", "X"]], '"PatientNam"');
    fails([["0009,1001", "X"]], "(0009,1001) is private");
    fails(
      [
        ["PatientID", "1"],
        ["0010,0020", "2"],
      ],
      "given twice",
    );
    fails([["StudyInstanceUID", "1.2.é"]], "StudyInstanceUID");
    fails([["Rows", "many"]], "not a number");
    fails([["QueryRetrieveLevel", "IMAGE"]], "both as a key and as the level");
  });
  it("refuses Big Endian, which a query context never needs", () => {
    assert.throws(() => encodeIdentifier([["PatientID", "1"]], { transferSyntaxUid: DatasetTransferSyntax.ExplicitVrBigEndian }), /Little Endian/);
  });
});
