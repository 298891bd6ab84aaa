/**
 * Profiles our sending side (issue 13): `store()` of @dicomtls/scu sending the 500 x 512 KB CT set (or --count N, or
 * --preset mf10 / mf200) to `storescp +tls --max-pdu 131072`, in this process. Prints the sender's CPU per instance
 * (this process, all threads), the CPU of each of its threads (main, codec workers, libuv pool, V8 helpers, from
 * /proc/self/task) and the main thread's V8 profile (self time, node:inspector around the store only).
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/profile-scu.ts [--count 500] [--preset ct|mf10|mf200] [--no-v8prof] [--pool [--inline-file BYTES]] [--out DIR]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { createCodecRunner } from "@dicomtls/dataset";
import { store } from "@dicomtls/scu";
import { SyntheticPreset, requireTool, stopAll, tempDir, writePart10File } from "@dicomtls/test-peers";
import { formatThreadCpu, makeDevPki, ms, selfCpuSeconds, startStorescp, summarizeProfiles, threadCpuSeconds, timed } from "./lib/index.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? String(process.argv[i + 1]) : fallback;
}
const OUT = flag("--out", "/tmp/dicomtls-prof-scu");
const PRESET = flag("--preset", "ct");
const PRESETS = { ct: SyntheticPreset.Ct512k, mf10: SyntheticPreset.MultiFrame10m, mf200: SyntheticPreset.MultiFrame200m } as const;
const SPEC = PRESETS[PRESET as keyof typeof PRESETS];
const COUNT = Number(flag("--count", PRESET === "ct" ? "500" : PRESET === "mf10" ? "20" : "1"));
const V8PROF = !process.argv.includes("--no-v8prof");
/** With --pool, store() gets a pooled runner (createCodecRunner()) that runs prepareFile inline only up to BYTES; default: store()'s own runner. */
const POOL = process.argv.includes("--pool");
const INLINE_FILE = process.argv.includes("--inline-file") ? Number(flag("--inline-file", "0")) : undefined;


async function main(): Promise<void> {
  requireTool("storescp");
  if (SPEC === undefined) throw new Error(`--preset must be ct, mf10 or mf200, got ${PRESET}`);
  const tmp = tempDir("dicomtls-prof-scu-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const folder = join(tmp.path, "dataset");
    mkdirSync(folder, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const f = join(folder, `${String(i).padStart(4, "0")}.dcm`);
      await writePart10File(f, { ...SPEC, seed: 1000 + i });
      files.push(f);
    }
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const out = join(tmp.path, "out");
    mkdirSync(out, { recursive: true });
    const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", "131072"] });
    const codec = POOL ? createCodecRunner(INLINE_FILE === undefined ? {} : { inlineFileThresholdBytes: INLINE_FILE }) : undefined;
    await codec?.warmUp();
    const session = new Session();
    session.connect();
    if (V8PROF) {
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    const before = threadCpuSeconds("self");
    const cpuBefore = selfCpuSeconds();
    const { ms: took, value } = await timed(() =>
      store({
        host: "127.0.0.1",
        port: scp.port,
        callingAeTitle: "PROFSCU",
        calledAeTitle: scp.aet,
        tls: { ca: readFileSync(pki.caCert), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
        files,
        ...(codec !== undefined && { codec }),
      }),
    );
    const cpuS = selfCpuSeconds() - cpuBefore;
    const after = threadCpuSeconds("self");
    if (V8PROF) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(join(OUT, "scu.cpuprofile"), JSON.stringify(profile));
    }
    session.disconnect();
    await codec?.close();
    await scp.stop();
    if (!value.ok) throw new Error(`store() failed ${value.failed} files: ${value.results.find((r) => !r.ok)?.error?.message ?? "?"}`);
    console.log(`${COUNT} x ${PRESET} in ${ms(took)} ms (${((COUNT * 1000) / took).toFixed(1)} files/s), sender CPU ${((cpuS * 1000) / COUNT).toFixed(2)} ms per instance`);
    console.log(`CPU by thread over the store (ms per instance): ${formatThreadCpu(before, after, COUNT)}`);
    if (V8PROF) summarizeProfiles(OUT, 40);
  } finally {
    await stopAll();
    tmp.remove();
  }
}
await main();
