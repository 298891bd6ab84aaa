/** readAttributes: C-FIND keys the index lacks, read from a stored Part 10 file (inline and on the pool alike). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, it } from "node:test";
import { SyntheticTransferSyntax, tempDir, writePart10File } from "@dicomtls/test-peers";
import { CodecErrorCode, InlineCodecRunner, PiscinaCodecRunner, type CodecRunner } from "../src/index.js";

const tmp = tempDir("dicomtls-read-attrs-");
const inline = new InlineCodecRunner();
const pool = new PiscinaCodecRunner({ threads: 1 });
const runners: Array<[string, CodecRunner]> = [
  ["inline", inline],
  ["pool", pool],
];

after(async () => {
  await Promise.all([inline.close(), pool.close()]);
  tmp.remove();
});

it("reads the asked keywords from the header (both VR encodings), leaves out those the file lacks and unknown names", async () => {
  for (const ts of [SyntheticTransferSyntax.ExplicitVrLittleEndian, SyntheticTransferSyntax.ImplicitVrLittleEndian]) {
    const path = join(tmp.path, `${ts}.dcm`);
    await writePart10File(path, { seed: 3, transferSyntax: ts, patientName: "Doe^John", patientId: "PAT001", modality: "CT", accessionNumber: "ACC1", rows: 64, columns: 64 });
    for (const [name, runner] of runners) {
      const values = await runner.readAttributes(path, ["PatientName", "PatientID", "Modality", "AccessionNumber", "StudyDescription", "NotAKeyword"]);
      assert.deepEqual(values, { PatientName: "Doe^John", PatientID: "PAT001", Modality: "CT", AccessionNumber: "ACC1" }, `${name} ${ts}`);
    }
  }
});

it("a missing file is ERR_DICOM_CODEC_FILE_READ naming it", async () => {
  const missing = join(tmp.path, "gone.dcm");
  for (const [, runner] of runners) await assert.rejects(runner.readAttributes(missing, ["PatientName"]), { code: CodecErrorCode.FileRead, path: missing });
});
