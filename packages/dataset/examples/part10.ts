import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodePDataTf } from "@dicomtls/pdu-codec";
import { createCodecRunner, decodeFileMeta, decodeIdentifier, encodeFileMeta, encodeIdentifier, parseDatasetHeader } from "@dicomtls/dataset";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const CT = "1.2.840.10008.5.1.4.1.1.2";

// A small dataset (any identifier is one), its header as the Storage SCP reads it for the index.
const dataset = encodeIdentifier(
  { SOPClassUID: CT, SOPInstanceUID: "1.2.3.4.5", PatientID: "P1", PatientName: "DOE^JOHN", StudyInstanceUID: "1.2.3", SeriesInstanceUID: "1.2.3.1" },
  { transferSyntaxUid: EXPLICIT_LE },
);
const header = parseDatasetHeader(dataset, EXPLICIT_LE);
assert.equal(header.patientName, "DOE^JOHN");

// A Part 10 file: File Meta (PS3.10 §7.1) then the dataset, and the File Meta read back.
const meta = encodeFileMeta({
  mediaStorageSopClassUid: CT,
  mediaStorageSopInstanceUid: "1.2.3.4.5",
  transferSyntaxUid: EXPLICIT_LE,
  implementationClassUid: "1.2.826.0.1.3680043.10.1",
  sourceAeTitle: "MODALITY",
});
const file = Buffer.concat([meta, dataset]);
const read = decodeFileMeta(file, "example.dcm", true);
assert.ok(read.kind === "meta" && read.meta.datasetOffset === meta.length);

// The codec runner: the file's dataset as P-DATA-TF PDUs for a context that accepted Implicit VR, made in a worker.
const dir = mkdtempSync(join(tmpdir(), "dicomtls-dataset-example-"));
const path = join(dir, "1.2.3.4.5.dcm");
writeFileSync(path, file);
const runner = createCodecRunner({ threads: 1, inlineFileThresholdBytes: 0 }); // every file task on the pool
try {
  const info = await runner.readFileInfo(path);
  assert.equal(info.transferSyntaxUid, EXPLICIT_LE);
  const prepared = await runner.prepareFile(path, { transferSyntaxUid: IMPLICIT_LE, presentationContextId: 1, maxPduLength: 16384 });
  const chunks: Uint8Array[] = [];
  for await (const batch of prepared) {
    for (const pdu of batch.pdus) chunks.push(...decodePDataTf(pdu).pdvs.map((pdv) => pdv.data));
    batch.release();
  }
  assert.ok(prepared.converted);
  const sent = Buffer.concat(chunks);
  assert.equal(decodeIdentifier(sent, IMPLICIT_LE).PatientName?.[0], "DOE^JOHN");
} finally {
  await runner.close();
  rmSync(dir, { recursive: true, force: true });
}
