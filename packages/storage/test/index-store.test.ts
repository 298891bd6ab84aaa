/**
 * The hierarchy behind IndexStore: levels and computed attributes kept in step on insert, replace and removal, find()
 * with SQL pre-filters and the caller's exact test, streamed in pages while the C-STORE path writes, instances() for a
 * retrieve, instance(), count().
 */
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { datasetChunks, makeDataset, resolveSpec, tempDir, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import { MAIN_TAGS, parseDatasetHeader } from "@dicomtls/pdu-codec";
import { MAIN_TAG_KEYWORDS } from "../src/main-tags.js";
import { FileSystemInstanceStore, QueryLevel, type IndexQuery, type IndexRecord, type IndexStore } from "../src/index.js";

const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const dirs: Array<{ remove: () => void }> = [];
after(() => dirs.forEach((d) => d.remove()));

function newFolder(): string {
  const d = tempDir("storage-index-");
  dirs.push(d);
  return join(d.path, "store");
}

const open = (folder: string, overwriteInstances = false): Promise<FileSystemInstanceStore> =>
  FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, readIdentifiers: parseDatasetHeader, overwriteInstances, sync: false });

async function put(s: FileSystemInstanceStore, spec: SyntheticDatasetSpec): Promise<string> {
  const r = resolveSpec(spec);
  const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "MODALITY" });
  for (const chunk of datasetChunks(spec, 65_536)) await w.write(chunk);
  await w.commit(parseDatasetHeader(makeDataset(spec).subarray(0, 8192), r.transferSyntax));
  return r.sopInstanceUid;
}

async function all(q: IndexQuery, idx: IndexStore): Promise<IndexRecord[]> {
  const out: IndexRecord[] = [];
  for await (const r of idx.find(q)) out.push(r);
  return out;
}

const attr = (records: IndexRecord[], keyword: string): string[] => records.map((r) => r.attributes[keyword] ?? "");
const sorted = (xs: string[]): string[] => [...xs].sort();

const S1 = "1.2.826.0.1.3680043.9.7433.99.1";
const S2 = "1.2.826.0.1.3680043.9.7433.99.2";
const S3 = "1.2.826.0.1.3680043.9.7433.99.3";
const SE = (n: number): string => `1.2.826.0.1.3680043.9.7433.99.10.${n}`;
/** P1: study S1 (series 1 CT x2, series 2 MR x1), study S2 (series 3 CT x1); P2 (lower-case name): S3 (series 4 OT x1). */
const FIXTURE: SyntheticDatasetSpec[] = [
  { seed: 11, patientId: "P1", patientName: "DOE^JOHN", studyInstanceUid: S1, seriesInstanceUid: SE(1), modality: "CT", studyDate: "20200115", accessionNumber: "ACC1" },
  { seed: 12, patientId: "P1", patientName: "DOE^JOHN", studyInstanceUid: S1, seriesInstanceUid: SE(1), modality: "CT", studyDate: "20200115", accessionNumber: "ACC1" },
  { seed: 13, patientId: "P1", patientName: "DOE^JOHN", studyInstanceUid: S1, seriesInstanceUid: SE(2), modality: "MR", studyDate: "20200115", accessionNumber: "ACC1", sopClassUid: MR },
  { seed: 14, patientId: "P1", patientName: "DOE^JOHN", studyInstanceUid: S2, seriesInstanceUid: SE(3), modality: "CT", studyDate: "20210620", accessionNumber: "ACC2" },
  { seed: 15, patientId: "P2", patientName: "doe^jane", studyInstanceUid: S3, seriesInstanceUid: SE(4), modality: "OT", studyDate: "19991231", accessionNumber: "ACC3" },
];

describe("IndexStore over the hierarchy", () => {
  let folder: string;
  let store: FileSystemInstanceStore;
  let idx: IndexStore;
  const uids: string[] = [];
  before(async () => {
    folder = newFolder();
    store = await open(folder);
    idx = store.queryIndex();
    for (const spec of FIXTURE) uids.push(await put(store, spec));
  });
  after(() => store.close());

  it("counts each level", async () => {
    assert.deepEqual(
      [await idx.count(QueryLevel.Patient), await idx.count(QueryLevel.Study), await idx.count(QueryLevel.Series), await idx.count(QueryLevel.Image)],
      [2, 3, 4, 5],
    );
  });

  it("patients carry their computed counts", async () => {
    const patients = await all({ level: QueryLevel.Patient }, idx);
    assert.deepEqual(
      patients.map((p) => [p.attributes["PatientID"], p.attributes["NumberOfPatientRelatedStudies"], p.attributes["NumberOfPatientRelatedSeries"], p.attributes["NumberOfPatientRelatedInstances"]]),
      [["P1", "2", "3", "4"], ["P2", "1", "1", "1"]],
    );
    assert.ok(uids.includes(patients[0]!.sampleSopInstanceUid));
  });

  it("studies hold their patient's attributes, ModalitiesInStudy, SOPClassesInStudy and counts", async () => {
    const [s1] = await all({ level: QueryLevel.Study, conditions: [{ keyword: "StudyInstanceUID", anyOf: [S1] }] }, idx);
    assert.ok(s1);
    assert.equal(s1.attributes["PatientName"], "DOE^JOHN");
    assert.equal(s1.attributes["AccessionNumber"], "ACC1");
    assert.equal(s1.attributes["ModalitiesInStudy"], "CT\\MR");
    assert.deepEqual(sorted(s1.attributes["SOPClassesInStudy"]!.split("\\")), sorted([resolveSpec({}).sopClassUid, MR]));
    assert.equal(s1.attributes["NumberOfStudyRelatedSeries"], "2");
    assert.equal(s1.attributes["NumberOfStudyRelatedInstances"], "3");
    assert.equal(s1.attributes["Modality"], undefined, "no series attribute at study level");
  });

  it("conditions: UID list, case-insensitive name prefix, date range, ModalitiesInStudy, then accept", async () => {
    const study = (conditions: IndexQuery["conditions"], accept?: (r: IndexRecord) => boolean) =>
      all({ level: QueryLevel.Study, ...(conditions && { conditions }), ...(accept && { accept }) }, idx).then((r) => sorted(attr(r, "StudyInstanceUID")));
    assert.deepEqual(await study([{ keyword: "StudyInstanceUID", anyOf: [S1, S3] }]), [S1, S3]);
    assert.deepEqual(await study([{ keyword: "PatientName", prefix: "doe^j", caseInsensitive: true }]), [S1, S2, S3]);
    assert.deepEqual(await study([{ keyword: "PatientName", prefix: "doe^j" }]), [S3], "case-sensitive without the flag");
    assert.deepEqual(await study([{ keyword: "StudyDate", from: "20200115", to: "20210620" }]), [S1, S2]);
    assert.deepEqual(await study([{ keyword: "StudyDate", to: "20200115" }]), [S1, S3]);
    assert.deepEqual(await study([{ keyword: "ModalitiesInStudy", anyOf: ["MR", "OT"] }]), [S1, S3]);
    assert.deepEqual(await study([{ keyword: "PatientID", anyOf: ["P1"] }], (r) => r.attributes["AccessionNumber"] === "ACC2"), [S2]);
    assert.deepEqual(await study([{ keyword: "PatientID", anyOf: [] }]), [], "an empty list selects none");
    // Not held by the index at this level: left to accept (a superset), never an error.
    assert.deepEqual(await study([{ keyword: "PatientComments", anyOf: ["x"] }]), [S1, S2, S3]);
  });

  it("series and image levels hold the levels above", async () => {
    const series = await all({ level: QueryLevel.Series, conditions: [{ keyword: "Modality", anyOf: ["CT"] }] }, idx);
    assert.deepEqual(sorted(attr(series, "SeriesInstanceUID")), [SE(1), SE(3)]);
    assert.deepEqual(series.map((s) => s.attributes["NumberOfSeriesRelatedInstances"]), ["2", "1"]);
    assert.equal(series[0]!.attributes["StudyInstanceUID"], S1);
    const images = await all({ level: QueryLevel.Image, conditions: [{ keyword: "SeriesInstanceUID", anyOf: [SE(1)] }] }, idx);
    assert.deepEqual(sorted(attr(images, "SOPInstanceUID")), sorted(uids.slice(0, 2)));
    assert.deepEqual(images.map((i) => i.sampleSopInstanceUid), attr(images, "SOPInstanceUID"));
    assert.equal(images[0]!.attributes["PatientID"], "P1");
  });

  it("the header's main tags reach their level", async () => {
    const [image] = await all({ level: QueryLevel.Image, conditions: [{ keyword: "SOPInstanceUID", anyOf: [uids[4]!] }] }, idx);
    assert.ok(image);
    const a = image.attributes;
    // Patient, study, series and instance attributes of the synthetic header (tooling/test-peers dicom-files.ts).
    assert.deepEqual(
      [a["PatientBirthDate"], a["PatientSex"], a["StudyTime"], a["StudyID"], a["Manufacturer"], a["SeriesNumber"], a["InstanceNumber"], a["ImagePositionPatient"]],
      ["19700101", "O", "101010", "S15", "dicomtls synthetic", "1", "15", "-100\\-100\\0"],
    );
    assert.equal(a["SOPClassUID"], resolveSpec({}).sopClassUid);
  });

  it("the header parse and the index agree on the main tags", () => {
    assert.deepEqual([...new Set(MAIN_TAGS.map(([, k]) => k))].sort(), [...MAIN_TAG_KEYWORDS].sort());
  });

  it("limit and signal end the stream", async () => {
    assert.equal((await all({ level: QueryLevel.Image, limit: 2 }, idx)).length, 2);
    const ac = new AbortController();
    const seen: IndexRecord[] = [];
    for await (const r of idx.find({ level: QueryLevel.Image, signal: ac.signal })) {
      seen.push(r);
      ac.abort();
    }
    assert.equal(seen.length, 1);
  });

  it("instances() of a retrieve and instance() of a commitment", async () => {
    const got = [];
    for await (const i of idx.instances({ level: QueryLevel.Study, studyInstanceUids: [S1] })) got.push(i);
    assert.deepEqual(sorted(got.map((i) => i.sopInstanceUid)), sorted(uids.slice(0, 3)));
    assert.ok(got.every((i) => existsSync(i.path)));
    const bySeries = [];
    for await (const i of idx.instances({ level: QueryLevel.Series, patientIds: ["P1"], seriesInstanceUids: [SE(2), SE(4)] })) bySeries.push(i.sopInstanceUid);
    assert.deepEqual(bySeries, [uids[2]], "P2's series is not under P1");
    const one = await idx.instance(uids[2]!);
    assert.equal(one?.sopClassUid, MR);
    assert.equal(await idx.instance("1.2.3.999"), undefined);
  });
});

describe("the hierarchy follows removals and replacements", () => {
  it("a row removed (its file gone) takes empty levels with it and recomputes the study's sets", async () => {
    const folder = newFolder();
    let s = await open(folder);
    const uids: string[] = [];
    for (const spec of FIXTURE) uids.push(await put(s, spec));
    await s.close();
    // The MR instance and P2's only instance lose their files: recovery removes their rows.
    for (const uid of [uids[2]!, uids[4]!]) rmSync(join(folder, ...(await openRow(folder, uid)).split("/")));
    s = await open(folder);
    assert.equal(s.recovery.removedRows.length, 2);
    const idx = s.queryIndex();
    assert.deepEqual([await idx.count(QueryLevel.Patient), await idx.count(QueryLevel.Study), await idx.count(QueryLevel.Series), await idx.count(QueryLevel.Image)], [1, 2, 2, 3]);
    const [s1] = await all({ level: QueryLevel.Study, conditions: [{ keyword: "StudyInstanceUID", anyOf: [S1] }] }, idx);
    assert.equal(s1?.attributes["ModalitiesInStudy"], "CT");
    assert.equal(s1?.attributes["SOPClassesInStudy"], resolveSpec({}).sopClassUid);
    assert.equal(s1?.attributes["NumberOfStudyRelatedSeries"], "1");
    const [p1] = await all({ level: QueryLevel.Patient }, idx);
    assert.deepEqual([p1?.attributes["NumberOfPatientRelatedStudies"], p1?.attributes["NumberOfPatientRelatedSeries"], p1?.attributes["NumberOfPatientRelatedInstances"]], ["2", "2", "3"]);
    await s.close();
  });

  it("an instance received again with overwriting on moves to its new series", async () => {
    const folder = newFolder();
    const s = await open(folder, true);
    const idx = s.queryIndex();
    const spec = FIXTURE[0]!;
    await put(s, spec);
    await put(s, { ...spec, seriesInstanceUid: SE(9), modality: "MR" });
    const series = await all({ level: QueryLevel.Series }, idx);
    assert.deepEqual(attr(series, "SeriesInstanceUID"), [SE(9)], "the emptied series is gone");
    const [study] = await all({ level: QueryLevel.Study }, idx);
    assert.deepEqual([study?.attributes["ModalitiesInStudy"], study?.attributes["NumberOfStudyRelatedInstances"]], ["MR", "1"]);
    await s.close();
  });
});

describe("find streams in pages", () => {
  it("a wide match is read a page at a time while the C-STORE path writes between pages", async () => {
    const folder = newFolder();
    const s = await open(folder);
    const n = 1_600;
    const row = (k: number) => ({
      sopInstanceUid: `1.2.826.0.1.3680043.9.7433.98.${k}`,
      sopClassUid: resolveSpec({}).sopClassUid,
      transferSyntaxUid: "1.2.840.10008.1.2.1",
      relativePath: `00/1.2.826.0.1.3680043.9.7433.98.${k}.dcm`,
      size: 1,
      receivedAt: new Date(0).toISOString(),
      patientId: "BULK",
      studyInstanceUid: S1,
      seriesInstanceUid: SE(1),
    });
    // The index alone (no files): this is about the queries, not the files.
    s.index.upsertMany(Array.from({ length: n }, (_, k) => row(k)));
    const seen: string[] = [];
    let written = 0;
    for await (const r of s.queryIndex().find({ level: QueryLevel.Image, accept: (r) => r.attributes["PatientID"] === "BULK" })) {
      seen.push(r.attributes["SOPInstanceUID"]!);
      // A write on the same connection while the query is in the middle: never "the connection is busy".
      if (seen.length % 400 === 0) s.index.upsert(row(n + written++));
    }
    assert.ok(seen.length >= n, `${seen.length} of at least ${n}`);
    assert.equal(new Set(seen).size, seen.length, "no record twice");
    assert.equal(seen[0], row(0).sopInstanceUid);
    await s.close();
  });
});

/** The relative path of a stored instance, from a store opened for that only. */
async function openRow(folder: string, uid: string): Promise<string> {
  const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: IMPLEMENTATION_CLASS_UID, recover: false });
  try {
    return (await s.get(uid))!.relativePath;
  } finally {
    await s.close();
  }
}
