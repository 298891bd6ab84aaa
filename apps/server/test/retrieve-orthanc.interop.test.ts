/**
 * C-MOVE between dicomtls-server and Orthanc 1.10.1, both ways over DICOM TLS. Orthanc's REST
 * `POST /modalities/dicomtls/move` asks dicomtls to send a study to Orthanc itself (ORTHANC is in our DicomModalities
 * with UseDicomTls): the instances reach Orthanc with their data sets unchanged. Our scu move() asks Orthanc to send
 * a study to DICOMTLS (in Orthanc's modalities with UseDicomTls): dicomtls stores them byte-identical.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { QueryStatus, move } from "@dicomtls/scu";

import {
  SyntheticSopClass,
  datasetSha256,
  freePort,
  readPart10Dataset,
  startServer,
  stopAll,
  tempDir,
  type StartedOrthanc,
  type StartedServer,
  type WrittenPart10File,
} from "@dicomtls/test-peers";
import { uid, writeSources } from "./retrieve-support.js";
import { storedFiles, storescuTls, writeNodeConfig, writePki, type NodeFiles, startOrthancOverTls } from "./store-support.js";

const tmp = tempDir("dicomtls-retrieve-orthanc-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const STUDY_TO_ORTHANC = uid(501);
const STUDY_FROM_ORTHANC = uid(502);

describe("C-MOVE between Orthanc and dicomtls-server over DICOM TLS", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let orthanc: StartedOrthanc;
  let toOrthanc: WrittenPart10File[];
  let fromOrthanc: WrittenPart10File[];
  const storage = join(tmp.path, "storage");

  before(async () => {
    files = await writePki(tmp.path);
    const orthancPort = await freePort();
    const config = await writeNodeConfig(tmp.path, "node.json", files, storage, {
      DicomModalities: { orthanc: { AET: "ORTHANC", Host: "127.0.0.1", Port: orthancPort, UseDicomTls: true } },
    });
    server = await startServer(config.path, { built: true });
    orthanc = await startOrthancOverTls(tmp.path, files, server.port, { dicomPort: orthancPort, config: { DicomAlwaysAllowMove: true } });
    const common = { patientId: "PAT042", patientName: "Both^Ways" };
    toOrthanc = await writeSources(
      join(tmp.path, "to-orthanc"),
      [0, 1, 2].map((k) => ({ ...common, seed: 5000 + k, sopClassUid: SyntheticSopClass.CtImageStorage, studyInstanceUid: STUDY_TO_ORTHANC, seriesInstanceUid: uid(5011), sopInstanceUid: uid(50100 + k) })),
    );
    fromOrthanc = await writeSources(
      join(tmp.path, "from-orthanc"),
      [0, 1].map((k) => ({ ...common, seed: 5100 + k, sopClassUid: SyntheticSopClass.MrImageStorage, studyInstanceUid: STUDY_FROM_ORTHANC, seriesInstanceUid: uid(5021), sopInstanceUid: uid(50200 + k) })),
    );
    const stored = await storescuTls(files, server.port, toOrthanc.map((s) => s.path));
    assert.equal(stored.code, 0, stored.output);
    for (const s of fromOrthanc) await orthanc.restOk("POST", "/instances", readFileSync(s.path));
  });
  after(async () => {
    await orthanc.stop();
    await server.stop();
  });

  test("Orthanc REST /modalities/dicomtls/move: dicomtls sends the study to Orthanc over DICOM TLS, data sets unchanged", async () => {
    await orthanc.restOk("POST", "/modalities/dicomtls/move", { Level: "Study", Resources: [{ StudyInstanceUID: STUDY_TO_ORTHANC }], TargetAet: "ORTHANC" });
    const record = await server.waitForRecord((x) => x["event"] === "c-move" && x["destination"] === "ORTHANC");
    assert.deepEqual([record["status"], record["completed"], record["callingAet"]], ["0x0000", toOrthanc.length, "ORTHANC"]);
    for (const s of toOrthanc) {
      const ids = (await orthanc.restOk("POST", "/tools/lookup", s.spec.sopInstanceUid)) as Array<{ ID: string; Type: string }>;
      const id = ids.find((x) => x.Type === "Instance")?.ID;
      assert.ok(id !== undefined, `${s.spec.sopInstanceUid} is not in Orthanc`);
      const got = join(tmp.path, `orthanc-${s.spec.sopInstanceUid}.dcm`);
      writeFileSync(got, (await orthanc.rest("GET", `/instances/${id}/file`)).body);
      assert.equal(await datasetSha256(got), await datasetSha256(s.path), `${s.spec.sopInstanceUid}: data set bytes differ`);
    }
  });

  test("our move() asks Orthanc to send a study to DICOMTLS: Success, and dicomtls stores each instance byte-identical", async () => {
    const op = move({
      host: "127.0.0.1",
      port: orthanc.dicomPort,
      callingAeTitle: "QRSCU",
      calledAeTitle: "ORTHANC",
      tls: { ca: files.pki.trustedBundle, cert: files.pki.client.chain, key: files.pki.client.key },
      timeouts: { dimseMs: 30_000 },
      destination: "DICOMTLS",
      level: "STUDY",
      keys: { StudyInstanceUID: STUDY_FROM_ORTHANC },
    });
    const result = await op.result();
    assert.equal(result.status, QueryStatus.Success, orthanc.output().slice(-3000));
    assert.equal(result.completed, fromOrthanc.length);
    const stored = new Map<string, string>();
    for (const path of storedFiles(storage)) stored.set((await readPart10Dataset(path)).mediaStorageSopInstanceUid, path);
    for (const s of fromOrthanc) {
      const path = stored.get(s.spec.sopInstanceUid);
      assert.ok(path !== undefined, `${s.spec.sopInstanceUid} was not stored by dicomtls`);
      assert.equal(await datasetSha256(path), await datasetSha256(s.path), `${path}: data set bytes differ`);
    }
  });
});
