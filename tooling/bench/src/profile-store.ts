/**
 * Profiles dicomtls-server receiving the 500 x 512 KB CT set from `storescu +tls` (issue 13): the built server runs
 * with --cpu-prof (main thread, .cpuprofile in --out) and, with --perf, under `perf record` (every thread, kernel
 * included: where TLS, the file system and the worker threads go). Prints the top self times and the CPU per instance.
 * Run after `pnpm build`:
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/profile-store.ts [--out DIR] [--perf] [--sync false]
 *     [--config '{"Key":value}']
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SyntheticPreset, dcmtkEnv, repoRoot, requireTool, startProcess, stopAll, tempDir, writePart10File } from "@dicomtls/test-peers";
import { cpuDuring, formatThreadCpu, makeDevPki, ms, startDicomTls, summarizeProfiles, threadCpuSeconds, timedRun } from "./lib/index.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? String(process.argv[i + 1]) : fallback;
}
const OUT = flag("--out", "/tmp/dicomtls-prof-store");
const COUNT = Number(flag("--count", "500"));
/** Instances (other UIDs) sent before the measured run, in an association of their own: the server's code warm. */
const WARMUP = Number(flag("--warmup", "0"));
const SYNC = flag("--sync", "true") !== "false";
const PERF = process.argv.includes("--perf");
const V8PROF = !process.argv.includes("--no-v8prof");
/** More server configuration keys, as JSON: `--config '{"IndexGroupCommitDelay":100}'`. */
const EXTRA_CONFIG = JSON.parse(flag("--config", "{}")) as Record<string, unknown>;


async function main(): Promise<void> {
  requireTool("storescu");
  const tmp = tempDir("dicomtls-prof-store-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const folder = join(tmp.path, "dataset");
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < COUNT; i++) await writePart10File(join(folder, `${String(i).padStart(4, "0")}.dcm`), { ...SyntheticPreset.Ct512k, seed: 1000 + i });
    const warmFolder = join(tmp.path, "warm-up");
    mkdirSync(warmFolder, { recursive: true });
    for (let i = 0; i < WARMUP; i++) await writePart10File(join(warmFolder, `${String(i).padStart(4, "0")}.dcm`), { ...SyntheticPreset.Ct512k, seed: 900_000 + i });
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    mkdirSync(join(tmp.path, "node"), { recursive: true });
    const bin = join(repoRoot, "apps/server/bin/dicomtls-server.js");
    const server = await startDicomTls({
      dir: join(tmp.path, "node"), pki, serverBin: bin, execArgv: [...(V8PROF ? ["--cpu-prof", `--cpu-prof-dir=${OUT}`] : [])],
      config: { SyncStorageArea: SYNC, MaximumPduLength: 131072, ...EXTRA_CONFIG },
    });
    const perfFile = join(OUT, "perf.data");
    const perf = PERF ? await startProcess("perf", ["record", "-F", "999", "-g", "-p", String(server.process.pid), "-o", perfFile]) : undefined;
    const argsFor = (dir: string): string[] => ["-aet", "PROFSCU", "-aec", server.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "--max-pdu", "131072", "+sd", "127.0.0.1", String(server.port), dir];
    if (WARMUP > 0) {
      const warm = await timedRun("storescu", argsFor(warmFolder), { env: dcmtkEnv(), timeoutMs: 600_000 });
      if (warm.result.code !== 0) throw new Error(`storescu (warm-up) failed: ${warm.result.stderr}`);
    }
    const args = argsFor(folder);
    const before = threadCpuSeconds(server.process.pid);
    const { cpuS, value } = await cpuDuring(server.process.pid, () => timedRun("storescu", args, { env: dcmtkEnv(), timeoutMs: 600_000 }));
    if (value.result.code !== 0) throw new Error(`storescu failed: ${value.result.stderr}`);
    console.log(`${COUNT} instances in ${ms(value.ms)} ms, server CPU ${((cpuS * 1000) / COUNT).toFixed(2)} ms per instance (SyncStorageArea ${SYNC})`);
    const after = threadCpuSeconds(server.process.pid);
    console.log(`CPU by thread over the store (ms per instance): ${formatThreadCpu(before, after, COUNT)}`);
    if (perf !== undefined) await perf.stop();
    await server.stop();
    if (V8PROF) summarizeProfiles(OUT, 40);
    if (PERF) {
      const { result } = await timedRun("perf", ["report", "-i", perfFile, "--no-children", "--sort", "tid,dso,sym", "--stdio", "-g", "none", "--percent-limit", "0.7"], { timeoutMs: 300_000 });
      console.log(`\nperf (every thread), self time >= 0.7%:`);
      console.log(result.stdout.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).slice(0, 60).join("\n"));
    }
    console.log(`profiles in ${OUT}: ${readdirSync(OUT).join(", ")}`);
  } finally {
    await stopAll();
    tmp.remove();
  }
}
await main();
