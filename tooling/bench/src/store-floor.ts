/**
 * The floor of a C-STORE SCP in Node (issue 13): `storescu +tls` sends the 500 x 512 KB CT set, in one run and
 * alternating rounds, to storescp +tls, to the bare Node TLS receiver of lib/floor-store-server.ts (durable and not),
 * and to the built dicomtls-server (SyncStorageArea true and false). Prints each receiver's CPU per instance (all
 * threads, user + system, /proc) and its ratio to storescp's: the floor rows are what Node's TLS socket, its event loop
 * and the file system cost with none of dicomtls' own code; dicomtls' CPU above the floor is ours.
 * Run after `pnpm build`:
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/store-floor.ts [--count 500] [--rounds 3] [--pdu 131072]
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SyntheticPreset, dcmtkEnv, freePort, requireTool, startProcess, stopAll, tempDir, writePart10File, type TrackedProcess } from "@dicomtls/test-peers";
import { cpuDuring, makeDevPki, median, printTable, startDicomTls, startStorescp, timedRun, type DevPki } from "./lib/index.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const COUNT = flag("--count", 500);
const ROUNDS = flag("--rounds", 3);
const PDU = flag("--pdu", 131072);

interface Receiver {
  readonly label: string;
  start(dir: string): Promise<{ port: number; aet: string; pid: number; stop: () => Promise<unknown> }>;
}

function receivers(pki: DevPki): Receiver[] {
  const floor = (durable: boolean, folders = 1): Receiver => ({
    label: `bare Node TLS receiver${durable ? ", durable" : ""}${folders > 1 ? `, ${folders} folders` : ""}`,
    async start(dir) {
      const port = await freePort();
      const script = fileURLToPath(new URL("./lib/floor-store-server.ts", import.meta.url));
      const proc: TrackedProcess = await startProcess(process.execPath, ["--conditions=dicomtls-source", "--import", "tsx", script, String(port), join(dir, "in"), String(durable), String(PDU), pki.nodeKey, pki.nodeCert, pki.caCert, String(folders)], { readyPattern: /floor listening/ });
      return { port, aet: "FLOOR", pid: proc.pid, stop: () => proc.stop() };
    },
  });
  const dicomtls = (sync: boolean): Receiver => ({
    label: `dicomtls-server${sync ? ", durable" : ", SyncStorageArea false"}`,
    async start(dir) {
      const s = await startDicomTls({ dir, pki, built: true, config: { MaximumPduLength: PDU, SyncStorageArea: sync } });
      return { port: s.port, aet: s.aet, pid: s.process.pid, stop: () => s.stop() };
    },
  });
  return [
    {
      label: "storescp (no fsync)",
      async start(dir) {
        const s = await startStorescp({ outputDir: join(dir, "in"), pki, args: ["--max-pdu", String(PDU)] });
        return { port: s.port, aet: s.aet, pid: s.process.pid, stop: () => s.stop() };
      },
    },
    floor(false),
    floor(true),
    floor(true, 256),
    dicomtls(false),
    dicomtls(true),
  ];
}

async function main(): Promise<void> {
  requireTool("storescu");
  requireTool("storescp");
  const tmp = tempDir("dicomtls-store-floor-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const data = join(tmp.path, "dataset");
    mkdirSync(data, { recursive: true });
    for (let i = 0; i < COUNT; i++) await writePart10File(join(data, `${String(i).padStart(4, "0")}.dcm`), { ...SyntheticPreset.Ct512k, seed: 1000 + i });
    await timedRun("sync", []);
    const all = receivers(pki);
    const cpu = new Map<string, number[]>();
    const rate = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, r] of all.entries()) {
        const dir = join(tmp.path, `r${round}-${i}`);
        mkdirSync(join(dir, "in"), { recursive: true });
        const peer = await r.start(dir);
        const args = ["-aet", "FLOORSCU", "-aec", peer.aet, "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "--max-pdu", String(PDU), "+sd", "127.0.0.1", String(peer.port), data];
        const { cpuS, value } = await cpuDuring(peer.pid, () => timedRun("storescu", args, { env: dcmtkEnv(), timeoutMs: 600_000 }));
        await peer.stop();
        if (value.result.code !== 0) throw new Error(`storescu -> ${r.label} failed: ${value.result.stderr.slice(-400)}`);
        (cpu.get(r.label) ?? cpu.set(r.label, []).get(r.label)!).push((cpuS * 1000) / COUNT);
        (rate.get(r.label) ?? rate.set(r.label, []).get(r.label)!).push((COUNT * 1000) / value.ms);
      }
    }
    const ref = median(cpu.get(all[0]!.label)!);
    console.log(`\n${COUNT} x 512 KB over DICOM TLS from storescu, ${PDU}-byte PDUs, median of ${ROUNDS} alternating rounds`);
    printTable(
      ["receiver", "CPU ms/inst", "vs storescp", "files/s", "CPU ms/inst each round"],
      all.map((r) => {
        const c = cpu.get(r.label)!;
        return [r.label, median(c).toFixed(2), `${(median(c) / ref).toFixed(2)}x`, median(rate.get(r.label)!).toFixed(0), c.map((v) => v.toFixed(2)).join(" ")];
      }),
    );
  } finally {
    await stopAll();
    tmp.remove();
  }
}
await main();
