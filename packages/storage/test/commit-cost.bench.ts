/**
 * Cost of making an instance durable: 512 KB datasets written through the store, timing each phase.
 * Run: node --conditions=dicomtls-source --import tsx packages/storage/test/commit-cost.bench.ts [count] [folder]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetChunks, makeDataset, resolveSpec, SyntheticPreset } from "@dicomtls/test-peers";
import { FileSystemInstanceStore } from "../src/index.js";

const count = Number(process.argv[2] ?? 300);
const base = mkdtempSync(join(process.argv[3] ?? tmpdir(), "commit-cost-"));
const datasets = Array.from({ length: 8 }, (_, i) => makeDataset({ ...SyntheticPreset.Ct512k, seed: 1000 + i }));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function raw(withFsync: boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const tmp = join(base, `raw-${i}.partial`);
    const fh = await open(tmp, "wx");
    await fh.write(datasets[i % datasets.length]!);
    if (withFsync) await fh.sync();
    await fh.close();
    await rename(tmp, join(base, `raw-${i}.dcm`));
    if (withFsync) {
      const d = await open(base, "r");
      await d.sync();
      await d.close();
    }
    times.push(performance.now() - t0);
  }
  for (let i = 0; i < count; i++) await unlink(join(base, `raw-${i}.dcm`));
  return times;
}

async function throughStore(): Promise<{ write: number[]; commit: number[] }> {
  const store = await FileSystemInstanceStore.open({ folder: join(base, "store"), implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1" });
  const write: number[] = [];
  const commit: number[] = [];
  for (let i = 0; i < count; i++) {
    const ds = datasets[i % datasets.length]!;
    const r = resolveSpec({ seed: 1000 + (i % datasets.length) });
    const t0 = performance.now();
    const w = await store.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: `${r.sopInstanceUid.slice(0, 40)}.${i}`, transferSyntaxUid: r.transferSyntax });
    for (let off = 0; off < ds.length; off += 16_384) await w.write(ds.subarray(off, off + 16_384));
    const t1 = performance.now();
    await w.commit({ patientId: r.patientId, studyInstanceUid: r.studyInstanceUid, seriesInstanceUid: r.seriesInstanceUid });
    const t2 = performance.now();
    write.push(t1 - t0);
    commit.push(t2 - t1);
  }
  await store.close();
  return { write, commit };
}

const noSync = await raw(false);
const withSync = await raw(true);
const s = await throughStore();
const ms = (x: number): string => `${x.toFixed(3)} ms`;
console.log(`folder ${base}, ${count} x ${datasets[0]!.length} bytes`);
console.log(`raw write+close+rename, no fsync:            median ${ms(median(noSync))}`);
console.log(`raw write+fsync+close+rename+folder fsync:   median ${ms(median(withSync))}`);
console.log(`  => durability (file fsync + folder fsync): ${ms(median(withSync) - median(noSync))} per instance`);
console.log(`store: begin + 32 x 16 KiB writes:           median ${ms(median(s.write))}`);
console.log(`store: commit (fsync, link, unlink, folder fsync, index row): median ${ms(median(s.commit))}`);
console.log(`store: instances/s end to end: ${(1000 / (median(s.write) + median(s.commit))).toFixed(0)}`);

// Memory while streaming a 200 MB dataset in 16 KiB chunks (as PDVs arrive) through one writer.
{
  const store = await FileSystemInstanceStore.open({ folder: join(base, "big"), implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1" });
  const spec = { ...SyntheticPreset.MultiFrame200m, seed: 7 };
  const r = resolveSpec(spec);
  const w = await store.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
  const start = process.memoryUsage().rss;
  let peak = start;
  let bytes = 0;
  const t0 = performance.now();
  for (const big of datasetChunks(spec, 1 << 20)) {
    for (let off = 0; off < big.length; off += 16_384) await w.write(big.subarray(off, off + 16_384));
    bytes += big.length;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  await w.commit();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`200 MB in 16 KiB chunks: RSS peak growth ${((peak - start) / 1048576).toFixed(1)} MB, ${(bytes / 1048576 / seconds).toFixed(0)} MB/s incl. generating the data`);
  await store.close();
}
rmSync(base, { recursive: true, force: true });
