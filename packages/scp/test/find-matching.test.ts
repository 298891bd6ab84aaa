import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FindQueryError, MatchKind, matchesAll, parseConstraint, type KeyConstraint } from "@dicomtls/scp";

/**
 * The study fixture of the Query/Retrieve test cases (A..F: patient, study date/time, modalities), held as stored
 * values by keyword. The cases below are the matching rows of that table (numbers in the names); the rows about
 * responses, levels, limits and retrieval belong to the C-FIND/C-MOVE service tests.
 */
const STUDIES: Record<string, Record<string, string[]>> = {
  A: { PatientID: ["PAT001"], PatientName: ["Doe^John"], StudyInstanceUID: ["1.2.3.1"], StudyDate: ["20200115"], StudyTime: ["101500"], ModalitiesInStudy: ["CT"] },
  B: { PatientID: ["PAT001"], PatientName: ["Doe^John"], StudyInstanceUID: ["1.2.3.2"], StudyDate: ["20210620"], StudyTime: ["235959"], ModalitiesInStudy: ["MR"] },
  C: { PatientID: ["pat002"], PatientName: ["Dupont^Émilie"], StudyInstanceUID: ["1.2.3.3"], StudyDate: ["20220301"], StudyTime: ["080000"], ModalitiesInStudy: ["CT"] },
  D: { PatientID: ["PAT003"], PatientName: ["doe^jane"], StudyInstanceUID: ["1.2.3.4"], StudyDate: ["19991231"], StudyTime: ["120000"], ModalitiesInStudy: ["OT"] },
  E: { PatientID: ["PAT005"], PatientName: ["Roe^Ann"], StudyInstanceUID: ["1.2.3.5"], StudyDate: [""], StudyTime: ["101500"], ModalitiesInStudy: ["CT"] },
  F: { PatientID: ["PAT009"], PatientName: ["Bulk^Test"], StudyInstanceUID: ["1.2.3.9"], StudyDate: ["20000101"], StudyTime: ["130000"], ModalitiesInStudy: ["CT"] },
};

const VR: Record<string, string> = {
  PatientID: "LO", PatientName: "PN", StudyInstanceUID: "UI", StudyDate: "DA", StudyTime: "TM", ModalitiesInStudy: "CS",
};

function find(query: Record<string, string>, caseSensitivePN = false): string[] {
  const constraints: KeyConstraint[] = Object.entries(query).map(([k, v]) => parseConstraint(k, VR[k]!, v, { caseSensitivePN }));
  return Object.keys(STUDIES).filter((id) => matchesAll(constraints, (k) => STUDIES[id]![k]));
}

describe("C-FIND matching (PS3.4 C.2.2.2) on the Query/Retrieve fixture", () => {
  const rows: Array<{ name: string; query: Record<string, string>; caseSensitivePN?: boolean; expected: string[] }> = [
    { name: "#1 PN without regard to case", query: { PatientName: "doe^john" }, expected: ["A", "B"] },
    { name: "#1 PN with CaseSensitivePN", query: { PatientName: "doe^john" }, caseSensitivePN: true, expected: [] },
    { name: "#2 LO is case-sensitive", query: { PatientID: "pat001" }, expected: [] },
    { name: "#3 '?' is one character on LO", query: { PatientID: "PAT00?" }, expected: ["A", "B", "D", "E", "F"] },
    { name: "#4 accented letters fold in case", query: { PatientName: "DUPONT^ÉMILIE" }, expected: ["C"] },
    { name: "#4 accents are not removed", query: { PatientName: "dupont^emilie" }, expected: [] },
    { name: "#6 list of UIDs", query: { StudyInstanceUID: "1.2.3.1\\1.2.3.3" }, expected: ["A", "C"] },
    { name: "#7 closed date range, inclusive; empty date matches (C.3.2)", query: { StudyDate: "20200115-20210620" }, expected: ["A", "B", "E"] },
    { name: "#7 open-ended date range", query: { StudyDate: "20200116-" }, expected: ["B", "C", "E"] },
    { name: "#7 date range up to", query: { StudyDate: "-20200115" }, expected: ["A", "D", "E", "F"] },
    { name: "#8 time range by meaning: 1015 is 101500", query: { StudyTime: "-1015" }, expected: ["A", "C", "E"] },
    { name: "#10 zero-length stored key matches a range", query: { StudyDate: "20200101-20201231", PatientID: "PAT005" }, expected: ["E"] },
    { name: "#11 zero-length keys are universal", query: { StudyDate: "", PatientID: "" }, expected: ["A", "B", "C", "D", "E", "F"] },
    { name: "#16 list on a CS key", query: { ModalitiesInStudy: "MR\\OT" }, expected: ["B", "D"] },
    { name: "#16 wildcard on a CS key", query: { ModalitiesInStudy: "C*" }, expected: ["A", "C", "E", "F"] },
    { name: "a lone '*' on a wildcard VR is universal", query: { PatientName: "*" }, expected: ["A", "B", "C", "D", "E", "F"] },
    { name: "time single value by meaning", query: { StudyTime: "1015" }, expected: ["A", "E"] },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(find(row.query, row.caseSensitivePN), row.expected));
  }

  it("#5 and #9: a wildcard on UI or DA is refused naming the key, never matched as everything", () => {
    assert.throws(() => find({ StudyInstanceUID: "1.2.826.*" }), (e: unknown) => e instanceof FindQueryError && e.keyword === "StudyInstanceUID" && /VR UI/.test(e.message));
    assert.throws(() => find({ StudyDate: "*" }), (e: unknown) => e instanceof FindQueryError && e.keyword === "StudyDate");
  });

  it("an unparsable date is refused naming the key", () => {
    assert.throws(() => parseConstraint("StudyDate", "DA", "2020-13"), FindQueryError);
    assert.throws(() => parseConstraint("StudyTime", "TM", "25"), /StudyTime/);
  });
});

describe("match kinds and value forms", () => {
  it("classifies each form", () => {
    assert.equal(parseConstraint("PatientName", "PN", "").kind, MatchKind.Universal);
    assert.equal(parseConstraint("PatientName", "PN", "DOE*").kind, MatchKind.Wildcard);
    assert.equal(parseConstraint("PatientName", "PN", "DOE").kind, MatchKind.SingleValue);
    assert.throws(() => parseConstraint("StudyDate", "DA", "2020-"), /StudyDate/, "2020 is no DA");
    assert.equal(parseConstraint("StudyDate", "DA", "20200101-").kind, MatchKind.Range);
    assert.equal(parseConstraint("StudyInstanceUID", "UI", "1.2\\1.3").kind, MatchKind.List);
  });

  it("DT ranges take the UTC offset into account; a '-' is a range unless only an offset reading parses", () => {
    const c = parseConstraint("AcquisitionDateTime", "DT", "20200101120000+0100-20200101130000+0100");
    assert.equal(c.kind, MatchKind.Range);
    assert.equal(c.matches(["20200101110000+0000"]), true, "11:00 UTC is 12:00 at +0100");
    assert.equal(c.matches(["20200101103000+0000"]), false);
    // PS3.4 C.2.2.2.5: in a DT key '-' means a range, so "...080000-0500" is the range from 08:00 to the year 0500.
    assert.equal(parseConstraint("AcquisitionDateTime", "DT", "20200101080000-0500").matches(["20200101130000+0000"]), false);
    const negative = parseConstraint("AcquisitionDateTime", "DT", "20200101080000-0500-20200101090000-0500");
    assert.equal(negative.kind, MatchKind.Range);
    assert.equal(negative.matches(["20200101133000+0000"]), true, "13:30 UTC is 08:30 at -0500");
    assert.equal(negative.matches(["20200101090000"]), false, "09:00 without an offset is before 13:00 UTC");
  });

  it("ACR-NEMA date and time forms, and trailing padding, compare by meaning", () => {
    assert.equal(parseConstraint("StudyDate", "DA", "20200115").matches(["2020.01.15"]), true);
    assert.equal(parseConstraint("StudyTime", "TM", "10:15").matches(["101500.000"]), true);
    assert.equal(parseConstraint("PatientID", "LO", "PAT001 ").matches(["PAT001"]), true);
    assert.equal(parseConstraint("SOPInstanceUID", "UI", "1.2.3\0").matches(["1.2.3"]), true);
  });

  it("regular-expression characters in a value are literal", () => {
    assert.equal(parseConstraint("StudyDescription", "LO", "CT (head)*").matches(["CT (head) with contrast"]), true);
    assert.equal(parseConstraint("StudyDescription", "LO", "a.b").matches(["axb"]), false);
  });
});
