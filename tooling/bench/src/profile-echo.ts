/**
 * Per-message overhead (issue 13): CPU per C-ECHO of each end, from /proc (all threads, user + system), which holds up
 * better on a shared machine than echoes/s. Each case runs --repeat 1 and --repeat N in one association; "per echo" is
 * (X(N) - X(1)) / (N - 1), so process start, TLS handshake, association and release are taken out.
 *
 *   b  echoscu -> dicomtls-server   CPU of the server (the SCP side), and of storescp for the same client (a)
 *   d  dicomtls echo() -> storescp  CPU of this process (our SCU, in-process) and of storescp
 *
 * The server is the built one (apps/server/dist: run `pnpm build` first); --cpu-prof DIR writes its main thread's V8
 * profile over the whole run (the N-echo association dominates it) and prints the top self times.
 * Run: node --conditions=dicomtls-source --import tsx tooling/bench/src/profile-echo.ts [--n 5000] [--cpu-prof DIR]
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { echo } from "@dicomtls/scu";
import { dcmtkEnv, repoRoot, requireTool, stopAll, tempDir } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, printTable, processCpuSeconds, startDicomTls, startStorescp, summarizeProfiles, timedRun, type DevPki } from "./lib/index.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Number(flag("--n") ?? "5000");
const PROFILE_DIR = flag("--cpu-prof");
if (!Number.isInteger(N) || N < 2) throw new Error("--n: expected a whole number of at least 2");

interface Target {
  readonly port: number;
  readonly aet: string;
}

interface PerEcho {
  /** Wall-clock ms per echo. */
  readonly wallMs: number;
  /** CPU ms per echo of each measured process, in the order given. */
  readonly cpuMs: readonly number[];
}

/** `run(repeat)` once with 1 and once with N echoes; the marginal wall time and CPU of `cpu()` readers per echo. */
async function perEcho(run: (repeat: number) => Promise<void>, cpu: ReadonlyArray<() => number>): Promise<PerEcho> {
  const sample = async (repeat: number): Promise<{ wall: number; cpu: number[] }> => {
    const before = cpu.map((read) => read());
    const t0 = process.hrtime.bigint();
    await run(repeat);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    return { wall, cpu: cpu.map((read, i) => (read() - (before[i] ?? 0)) * 1000) };
  };
  await run(1); // warm-up: JIT, page cache
  const one = await sample(1);
  const many = await sample(N);
  return { wallMs: (many.wall - one.wall) / (N - 1), cpuMs: many.cpu.map((c, i) => (c - (one.cpu[i] ?? 0)) / (N - 1)) };
}

async function dcmtkEcho(pki: DevPki, target: Target, repeat: number): Promise<void> {
  const args = ["--repeat", String(repeat), "-aet", "ECHOSCU", "-aec", target.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "127.0.0.1", String(target.port)];
  await timedRun("echoscu", args, { env: dcmtkEnv(), timeoutMs: 600_000 });
}

async function ourEcho(pki: DevPki, target: Target, repeat: number): Promise<void> {
  const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
  const tls = buildClientOptions(ctx, { host: "127.0.0.1", port: target.port });
  const result = await echo({ host: "127.0.0.1", port: target.port, callingAeTitle: "DICOMTLS", calledAeTitle: target.aet, repeat, tls });
  if (!result.ok || result.responses.length !== repeat) throw new Error(`echo to ${target.aet}: not every echo answered Success`);
}

/** CPU seconds of this process (our SCU runs in it), all threads. */
const ownCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main(): Promise<void> {
  requireTool("echoscu");
  requireTool("storescp");
  const tmp = tempDir("dicomtls-prof-echo-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    if (PROFILE_DIR !== undefined) {
      rmSync(PROFILE_DIR, { recursive: true, force: true });
      mkdirSync(PROFILE_DIR, { recursive: true });
    }
    mkdirSync(join(tmp.path, "node"), { recursive: true });
    const storescp = await startStorescp({ outputDir: tmp.path, pki });
    const server = await startDicomTls({
      dir: join(tmp.path, "node"),
      pki,
      serverBin: join(repoRoot, "apps/server/bin/dicomtls-server.js"),
      execArgv: PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`],
    });
    const serverCpu = (): number => processCpuSeconds(server.process.pid);
    const storescpCpu = (): number => processCpuSeconds(storescp.process.pid);

    const a = await perEcho((n) => dcmtkEcho(pki, storescp, n), [storescpCpu]);
    const b = await perEcho((n) => dcmtkEcho(pki, server, n), [serverCpu]);
    const d = await perEcho((n) => ourEcho(pki, storescp, n), [ownCpuSeconds, storescpCpu]);
    const c = await perEcho((n) => ourEcho(pki, server, n), [ownCpuSeconds, serverCpu]);

    console.log(`C-ECHO over DICOM TLS, N=${N} per association; CPU per echo from /proc (all threads, user + system)`);
    const f = (x: number | undefined): string => (x === undefined ? "" : x.toFixed(3));
    printTable(
      ["case", "SCU -> SCP", "wall ms/echo", "SCU CPU ms/echo", "SCP CPU ms/echo"],
      [
        ["a", "echoscu -> storescp", f(a.wallMs), "", f(a.cpuMs[0])],
        ["b", "echoscu -> dicomtls", f(b.wallMs), "", f(b.cpuMs[0])],
        ["c", "dicomtls -> dicomtls", f(c.wallMs), f(c.cpuMs[0]), f(c.cpuMs[1])],
        ["d", "dicomtls -> storescp", f(d.wallMs), f(d.cpuMs[0]), f(d.cpuMs[1])],
      ],
    );
    console.log(`server CPU per echo, dicomtls / storescp (b/a): ${((b.cpuMs[0] ?? 0) / (a.cpuMs[0] ?? 1)).toFixed(2)}x; wall b/a ${(b.wallMs / a.wallMs).toFixed(2)}x, d/a ${(d.wallMs / a.wallMs).toFixed(2)}x, c/a ${(c.wallMs / a.wallMs).toFixed(2)}x`);
    await server.stop();
    await storescp.stop();
    if (PROFILE_DIR !== undefined) summarizeProfiles(PROFILE_DIR, 40);
  } finally {
    await stopAll();
    tmp.remove();
  }
}

await main();
