/**
 * C-FIND SCP against DCMTK findscu over DICOM TLS: the cases of query-retrieve-facts §9 as one table (query, model,
 * level, expected studies or status), on the §9 fixture (studies A-F, 306 instances) loaded with storescu +tls.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { requirePeers } from "./helpers.js";
import { writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";
import { FIXTURE, findscuTls, fixtureInstances, loadStore, parseFindscu, seriesUid, storeFolder, studyUid, writeFixture, type FindscuOutcome } from "./find-support.js";

type Letter = keyof typeof FIXTURE;
const uidOf = (l: Letter): string => studyUid(FIXTURE[l].n);
const letterOf = new Map((Object.keys(FIXTURE) as Letter[]).map((l) => [uidOf(l), l]));

interface Row {
  /** The §9 case number and what it checks. */
  readonly name: string;
  readonly model: "-S" | "-P";
  /** findscu -k arguments (QueryRetrieveLevel included or not, as the case needs). */
  readonly keys: readonly string[];
  /** The studies answered (by letter, any order), or the final status when it is no Success. */
  readonly expect: { readonly studies: readonly Letter[] } | { readonly failed: RegExp } | { readonly count: number };
  /** Further checks on the answers. */
  readonly check?: (o: FindscuOutcome) => void;
}

const STUDY = "QueryRetrieveLevel=STUDY";
const RETURN_UID = "StudyInstanceUID";

const ROWS: readonly Row[] = [
  { name: "#1 PN is matched without regard to case (CaseSensitivePN false)", model: "-S", keys: [STUDY, RETURN_UID, "PatientName=doe^john"], expect: { studies: ["A", "B"] } },
  { name: "#2 LO is case-sensitive", model: "-S", keys: [STUDY, RETURN_UID, "PatientID=pat001"], expect: { studies: [] } },
  { name: "#3 '?' is one character on LO", model: "-S", keys: [STUDY, RETURN_UID, "PatientID=PAT00?"], expect: { studies: ["A", "B", "D", "E", "F"] } },
  {
    name: "#4a ISO_IR 192 query: case folded, accents kept",
    model: "-S",
    keys: [STUDY, RETURN_UID, "SpecificCharacterSet=ISO_IR 192", "PatientName=DUPONT^ÉMILIE"],
    expect: { studies: ["C"] },
    check: (o) => assert.equal(o.answers[0]?.["SpecificCharacterSet"], "ISO_IR 192"),
  },
  { name: "#4b accents are not removed", model: "-S", keys: [STUDY, RETURN_UID, "SpecificCharacterSet=ISO_IR 192", "PatientName=dupont^emilie"], expect: { studies: [] } },
  { name: "#5 a wildcard on UI is refused, never 'all studies'", model: "-S", keys: [STUDY, `StudyInstanceUID=1.2.826.*`], expect: { failed: /^Failed/ } },
  { name: "#6 UID list", model: "-S", keys: [STUDY, `StudyInstanceUID=${uidOf("A")}\\${uidOf("C")}`], expect: { studies: ["A", "C"] } },
  { name: "#7a closed date range, inclusive; E's empty date matches (C.3.2)", model: "-S", keys: [STUDY, RETURN_UID, "StudyDate=20200115-20210620"], expect: { studies: ["A", "B", "E"] } },
  { name: "#7b open-ended range", model: "-S", keys: [STUDY, RETURN_UID, "StudyDate=20200116-"], expect: { studies: ["B", "C", "E"] } },
  { name: "#7c open-started range", model: "-S", keys: [STUDY, RETURN_UID, "StudyDate=-20200115"], expect: { studies: ["A", "D", "E", "F"] } },
  { name: "#8 times by meaning: -1015 includes 101500", model: "-S", keys: [STUDY, RETURN_UID, "StudyTime=-1015"], expect: { studies: ["A", "C", "E"] } },
  { name: "#9 '*' on DA is refused", model: "-S", keys: [STUDY, RETURN_UID, "StudyDate=*"], expect: { failed: /^Failed/ } },
  { name: "#10 a zero-length stored date matches a range", model: "-S", keys: [STUDY, RETURN_UID, "StudyDate=20200101-20201231", "PatientID=PAT005"], expect: { studies: ["E"] } },
  {
    name: "#11 universal keys: every study, StudyDate as stored (E zero-length), PatientComments zero-length",
    model: "-S",
    keys: [STUDY, RETURN_UID, "StudyDate", "PatientComments"],
    expect: { studies: ["A", "B", "C", "D", "E", "F"] },
    check: (o) => {
      for (const a of o.answers) {
        assert.equal(a["PatientComments"], "", JSON.stringify(a));
        const l = letterOf.get(a[RETURN_UID] ?? "")!;
        assert.equal(a["StudyDate"], FIXTURE[l].studyDate, JSON.stringify(a));
      }
    },
  },
  {
    name: "#12 answer shape: the requested keys, the level, Retrieve AE Title; final Success without a data set",
    model: "-S",
    keys: [STUDY, RETURN_UID, "PatientID=PAT001", "AccessionNumber", "StudyDescription"],
    expect: { studies: ["A", "B"] },
    check: (o) => {
      for (const a of o.answers) assert.deepEqual(Object.keys(a).sort(), ["AccessionNumber", "PatientID", "QueryRetrieveLevel", "RetrieveAETitle", "StudyDescription", "StudyInstanceUID"]);
      const a = o.answers.find((x) => x[RETURN_UID] === uidOf("A"))!;
      assert.equal(a["RetrieveAETitle"], "DICOMTLS");
      assert.equal(a["AccessionNumber"], "ACC001");
      assert.equal(a["StudyDescription"], "Study 1", "read from the stored file (StorageAccessOnFind Always)");
      assert.doesNotMatch(o.output, /DataSetType/);
    },
  },
  { name: "#13 PATIENT under Study Root is refused (A900)", model: "-S", keys: ["QueryRetrieveLevel=PATIENT", "PatientID"], expect: { failed: /DoesNotMatchSOPClass/ } },
  { name: "#14a no (0008,0052)", model: "-S", keys: [RETURN_UID], expect: { failed: /^Failed/ } },
  { name: "#14b unknown level", model: "-S", keys: ["QueryRetrieveLevel=FOO", RETURN_UID], expect: { failed: /^Failed/ } },
  ...(["IMAGE", "INSTANCE", "image"] as const).map(
    (level): Row => ({
      name: `#15 ${level}: every instance, the level echoed`,
      model: "-S",
      keys: [`QueryRetrieveLevel=${level}`, "SOPInstanceUID"],
      expect: { count: 306 },
      check: (o) => assert.ok(o.answers.every((a) => a["QueryRetrieveLevel"] === level)),
    }),
  ),
  { name: "#16a a series key at STUDY level matches nothing", model: "-S", keys: [STUDY, RETURN_UID, "Modality=CT"], expect: { studies: [] } },
  { name: "#16b ModalitiesInStudy list", model: "-S", keys: [STUDY, RETURN_UID, "ModalitiesInStudy=MR\\OT"], expect: { studies: ["B", "D"] } },
  { name: "#16c ModalitiesInStudy wildcard", model: "-S", keys: [STUDY, RETURN_UID, "ModalitiesInStudy=C*"], expect: { studies: ["A", "C", "E", "F"] } },
  {
    name: "#17 hierarchical IMAGE query: both upper UIDs echoed",
    model: "-S",
    keys: ["QueryRetrieveLevel=IMAGE", `StudyInstanceUID=${uidOf("A")}`, `SeriesInstanceUID=${seriesUid(FIXTURE.A.n)}`, "SOPInstanceUID"],
    expect: { studies: ["A", "A"] },
    check: (o) => assert.ok(o.answers.every((a) => a["SeriesInstanceUID"] === seriesUid(FIXTURE.A.n) && a["SOPInstanceUID"] !== "")),
  },
  {
    name: "Patient Root PATIENT level: one patient with its computed counts",
    model: "-P",
    keys: ["QueryRetrieveLevel=PATIENT", "PatientID=PAT001", "PatientName", "NumberOfPatientRelatedStudies", "NumberOfPatientRelatedInstances"],
    expect: { count: 1 },
    check: (o) => {
      assert.equal(o.answers[0]?.["PatientName"], "Doe^John");
      assert.equal(o.answers[0]?.["NumberOfPatientRelatedStudies"], "2");
      assert.equal(o.answers[0]?.["NumberOfPatientRelatedInstances"], "3");
    },
  },
  {
    name: "Patient Root SERIES level under a patient and study",
    model: "-P",
    keys: ["QueryRetrieveLevel=SERIES", "PatientID=PAT001", `StudyInstanceUID=${uidOf("B")}`, "SeriesInstanceUID", "Modality", "NumberOfSeriesRelatedInstances"],
    expect: { count: 1 },
    check: (o) => {
      assert.equal(o.answers[0]?.["Modality"], "MR");
      assert.equal(o.answers[0]?.["NumberOfSeriesRelatedInstances"], "1");
    },
  },
];

describe("findscu +tls against dicomtls: query-retrieve-facts §9", () => {
  const tmp = tempDir("dicomtls-find-");
  let files: NodeFiles;
  let server: StartedServer;

  before(async () => {
    requirePeers("findscu", "storescu");
    files = await writePki(tmp.path);
    const { path } = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), { DicomAlwaysAllowFind: true });
    server = await startServer(path);
    writeFixture(join(tmp.path, "fixture"));
    await storeFolder(files, server.port, join(tmp.path, "fixture"));
  });

  after(async () => {
    await stopAll();
    tmp.remove();
  });

  it(`every row of the table (${ROWS.length} rows) answers as expected`, async () => {
    const failures: string[] = [];
    for (const row of ROWS) {
      const r = await findscuTls(files, server.port, row.model, row.keys.flatMap((k) => ["-k", k]));
      const o = parseFindscu(r.output);
      try {
        if ("failed" in row.expect) {
          assert.equal(o.answers.length, 0, "no Pending before a failure");
          assert.match(o.final ?? "", row.expect.failed);
        } else {
          assert.equal(o.final, "Success");
          if ("count" in row.expect) assert.equal(o.answers.length, row.expect.count);
          else assert.deepEqual(o.answers.map((a) => letterOf.get(a[RETURN_UID] ?? "") ?? a[RETURN_UID]).sort(), [...row.expect.studies].sort());
        }
        row.check?.(o);
      } catch (err) {
        failures.push(`${row.name}: ${(err as Error).message}\n${r.output.slice(-1500)}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });

  it("#19 findscu --cancel after 2 answers on a 300-match query: final Cancel without a data set, fewer answers", async () => {
    const r = await findscuTls(files, server.port, "-S", ["--cancel", "2", "-k", "QueryRetrieveLevel=IMAGE", "-k", `StudyInstanceUID=${uidOf("F")}`, "-k", "SOPInstanceUID"]);
    const o = parseFindscu(r.output);
    assert.match(o.final ?? "", /^Cancel/, r.output.slice(-2000));
    assert.ok(o.answers.length >= 2 && o.answers.length < 300, `${o.answers.length} answers`);
    assert.doesNotMatch(r.output, /DataSetType/, "the Cancel response carries no data set");
  });

  it("#18 LimitFindResults 2 / LimitFindInstances 5: that many answers, then Success (Orthanc >= 1.12.11)", async () => {
    const storage = join(tmp.path, "limited");
    await loadStore(storage, fixtureInstances());
    const { path } = await writeNodeConfig(tmp.path, "limited.json", files, storage, { DicomAlwaysAllowFind: true, LimitFindResults: 2, LimitFindInstances: 5 });
    const limited = await startServer(path);
    const studies = parseFindscu((await findscuTls(files, limited.port, "-S", ["-k", STUDY, "-k", RETURN_UID])).output);
    assert.equal(studies.answers.length, 2);
    assert.equal(studies.final, "Success");
    const images = parseFindscu((await findscuTls(files, limited.port, "-S", ["-k", "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID"])).output);
    assert.equal(images.answers.length, 5);
    assert.equal(images.final, "Success");
    await limited.stop();
  });
});
