/**
 * Orthanc 1.10.1 as the C-FIND SCU: its REST `POST /modalities/{id}/query` reaches dicomtls over DICOM TLS
 * (`UseDicomTls: true`) and gets the §9 fixture's answers (query-retrieve-facts §9, loaded through the store API).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, startServer, stopAll, tempDir, type StartedOrthanc, type StartedServer } from "@dicomtls/test-peers";
import { writeNodeConfig, writePki, type NodeFiles, startOrthancOverTls } from "./store-support.js";
import { FIXTURE, fixtureInstances, loadStore, seriesUid, studyUid } from "./find-support.js";

const tmp = tempDir("dicomtls-find-orthanc-");
after(async () => {
  await stopAll();
  tmp.remove();
});

type Answer = Record<string, string>;

describe("Orthanc REST /modalities/{id}/query -> dicomtls over DICOM TLS", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let orthanc: StartedOrthanc;

  /** Orthanc's query, then each answer's content (simplified: keyword -> value). */
  async function query(level: string, keys: Record<string, string>): Promise<Answer[]> {
    const q = (await orthanc.restOk("POST", "/modalities/dicomtls/query", { Level: level, Query: keys })) as { ID: string };
    const indices = (await orthanc.restOk("GET", `/queries/${q.ID}/answers`)) as string[];
    const out: Answer[] = [];
    for (const i of indices) out.push((await orthanc.restOk("GET", `/queries/${q.ID}/answers/${i}/content?simplify`)) as Answer);
    return out;
  }

  before(async () => {
    files = await writePki(tmp.path);
    const storage = join(tmp.path, "storage");
    await loadStore(storage, fixtureInstances());
    const orthancPort = await freePort();
    const node = await writeNodeConfig(tmp.path, "node.json", files, storage, {
      DicomModalities: { orthanc: { AET: "ORTHANC", Host: "127.0.0.1", Port: orthancPort, UseDicomTls: true } },
    });
    server = await startServer(node.path);
    orthanc = await startOrthancOverTls(tmp.path, files, server.port, { dicomPort: orthancPort });
  });

  it("a STUDY query with a PN wildcard: the studies of Doe^John and doe^jane, with their values", async () => {
    const answers = await query("Study", { PatientName: "DOE*", StudyInstanceUID: "", StudyDate: "", AccessionNumber: "" });
    assert.deepEqual(answers.map((a) => a["StudyInstanceUID"]).sort(), [studyUid(FIXTURE.A.n), studyUid(FIXTURE.B.n), studyUid(FIXTURE.D.n)].sort());
    const a = answers.find((x) => x["StudyInstanceUID"] === studyUid(FIXTURE.A.n))!;
    assert.equal(a["StudyDate"], "20200115");
    assert.equal(a["AccessionNumber"], "ACC001");
    assert.equal(a["RetrieveAETitle"], "DICOMTLS");
    const opened = await server.waitForRecord((x) => x["event"] === "association-opened" && x["callingAet"] === "ORTHANC");
    assert.match(String(opened["tls"]), /^TLSv1\.[23]$/, "Orthanc came over DICOM TLS");
    const done = await server.waitForRecord((x) => x["event"] === "find-done" && x["callingAet"] === "ORTHANC");
    assert.equal(done["status"], "0x0000");
  });

  it("a SERIES query under a study, and an IMAGE query under a series", async () => {
    const series = await query("Series", { StudyInstanceUID: studyUid(FIXTURE.B.n), SeriesInstanceUID: "", Modality: "" });
    assert.deepEqual(series.map((s) => [s["SeriesInstanceUID"], s["Modality"]]), [[seriesUid(FIXTURE.B.n), "MR"]]);
    const images = await query("Instance", { StudyInstanceUID: studyUid(FIXTURE.A.n), SeriesInstanceUID: seriesUid(FIXTURE.A.n), SOPInstanceUID: "", InstanceNumber: "" });
    assert.deepEqual(images.map((i) => i["InstanceNumber"]).sort(), ["1", "2"]);
  });

  it("a PATIENT query (Patient Root) by ID", async () => {
    const patients = await query("Patient", { PatientID: "PAT001", PatientName: "" });
    assert.deepEqual(patients.map((p) => [p["PatientID"], p["PatientName"]]), [["PAT001", "Doe^John"]]);
  });
});
