import { strict as assert } from "node:assert";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { IMPLEMENTATION_CLASS_UID } from "@dicomtls/association";
import { readDatasetBytes, readPart10Dataset, tempDir } from "@dicomtls/test-peers";
import type { ReceivedInstance } from "@dicomtls/scu";
import { folderSink } from "../src/commands/get-folder.js";

const tmp = tempDir("dicomtls-cli-get-folder-");
after(() => tmp.remove());

const CT = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

function received(sopInstanceUid: string, chunks: readonly Buffer[], failAfter?: number): ReceivedInstance {
  return {
    index: 1,
    sopClassUid: CT,
    sopInstanceUid,
    transferSyntaxUid: EXPLICIT_LE,
    dataset: (async function* () {
      for (const [k, c] of chunks.entries()) {
        // One chunk per turn, as a socket delivers them.
        await Promise.resolve();
        if (k === failAfter) throw new Error("the association was aborted");
        yield c;
      }
    })(),
  };
}

test("folderSink writes <SOPInstanceUID>.dcm: File Meta from the instance and the peer, then the data set bytes as received", async () => {
  const dir = join(tmp.path, "made/by/the/sink");
  const sink = await folderSink(dir, "ORTHANC");
  const chunks = [Buffer.from("first chunk "), Buffer.from("second chunk")];
  await sink.onInstance(received("1.2.3.4", chunks));
  assert.equal(sink.written(), 1);
  assert.deepEqual(readdirSync(dir), ["1.2.3.4.dcm"]);
  const meta = await readPart10Dataset(join(dir, "1.2.3.4.dcm"));
  assert.deepEqual(
    [meta.mediaStorageSopClassUid, meta.mediaStorageSopInstanceUid, meta.transferSyntaxUid, meta.implementationClassUid, meta.sourceAeTitle],
    [CT, "1.2.3.4", EXPLICIT_LE, IMPLEMENTATION_CLASS_UID, "ORTHANC"],
  );
  assert.ok((await readDatasetBytes(join(dir, "1.2.3.4.dcm"))).equals(Buffer.concat(chunks)));
});

test("folderSink leaves nothing behind when the data set breaks off, and refuses a SOP Instance UID that is no UID", async () => {
  const dir = join(tmp.path, "broken");
  const sink = await folderSink(dir, "ORTHANC");
  await assert.rejects(sink.onInstance(received("1.2.3.5", [Buffer.from("a"), Buffer.from("b")], 1)), /aborted/);
  await assert.rejects(sink.onInstance(received("../../escape", [Buffer.from("a")])), (e: Error & { code?: string }) => e.code === "ERR_DICOM_FILE_META_INVALID_VALUE" && e.message.includes("../../escape"));
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(sink.written(), 0);
});
