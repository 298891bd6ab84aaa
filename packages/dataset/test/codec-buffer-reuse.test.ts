import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodePDataTf } from "@dicomtls/pdu-codec";
import { SyntheticTransferSyntax, readDatasetBytes, tempDir, writePart10File } from "@dicomtls/test-peers";
import { InlineCodecRunner, type PduBatch } from "../src/index.js";

const tmp = tempDir("dicomtls-codec-reuse-");
const runner = new InlineCodecRunner();
after(async () => {
  await runner.close();
  tmp.remove();
});

/** The batches of one prepared file (released after their bytes were checked), and the dataset they carry. */
async function send(path: string): Promise<{ buffers: ArrayBufferLike[]; dataset: Buffer }> {
  const prepared = await runner.prepareFile(path, { transferSyntaxUid: SyntheticTransferSyntax.ExplicitVrLittleEndian, presentationContextId: 1, maxPduLength: 16384 });
  const buffers: ArrayBufferLike[] = [];
  const data: Buffer[] = [];
  for await (const batch of prepared as AsyncIterable<PduBatch>) {
    buffers.push((batch.pdus[0] as Uint8Array).buffer);
    for (const pdu of batch.pdus) data.push(Buffer.from((decodePDataTf(pdu).pdvs[0] as { data: Uint8Array }).data));
    batch.release();
  }
  return { buffers, dataset: Buffer.concat(data) };
}

test("a file smaller than a batch goes out in the buffer the previous file released (no fresh memory per file), byte for byte", async () => {
  // 64 x 64 x 16 bits: one batch each, far below the 4 MB a full batch holds.
  const spec = { rows: 64, columns: 64, frames: 2, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian } as const;
  const a = join(tmp.path, "a.dcm");
  const b = join(tmp.path, "b.dcm");
  await writePart10File(a, { ...spec, seed: 1 });
  await writePart10File(b, { ...spec, seed: 2 });
  const first = await send(a);
  const second = await send(b);
  assert.equal(first.buffers.length, 1);
  assert.equal(second.buffers.length, 1);
  assert.equal(second.buffers[0], first.buffers[0], "the second file reuses the first file's released buffer");
  assert.deepEqual(first.dataset, Buffer.from(await readDatasetBytes(a)));
  assert.deepEqual(second.dataset, Buffer.from(await readDatasetBytes(b)));
});
