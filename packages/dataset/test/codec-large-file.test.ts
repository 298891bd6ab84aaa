import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, it } from "node:test";
import { SyntheticPreset, SyntheticTransferSyntax as TS, syntheticDatasetSha256, tempDir, writePart10File } from "@dicomtls/test-peers";
import { InlineCodecRunner, PiscinaCodecRunner, type CodecRunner } from "../src/index.js";

const tmp = tempDir("dicomtls-codec-large-");
after(() => tmp.remove());

const MB = 1024 * 1024;
/** Memory, not time: a file streamed in 4 MB batches must not show up whole in RSS (the file is ~120 MB). */
const MAX_RSS_GROWTH = 150 * MB;

interface Run {
  hash: string;
  pdus: number;
  rssGrowthMb: number;
  delayMaxMs: number;
  delayP99Ms: number;
  delayP50Ms: number;
  seconds: number;
}

async function send(runner: CodecRunner, path: string, to: string, maxPduLength: number): Promise<Run> {
  const rss0 = process.memoryUsage.rss();
  let rssMax = rss0;
  const started = performance.now();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const hash = createHash("sha256");
  let pdus = 0;
  const prepared = await runner.prepareFile(path, { transferSyntaxUid: to, presentationContextId: 1, maxPduLength });
  for await (const batch of prepared) {
    for (const pdu of batch.pdus) {
      assert.ok(pdu.byteLength <= maxPduLength + 6);
      hash.update(pdu.subarray(12));
      // The check's own hashing (~10 ms per batch) must not count as the runner's delay: yield as a writer would.
      if (++pdus % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    batch.release();
    rssMax = Math.max(rssMax, process.memoryUsage.rss());
  }
  delay.disable();
  return { hash: hash.digest("hex"), pdus, rssGrowthMb: (rssMax - rss0) / MB, delayMaxMs: delay.max / 1e6, delayP99Ms: delay.percentile(99) / 1e6, delayP50Ms: delay.percentile(50) / 1e6, seconds: (performance.now() - started) / 1000 };
}

it("converts and fragments a ~120 MB file in bounded memory (event-loop delay reported, not asserted)", async (t) => {
  const spec = { ...SyntheticPreset.MultiFrame200m, frames: 230, seed: 42 };
  const path = join(tmp.path, "large-implicit.dcm");
  const file = await writePart10File(path, { ...spec, transferSyntax: TS.ImplicitVrLittleEndian });
  assert.ok(file.size > 100 * MB);
  // The generator's Explicit encoding of the same spec is what the converter must produce (checked on small sets).
  const expected = syntheticDatasetSha256({ ...spec, transferSyntax: TS.ExplicitVrLittleEndian });
  const pool = new PiscinaCodecRunner({ threads: 2 });
  const inline = new InlineCodecRunner();
  try {
    await pool.readFileInfo(path); // workers up and dcmjs loaded before measuring
    for (const [name, runner] of [["pool", pool], ["inline", inline]] as const) {
      const r = await send(runner, path, TS.ExplicitVrLittleEndian, 16384);
      t.diagnostic(
        `${name}: ${(file.size / MB).toFixed(1)} MB, ${r.pdus} PDUs, RSS growth ${r.rssGrowthMb.toFixed(1)} MB, ` +
          `${r.seconds.toFixed(2)} s, event-loop delay max ${r.delayMaxMs.toFixed(1)} ms, p99 ${r.delayP99Ms.toFixed(1)} ms, p50 ${r.delayP50Ms.toFixed(1)} ms`,
      );
      assert.equal(r.hash, expected, `${name}: reassembled converted dataset`);
      assert.ok(r.rssGrowthMb * MB < MAX_RSS_GROWTH, `${name}: RSS grew ${r.rssGrowthMb.toFixed(1)} MB`);
    }
  } finally {
    await Promise.all([pool.close(), inline.close()]);
  }
});
