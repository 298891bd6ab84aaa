/**
 * Per-message overhead (issue 13): CPU per C-ECHO of each end, from /proc (all threads, user + system), which holds up
 * better on a shared machine than echoes/s. Each case runs --repeat 1 and --repeat N in one association; "per echo" is
 * (X(N) - X(1)) / (N - 1), so process start, TLS handshake, association and release are taken out.
 *
 *   a  echoscu -> storescp          CPU of echoscu (reaped child) and storescp: the reference
 *   b  echoscu -> dicomtls-server   CPU of echoscu and of our server (the SCP side)
 *   c  dicomtls echo() -> dicomtls  CPU of this process (our SCU, in-process) and of our server
 *   d  dicomtls echo() -> storescp  CPU of this process (our SCU) and of storescp
 *
 * Our server and SCU are the built ones (apps/server/dist, packages/scu/dist: run `pnpm build` first). With --before ROOT
 * (another checkout, built, e.g. /work/main) its server and SCU run too, rounds alternating with ours, on the same
 * loaded machine: "before" next to "after". --cpu-prof DIR writes our server's main-thread V8 profile (whole run).
 * Run: node --conditions=dicomtls-source --import tsx tooling/bench/src/profile-echo.ts [--n 5000] [--rounds 3]
 *        [--before /work/main] [--cpu-prof DIR] [--pin split|same]
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { echo as echoFn } from "@dicomtls/scu";
import { dcmtkEnv, repoRoot, requireTool, stopAll, tempDir } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "@dicomtls/tls-context";
import { makeDevPki, median, printTable, processCpuSeconds, reapedChildrenCpuSeconds, selfCpuSeconds, startDicomTls, startStorescp, summarizeProfiles, timedRun, type DevPki } from "./lib/index.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const N = Number(flag("--n") ?? "5000");
const ROUNDS = Number(flag("--rounds") ?? "3");
const BEFORE = flag("--before");
const PROFILE_DIR = flag("--cpu-prof");
/**
 * --pin split: every server (all threads) on CPU 1, every client (echoscu, this process) on CPU 0; --pin same: all on
 * CPU 0. Unpinned, a server's CPU per echo was bimodal on this 2-core VM (about 0.055 or 0.10-0.13 ms for the same
 * build: client and server on one CPU, or on two with a cross-CPU wake-up per message), which swamped before/after.
 */
const PIN = flag("--pin");
if (PIN !== undefined && PIN !== "split" && PIN !== "same") throw new Error("--pin: expected split or same");
const SERVER_CPU = PIN === "split" ? 1 : 0;
if (!Number.isInteger(N) || N < 2) throw new Error("--n: expected a whole number of at least 2");
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("--rounds: expected a whole number of at least 1");

interface Target {
  readonly port: number;
  readonly aet: string;
}

/** Wall ms per echo, then CPU ms per echo of each reader given. */
type PerEcho = readonly number[];

/** `run(repeat)` once with 1 and once with N echoes; the marginal wall time and CPU (of each `cpu` reader) per echo. */
async function perEcho(run: (repeat: number) => Promise<void>, cpu: ReadonlyArray<() => number>): Promise<PerEcho> {
  const sample = async (repeat: number): Promise<number[]> => {
    const before = cpu.map((read) => read());
    const t0 = process.hrtime.bigint();
    await run(repeat);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    return [wall, ...cpu.map((read, i) => (read() - (before[i] ?? 0)) * 1000)];
  };
  const one = await sample(1);
  const many = await sample(N);
  return many.map((x, i) => (x - (one[i] ?? 0)) / (N - 1));
}

async function pin(pid: number, cpu: number): Promise<void> {
  if (PIN !== undefined) await timedRun("taskset", ["-a", "-p", "-c", String(cpu), String(pid)]);
}

async function dcmtkEcho(pki: DevPki, target: Target, repeat: number): Promise<void> {
  const args = ["--repeat", String(repeat), "-aet", "ECHOSCU", "-aec", target.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "127.0.0.1", String(target.port)];
  if (PIN !== undefined) await timedRun("taskset", ["-c", "0", "echoscu", ...args], { env: dcmtkEnv(), timeoutMs: 600_000 });
  else await timedRun("echoscu", args, { env: dcmtkEnv(), timeoutMs: 600_000 });
}


interface Build {
  readonly name: string;
  readonly root: string;
  readonly echo: typeof echoFn;
}

async function loadBuild(name: string, root: string): Promise<Build> {
  const scu = (await import(pathToFileURL(join(root, "packages/scu/dist/index.js")).href)) as { echo: typeof echoFn };
  return { name, root, echo: scu.echo };
}

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
    const ctx = await loadTlsContext({ certificateFile: pki.clientCert, privateKeyFile: pki.clientKey, trustedCertificatesFile: pki.caCert });
    const storescp = await startStorescp({ outputDir: tmp.path, pki });
    await pin(storescp.process.pid, SERVER_CPU);
    await pin(process.pid, 0);
    const storescpCpu = (): number => processCpuSeconds(storescp.process.pid);
    const builds = [await loadBuild("after", repoRoot), ...(BEFORE === undefined ? [] : [await loadBuild("before", BEFORE)])];
    const servers = [];
    for (const build of builds) {
      const dir = join(tmp.path, build.name);
      mkdirSync(dir, { recursive: true });
      const profile = PROFILE_DIR !== undefined && build.name === "after";
      const server = await startDicomTls({ dir, pki, serverBin: join(build.root, "apps/server/bin/dicomtls-server.js"), execArgv: profile ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [] });
      await pin(server.process.pid, SERVER_CPU);
      servers.push(server);
    }
    const ourEcho = async (build: Build, target: Target, repeat: number): Promise<void> => {
      const tls = buildClientOptions(ctx, { host: "127.0.0.1", port: target.port });
      const result = await build.echo({ host: "127.0.0.1", port: target.port, callingAeTitle: "DICOMTLS", calledAeTitle: target.aet, repeat, tls });
      if (!result.ok || result.responses.length !== repeat) throw new Error(`echo to ${target.aet}: not every echo answered Success`);
    };

    const rows = new Map<string, PerEcho[]>();
    const add = (key: string, r: PerEcho): void => {
      rows.set(key, [...(rows.get(key) ?? []), r]);
    };
    // Warm-up: JIT of each server and SCU, page cache.
    await dcmtkEcho(pki, storescp, 200);
    for (const [i, build] of builds.entries()) {
      await dcmtkEcho(pki, servers[i]!, 200);
      await ourEcho(build, servers[i]!, 200);
    }
    for (let round = 0; round < ROUNDS; round++) {
      add("a  echoscu -> storescp", await perEcho((n) => dcmtkEcho(pki, storescp, n), [reapedChildrenCpuSeconds, storescpCpu]));
      for (const [i, build] of builds.entries()) {
        const server = servers[i]!;
        const serverCpu = (): number => processCpuSeconds(server.process.pid);
        add(`b  echoscu -> dicomtls (${build.name})`, await perEcho((n) => dcmtkEcho(pki, server, n), [reapedChildrenCpuSeconds, serverCpu]));
        add(`c  dicomtls -> dicomtls (${build.name})`, await perEcho((n) => ourEcho(build, server, n), [selfCpuSeconds, serverCpu]));
        add(`d  dicomtls -> storescp (${build.name})`, await perEcho((n) => ourEcho(build, storescp, n), [selfCpuSeconds, storescpCpu]));
      }
    }
    for (const server of servers) await server.stop();
    await storescp.stop();

    console.log(`C-ECHO over DICOM TLS, N=${N} per association, median of ${ROUNDS} round(s); CPU per echo from /proc (all threads, user + system)`);
    const f = (x: number): string => x.toFixed(3);
    const table = [...rows].map(([key, samples]) => {
      const m = (i: number): number => median(samples.map((s) => s[i] ?? 0));
      return [key, f(m(0)), f(m(1)), f(m(2))];
    });
    printTable(["case", "wall ms/echo", "SCU CPU ms/echo", "SCP CPU ms/echo"], table);
    const cpuOf = (key: string, i: number): number => median((rows.get(key) ?? []).map((s) => s[i] ?? 0));
    const a = "a  echoscu -> storescp";
    for (const build of builds) {
      const scp = cpuOf(`b  echoscu -> dicomtls (${build.name})`, 2) / cpuOf(a, 2);
      const scu = cpuOf(`d  dicomtls -> storescp (${build.name})`, 1) / cpuOf(a, 1);
      console.log(`CPU per echo (${build.name}): our server / storescp ${scp.toFixed(2)}x, our SCU / echoscu ${scu.toFixed(2)}x`);
    }
    if (PROFILE_DIR !== undefined) summarizeProfiles(PROFILE_DIR, 40);
  } finally {
    await stopAll();
    tmp.remove();
  }
}

await main();
