/**
 * Orthanc 1.10.1 as the sender: an instance uploaded through Orthanc's REST API (POST /instances) is pushed to
 * dicomtls-server with POST /modalities/{id}/store over DICOM TLS (the modality has `UseDicomTls: true`), and
 * dicomtls stores it: one .dcm whose dataset equals the uploaded file's.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  datasetSha256,
  readPart10Dataset,
  startServer,
  stopAll,
  tempDir,
  writePart10File,
  SyntheticPreset,
  type StartedOrthanc,
  type StartedServer,
} from "@dicomtls/test-peers";
import { storedFiles, writeNodeConfig, writePki, type NodeFiles, startOrthancOverTls } from "./store-support.js";

const tmp = tempDir("dicomtls-store-orthanc-");
after(async () => {
  await stopAll();
  tmp.remove();
});

describe("Orthanc (REST /modalities/{id}/store, UseDicomTls) -> dicomtls-server", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let orthanc: StartedOrthanc;
  const storage = join(tmp.path, "storage");

  before(async () => {
    files = await writePki(tmp.path);
    server = await startServer((await writeNodeConfig(tmp.path, "node.json", files, storage)).path);
    orthanc = await startOrthancOverTls(tmp.path, files, server.port);
  });
  after(async () => {
    await orthanc.stop();
    await server.stop();
  });

  test("an instance uploaded to Orthanc is pushed over DICOM TLS and stored with its dataset unchanged", async () => {
    const src = await writePart10File(join(tmp.path, "ct.dcm"), { ...SyntheticPreset.Ct512k, seed: 4001, sequences: false });
    const uploaded = (await orthanc.restOk("POST", "/instances", readFileSync(src.path))) as { ID: string; Status: string };
    assert.equal(uploaded.Status, "Success");

    const job = (await orthanc.restOk("POST", "/modalities/dicomtls/store", { Resources: [uploaded.ID], Synchronous: true })) as Record<string, unknown>;
    assert.equal(job["FailedInstancesCount"], 0, JSON.stringify(job));
    assert.equal(job["InstancesCount"], 1, JSON.stringify(job));

    const rec = await server.waitForRecord((x) => x["event"] === "instance-stored" && x["sopInstanceUid"] === src.spec.sopInstanceUid);
    assert.equal(rec["callingAet"], "ORTHANC");
    const opened = await server.waitForRecord((x) => x["event"] === "association-opened" && x["callingAet"] === "ORTHANC");
    assert.match(String(opened["tls"]), /^TLSv1\.[23]$/, "Orthanc came over DICOM TLS");

    const stored = storedFiles(storage);
    assert.equal(stored.length, 1);
    const meta = await readPart10Dataset(stored[0]!);
    assert.equal(meta.mediaStorageSopInstanceUid, src.spec.sopInstanceUid);
    assert.equal(meta.mediaStorageSopClassUid, src.spec.sopClassUid);
    assert.equal(meta.sourceAeTitle, "ORTHANC");
    assert.equal(await datasetSha256(stored[0]!), await datasetSha256(src.path));
  });
});
