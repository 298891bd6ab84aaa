/**
 * Codec runner benchmark: inline vs Piscina (1 and 2 threads) for parseHeader and prepareFile across sizes, and the
 * thresholds and pool size derived from it. Run:
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/codec.ts [--quick]
 *
 * What counts is the event loop: "main ms" is the main thread's active time per operation
 * (performance.eventLoopUtilization), "wall ms" the latency, "max delay" the longest event-loop stall seen by
 * monitorEventLoopDelay. Numbers on a shared 2-core VM are noisy: run it twice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { DEFAULT_BATCH_BYTES, InlineCodecRunner, PiscinaCodecRunner, type CodecRunner } from "@dicomtls/dataset";
import { datasetChunks, framesForSize, SyntheticTransferSyntax as TS, tempDir, writePart10File } from "@dicomtls/test-peers";

const KB = 1024;
const MB = 1024 * KB;
const quick = process.argv.includes("--quick");
const SIZES = quick ? [16 * KB, 512 * KB, 10 * MB] : [16 * KB, 128 * KB, 512 * KB, 1 * MB, 2 * MB, 10 * MB, 50 * MB, 200 * MB];
const MAX_PDU = 16384;

interface Sample {
  op: string;
  size: number;
  runner: string;
  ops: number;
  wallMs: number;
  mainMs: number;
  mainCpuMs: number;
  maxDelayMs: number;
  mbPerS: number;
}

function label(size: number): string {
  return size >= MB ? `${(size / MB).toFixed(size >= 10 * MB ? 0 : 1)} MB` : `${(size / KB).toFixed(0)} KB`;
}

function iterations(size: number, perOpFloor: number): number {
  return Math.max(3, Math.min(perOpFloor, Math.floor((400 * MB) / size)));
}

/** CPU time of the main thread alone (Linux: /proc/<pid>/task/<pid>/stat, in clock ticks of 10 ms). */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs `op` `n` times with `concurrency` in flight; main-thread active time from event-loop utilization. */
async function measure(
  n: number,
  concurrency: number,
  op: () => Promise<number>,
): Promise<{ wallMs: number; mainMs: number; mainCpuMs: number; maxDelayMs: number; bytes: number }> {
  await op(); // warm: workers started, dcmjs loaded, page cache filled
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuMs();
  const t0 = performance.now();
  let next = 0;
  let bytes = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      bytes += await op();
      // A turn of the loop between operations, as a server would have: lets the delay monitor see inline stalls.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = mainThreadCpuMs() - cpu0;
  delay.disable();
  return { wallMs: wallMs / n, mainMs: elu.active / n, mainCpuMs: cpu / n, maxDelayMs: delay.max / 1e6, bytes };
}

function runners(): Array<[string, CodecRunner]> {
  return [
    ["inline", new InlineCodecRunner()],
    ["pool-1", new PiscinaCodecRunner({ threads: 1 })],
    ["pool-2", new PiscinaCodecRunner({ threads: 2 })],
  ];
}

async function main(): Promise<void> {
  const tmp = tempDir("dicomtls-bench-codec-");
  const samples: Sample[] = [];
  const all = runners();
  try {
    console.log(`codec runner bench: Node ${process.version}, max PDU ${MAX_PDU}, batch ${DEFAULT_BATCH_BYTES / MB} MB${quick ? " (quick)" : ""}`);
    for (const size of SIZES) {
      const spec = { seed: 1, rows: 512, columns: 512, bitsAllocated: 16 as const, frames: framesForSize(size, { rows: 512, columns: 512 }) };
      // 16 KB and 128 KB need smaller frames to come near the size.
      const small = size < 512 * KB ? { ...spec, rows: 64, columns: 64, frames: framesForSize(size, { rows: 64, columns: 64 }) } : spec;
      const explicitPath = join(tmp.path, `e-${size}.dcm`);
      const implicitPath = join(tmp.path, `i-${size}.dcm`);
      const file = await writePart10File(explicitPath, { ...small, transferSyntax: TS.ExplicitVrLittleEndian });
      await writePart10File(implicitPath, { ...small, transferSyntax: TS.ImplicitVrLittleEndian });
      const chunks = [...datasetChunks({ ...small, transferSyntax: TS.ExplicitVrLittleEndian }, MB)];

      for (const [name, runner] of all) {
        const threads = name === "pool-2" ? 2 : 1;
        const header = await measure(iterations(size, 2000), 2 * threads, async () => {
          await runner.parseHeader(chunks, TS.ExplicitVrLittleEndian);
          return 0;
        });
        samples.push({ op: "parseHeader", size: file.size, runner: name, ops: iterations(size, 2000), ...header, mbPerS: 0 });

        for (const [op, path, to] of [
          ["prepareFile", explicitPath, TS.ExplicitVrLittleEndian],
          ["prepareFile+convert", implicitPath, TS.ExplicitVrLittleEndian],
        ] as const) {
          const n = iterations(size, 300);
          const r = await measure(n, threads, async () => {
            const prepared = await runner.prepareFile(path, { transferSyntaxUid: to, presentationContextId: 1, maxPduLength: MAX_PDU });
            let bytes = 0;
            for await (const batch of prepared) {
              bytes += batch.byteLength;
              batch.release();
            }
            return bytes;
          });
          samples.push({ op, size: file.size, runner: name, ops: n, ...r, mbPerS: r.bytes / MB / ((r.wallMs * n) / 1000) });
        }
      }
      process.stdout.write(`  measured ${label(size)}\n`);
    }
  } finally {
    await Promise.all(all.map(([, r]) => r.close()));
    tmp.remove();
  }
  report(samples);
}

function report(samples: Sample[]): void {
  console.log("\nop                       size  runner   wall ms  loop ms  cpu ms  max delay ms   MB/s");
  for (const s of samples) {
    console.log(
      `${s.op.padEnd(21)} ${label(s.size).padStart(8)}  ${s.runner.padEnd(7)} ${s.wallMs.toFixed(3).padStart(8)} ${s.mainMs.toFixed(3).padStart(8)} ${s.mainCpuMs.toFixed(2).padStart(7)}  ${s.maxDelayMs.toFixed(1).padStart(12)}  ${s.mbPerS === 0 ? "" : s.mbPerS.toFixed(0).padStart(6)}`,
    );
  }
  // Threshold: the largest size up to which running inline holds the loop no longer than the pool does, or under
  // INLINE_BUDGET_MS: below that a thread hop buys nothing (it costs ~0.15 ms of loop time and ~0.3 ms of latency).
  const INLINE_BUDGET_MS = 0.5;
  for (const op of ["parseHeader", "prepareFile", "prepareFile+convert"]) {
    const sizes = [...new Set(samples.filter((s) => s.op === op).map((s) => s.size))].sort((a, b) => a - b);
    let threshold = 0;
    for (const size of sizes) {
      const inline = samples.find((s) => s.op === op && s.size === size && s.runner === "inline");
      const pools = samples.filter((s) => s.op === op && s.size === size && s.runner.startsWith("pool"));
      if (inline === undefined || pools.length === 0) continue;
      const pool = Math.min(...pools.map((p) => p.mainMs));
      if (inline.mainMs <= Math.max(pool, INLINE_BUDGET_MS)) threshold = size;
      else break;
    }
    console.log(`${op}: inline up to ${threshold === 0 ? "none of the sizes (always the pool)" : label(threshold)} (loop time <= pool's or <= ${INLINE_BUDGET_MS} ms)`);
  }
  for (const op of ["prepareFile", "prepareFile+convert"]) {
    const big = Math.max(...samples.filter((s) => s.op === op).map((s) => s.size));
    const one = samples.find((s) => s.op === op && s.size === big && s.runner === "pool-1");
    const two = samples.find((s) => s.op === op && s.size === big && s.runner === "pool-2");
    if (one !== undefined && two !== undefined) console.log(`${op} ${label(big)}: pool-2 / pool-1 throughput ${(two.mbPerS / one.mbPerS).toFixed(2)}x`);
  }
  const headerSizes = samples.filter((s) => s.op === "parseHeader" && s.runner === "pool-1");
  const ratios = headerSizes.map((one) => {
    const two = samples.find((s) => s.op === "parseHeader" && s.size === one.size && s.runner === "pool-2");
    return two === undefined ? 1 : one.wallMs / two.wallMs;
  });
  console.log(`parseHeader (2 in flight per thread): pool-2 / pool-1 throughput ${Math.min(...ratios).toFixed(2)}x .. ${Math.max(...ratios).toFixed(2)}x`);
}

await main();
