import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "@dicomtls/test-peers";
import {
  ORTHANC_TRANSFER_SYNTAX_GROUPS,
  STORAGE_SOP_CLASSES,
  STORAGE_TRANSFER_SYNTAXES,
  TRANSFER_SYNTAXES,
  acceptedTransferSyntaxes,
  isStorageSopClass,
} from "@dicomtls/scp";

/** Copies of the standard's tables kept beside the test (see test/reference/README.md for their source). */
const REFERENCE = join(repoRoot, "packages", "scp", "test", "reference");

/** RFC 4180 rows: quoted cells may hold commas; "" is a quote. */
function readCsv(name: string): Array<Record<string, string>> {
  const text = readFileSync(join(REFERENCE, name), "utf8").trim();
  const rows = text.split(/\r?\n/).map((line) => {
    const cells: string[] = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        cells.push(cell);
        cell = "";
      } else cell += c;
    }
    cells.push(cell);
    return cells;
  });
  const [head, ...body] = rows;
  return body.map((cells) => Object.fromEntries(head!.map((h, i) => [h, cells[i] ?? ""])));
}

const yes = (v: string | undefined): boolean => {
  assert.ok(v === "yes" || v === "no", `yes/no expected, got ${v}`);
  return v === "yes";
};

describe("Storage SOP Classes (PS3.4 Table B.5-1 + retired, PS3.6 A-1)", () => {
  const csv = readCsv("storage-sop-classes.csv");

  it("equals storage-sop-classes.csv row for row: UID, name, retired", () => {
    assert.equal(csv.length, 190);
    assert.deepEqual(
      STORAGE_SOP_CLASSES.map((c) => ({ uid: c.uid, name: c.name, retired: c.retired })),
      csv.map((r) => ({ uid: r["uid"], name: r["name"], retired: yes(r["retired"]) })),
    );
  });

  it("holds 170 current and 20 retired classes, no UID twice", () => {
    assert.equal(STORAGE_SOP_CLASSES.filter((c) => !c.retired).length, 170);
    assert.equal(STORAGE_SOP_CLASSES.filter((c) => c.retired).length, 20);
    assert.equal(new Set(STORAGE_SOP_CLASSES.map((c) => c.uid)).size, 190);
  });

  it("isStorageSopClass knows them and nothing else", () => {
    for (const r of csv) assert.ok(isStorageSopClass(r["uid"]!), r["uid"]);
    assert.equal(isStorageSopClass("1.2.840.10008.1.1"), false); // Verification
    assert.equal(isStorageSopClass("1.2.840.10008.1.3.10"), false); // Media Storage Directory Storage (Table I.4-1)
    assert.equal(isStorageSopClass("1.2.840.10008.5.1.4.1.1.501.1"), false); // DICOS CT, not in B.5-1
  });
});

describe("Transfer Syntaxes (PS3.6 Table A-1)", () => {
  const csv = readCsv("transfer-syntaxes.csv");

  it("equals transfer-syntaxes.csv row for row: UID, name, encapsulated, retired", () => {
    assert.equal(csv.length, 63);
    assert.deepEqual(
      TRANSFER_SYNTAXES.map((t) => ({ uid: t.uid, name: t.name, encapsulated: t.encapsulated, retired: t.retired })),
      csv.map((r) => ({ uid: r["uid"], name: r["name"], encapsulated: yes(r["encapsulated"]), retired: yes(r["retired"]) })),
    );
  });

  it("storage accepts Explicit then Implicit VR LE first, every encapsulated syntax, and no syntax without a DIMSE dataset", () => {
    assert.deepEqual(STORAGE_TRANSFER_SYNTAXES.slice(0, 2), ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]);
    const all = new Set<string>(TRANSFER_SYNTAXES.map((t) => t.uid));
    for (const uid of STORAGE_TRANSFER_SYNTAXES) assert.ok(all.has(uid), uid);
    for (const t of TRANSFER_SYNTAXES.filter((x) => x.encapsulated)) assert.ok(STORAGE_TRANSFER_SYNTAXES.includes(t.uid), t.uid);
    const left = TRANSFER_SYNTAXES.map((t) => t.uid).filter((u) => !STORAGE_TRANSFER_SYNTAXES.includes(u));
    assert.deepEqual(left.sort(), ["1.2.840.10008.1.2.6.1", "1.2.840.10008.1.2.6.2", "1.2.840.10008.1.2.7.1", "1.2.840.10008.1.2.7.2", "1.2.840.10008.1.2.7.3", "1.2.840.10008.1.20"]);
    assert.equal(new Set(STORAGE_TRANSFER_SYNTAXES).size, STORAGE_TRANSFER_SYNTAXES.length);
  });

  it("every UID of Orthanc's legacy groups is a Table A-1 transfer syntax, in one group only", () => {
    const all = new Set<string>(TRANSFER_SYNTAXES.map((t) => t.uid));
    const seen = new Set<string>();
    for (const members of Object.values(ORTHANC_TRANSFER_SYNTAX_GROUPS)) {
      for (const uid of members) {
        assert.ok(all.has(uid), uid);
        assert.ok(!seen.has(uid), `${uid} in two groups`);
        seen.add(uid);
      }
    }
  });
});

describe("acceptedTransferSyntaxes (Orthanc's AcceptedTransferSyntaxes and *TransferSyntaxAccepted)", () => {
  it("Orthanc's default pattern 1.2.840.10008.1.* accepts every storage syntax, in preference order", () => {
    assert.deepEqual(acceptedTransferSyntaxes(["1.2.840.10008.1.*"]), [...STORAGE_TRANSFER_SYNTAXES]);
  });

  it("matches whole UIDs only, with * and ? as wildcards", () => {
    assert.deepEqual(acceptedTransferSyntaxes(["1.2.840.10008.1.2"]), ["1.2.840.10008.1.2"]);
    assert.deepEqual(acceptedTransferSyntaxes(["1.2.840.10008.1.2.4.9?"]), [
      "1.2.840.10008.1.2.4.90",
      "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.4.92",
      "1.2.840.10008.1.2.4.93",
      "1.2.840.10008.1.2.4.94",
      "1.2.840.10008.1.2.4.95",
    ]);
    // "." is a literal dot, "?" any one character.
    assert.deepEqual(acceptedTransferSyntaxes(["1.2.840.10008.1.2.1"]), ["1.2.840.10008.1.2.1"]);
    assert.deepEqual(acceptedTransferSyntaxes(["1?2?840?10008?1?2?1"]), ["1.2.840.10008.1.2.1"]);
    assert.deepEqual(acceptedTransferSyntaxes([]), []);
  });

  it("a legacy switch set to false removes its group, true adds it, unset changes nothing", () => {
    const noJpeg = acceptedTransferSyntaxes(["1.2.840.10008.1.*"], { JpegTransferSyntaxAccepted: false, RleTransferSyntaxAccepted: null });
    assert.ok(!noJpeg.includes("1.2.840.10008.1.2.4.50"));
    assert.ok(!noJpeg.includes("1.2.840.10008.1.2.4.70"));
    assert.ok(noJpeg.includes("1.2.840.10008.1.2.4.80")); // JPEG-LS is Orthanc's "JpegLossless" group
    assert.ok(noJpeg.includes("1.2.840.10008.1.2.5"));
    assert.equal(noJpeg.length, STORAGE_TRANSFER_SYNTAXES.length - ORTHANC_TRANSFER_SYNTAX_GROUPS.JpegTransferSyntaxAccepted.length);

    const plusRle = acceptedTransferSyntaxes(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"], { RleTransferSyntaxAccepted: true });
    assert.deepEqual(plusRle, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.5"]);
  });
});
