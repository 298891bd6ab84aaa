/**
 * Issue 13, IndexGroupCommitDelay: the index rows of received instances are committed in batches, so the C-STORE
 * response waits for the durable file only. Here the delay is long (10 s): storescu's instances are all acknowledged
 * and a findscu on the running node already sees them (its own connection reads the open batch), while the index file
 * holds none of their rows. Then `kill -9`: the restart's recovery indexes every file (hierarchy included),
 * `dicomtls storage check` finds files and index in agreement, and a C-FIND at each level sees them all.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { checkStorage, DisagreementKind } from "@dicomtls/storage";
import { runCli, SyntheticPreset, startServer, stopAll, tempDir, writePart10File } from "@dicomtls/test-peers";
import { requirePeers } from "./helpers.js";
import { findscuTls, parseFindscu } from "./find-support.js";
import { acknowledgedFiles, storescuTls, writeNodeConfig, writePki } from "./store-support.js";

requirePeers("storescu", "findscu");
const tmp = tempDir("dicomtls-group-commit-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const FILES = 6;
const STUDY = "1.2.826.0.1.3680043.9.7433.78.1";

describe("IndexGroupCommitDelay: kill -9 with index rows uncommitted, then restart", () => {
  test("every acknowledged instance is found before the kill and after the restart; files and index agree", async () => {
    const files = await writePki(tmp.path);
    const storage = join(tmp.path, "storage");
    const config = await writeNodeConfig(tmp.path, "node.json", files, storage, { IndexGroupCommitDelay: 10_000, DicomAlwaysAllowFind: true });
    const folder = join(tmp.path, "sender");
    mkdirSync(folder);
    const uids: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const written = await writePart10File(join(folder, `f${i}.dcm`), { ...SyntheticPreset.Ct512k, seed: 14_000 + i, studyInstanceUid: STUDY, patientId: "GROUP1", modality: "MR" });
      uids.push(written.spec.sopInstanceUid);
    }
    const images = async (port: number): Promise<string[]> => {
      const r = await findscuTls(files, port, "-S", ["-k", "QueryRetrieveLevel=IMAGE", "-k", `StudyInstanceUID=${STUDY}`, "-k", "SOPInstanceUID"]);
      const found = parseFindscu(r.output);
      assert.equal(found.final, "Success", r.output);
      return found.answers.map((a) => a["SOPInstanceUID"] ?? "").sort();
    };

    const server = await startServer(config.path, { built: true });
    const sent = await storescuTls(files, server.port, ["+sd", folder]);
    assert.equal(sent.code, 0, sent.output);
    assert.equal(acknowledgedFiles(sent.output).length, FILES, sent.output);
    assert.deepEqual(await images(server.port), [...uids].sort(), "the running node finds what it acknowledged");
    // Another connection reads the index file: the batch is not committed yet.
    const pending = await checkStorage({ folder: storage, readIdentifiers: parseDatasetHeader });
    assert.equal(pending.rows, 0, "no row committed before the kill");
    assert.deepEqual(pending.disagreements.map((d) => d.kind), Array(FILES).fill(DisagreementKind.FileWithoutRow));

    process.kill(server.process.pid, "SIGKILL");
    assert.equal(await server.process.exited, "SIGKILL");

    const restarted = await startServer(config.path, { built: true });
    const recovered = restarted.records().find((r) => r["event"] === "storage-recovered");
    assert.ok(recovered, restarted.process.output());
    assert.equal(recovered["reindexed"], FILES, JSON.stringify(recovered));
    assert.deepEqual(await images(restarted.port), [...uids].sort(), "after the restart, from the rows recovery wrote");
    const study = parseFindscu((await findscuTls(files, restarted.port, "-S", ["-k", "QueryRetrieveLevel=STUDY", "-k", `StudyInstanceUID=${STUDY}`, "-k", "PatientID", "-k", "ModalitiesInStudy", "-k", "NumberOfStudyRelatedInstances"])).output);
    assert.equal(study.answers.length, 1, study.output);
    assert.equal(study.answers[0]!["PatientID"], "GROUP1");
    assert.equal(study.answers[0]!["ModalitiesInStudy"], "MR");
    assert.equal(study.answers[0]!["NumberOfStudyRelatedInstances"], String(FILES));
    await restarted.stop();

    const check = await runCli(["storage", "check", config.path], { built: true });
    assert.equal(check.code, 0, check.output);
    assert.match(check.stdout, /files and index agree/);
  });
});
