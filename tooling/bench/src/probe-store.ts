/**
 * One (b) row of the store benchmark, repeated, for investigating the receive path: DCMTK storescu +tls into
 * dicomtls-server over TLS with durable storage (or, with --storescp, into DCMTK storescp as the reference). Prints
 * per run seconds, files/s, MB/s, the server's runtime-stats, its CPU seconds (/proc, all threads) and the CPU of each
 * thread; with --prof DIR the server's main thread is profiled (.cpuprofile in DIR), --env K=V adds server environment.
 * --http on serves the HTTP port with /metrics (scraped every second during the run, a busy Prometheus); --http both
 * alternates runs without and with it, to measure what the metrics cost on the store path in one run.
 * DIR is a folder of .dcm files, e.g. one pnpm bench:store generated under $TMPDIR/dicomtls-bench/.
 * With --audit each run is done twice, without and then with the PS3.15 audit trail (AuditTrail.File and RFC 5425
 * TLS to an rsyslogd the probe starts), so the cost of the audit trail on the store path is read in one run.
 * --sync true|false|both sets the server's SyncStorageArea (default true); both alternates runs with true and false.
 * --built runs the built server (apps/server/dist, `pnpm build` first) instead of its sources.
 *
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/probe-store.ts DIR [--runs N] [--storescp] [--audit] [--prof DIR] [--env K=V]... [--http off|on|both] [--sync true|false|both] [--built]
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dcmtkEnv, freePort, startRsyslogTls, stopAll, type StartedRsyslog } from "@dicomtls/test-peers";
import { makeDevPki, profilerEnv, startDicomTls, startStorescp, timedRun } from "./lib/index.js";

const MB = 1024 * 1024;
const MAX_PDU = 131072;
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = args[0];
if (dir === undefined) throw new Error("usage: probe-store.ts DATA_DIR [--runs N] [--prof DIR] [--env K=V] [--storescp]");
const runs = Number(opt("--runs") ?? "1");
const http = opt("--http") ?? "off";
if (!["off", "on", "both"].includes(http)) throw new Error("--http: expected off, on or both");
/** Whether run r (0-based) serves /metrics. */
const httpOn = (r: number): boolean => http === "on" || (http === "both" && r % 2 === 1);
const sync = opt("--sync") ?? "true";
if (!["true", "false", "both"].includes(sync)) throw new Error("--sync: expected true, false or both");
/** SyncStorageArea of run r (0-based). */
const syncOn = (r: number): boolean => sync === "true" || (sync === "both" && r % 2 === 0);
const prof = opt("--prof");
const env: Record<string, string> = {};
args.forEach((a, i) => {
  if (a === "--env") {
    const pair = args[i + 1] ?? "";
    const eq = pair.indexOf("=");
    // Split at the first "=" only: values such as NODE_OPTIONS=--max-old-space-size=512 keep theirs.
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
});
/** CPU seconds (user + system, all threads) a live process used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** CPU seconds per thread name (comm) of a live process. */
function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      out[`${name}:${tid}`] = Math.round(((out[`${name}:${tid}`] ?? 0) + (Number(f[11]) + Number(f[12])) / 100) * 100) / 100;
    } catch {
      // thread ended
    }
  }
  return out;
}
const files = readdirSync(dir).filter((n) => n.endsWith(".dcm"));
const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);

const work = join(tmpdir(), `dicomtls-probe-${process.pid}`);
mkdirSync(work, { recursive: true });
const pki = await makeDevPki(join(work, "pki"));
if (prof !== undefined) {
  Object.assign(env, profilerEnv(work, resolve(prof)));
}
const storescuArgs = (port: number, aet: string): string[] => [
  "+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-aet", "STORESCU", "-aec", aet, "-R", "+sd", "+r", "--scan-pattern", "*.dcm", "127.0.0.1", String(port), dir,
];
const audit = args.includes("--audit");
let rsyslog: StartedRsyslog | undefined;
if (audit) {
  mkdirSync(join(work, "rsyslog"), { recursive: true });
  rsyslog = await startRsyslogTls({ dir: join(work, "rsyslog"), certFile: pki.nodeCert, keyFile: pki.nodeKey, caFile: pki.caCert });
}
/** Without, then with the audit trail when --audit; once otherwise. */
const variants = audit ? [false, true] : [false];
try {
  for (let round = 0; round < runs * variants.length; round++) {
    const r = Math.floor(round / variants.length);
    const withAudit = variants[round % variants.length] === true;
    // A new folder per run, all deleted at the end: see freshDir() in store.ts (ext4 without a journal pays for
    // files deleted in the last ~30 s at every file creation).
    const serverDir = join(work, `run-${r + 1}${withAudit ? "-audit" : ""}`);
    mkdirSync(serverDir, { recursive: true });
    let ms: number;
    let stats: Record<string, unknown> = {};
    if (args.includes("--storescp")) {
      const scp = await startStorescp({ outputDir: serverDir, pki, args: ["--max-pdu", String(MAX_PDU)] });
      const cpu0 = cpuSeconds(scp.process.pid);
      ({ ms } = await timedRun("storescu", storescuArgs(scp.port, scp.aet), { env: dcmtkEnv(), timeoutMs: 600_000 }));
      stats = { serverCpuS: cpuSeconds(scp.process.pid) - cpu0 };
      await scp.stop();
    } else {
      const httpPort = httpOn(r) ? await freePort() : undefined;
      const httpConfig = httpPort === undefined ? {} : { HttpServerEnabled: true, HttpPort: httpPort, MetricsEnabled: true };
      const server = await startDicomTls({ dir: serverDir, pki, env, built: args.includes("--built"), config: {
          MaximumPduLength: MAX_PDU,
          DicomAlwaysAllowStore: true,
          DicomCheckCalledAet: false,
          SyncStorageArea: syncOn(r),
          ...httpConfig,
          ...(withAudit && rsyslog !== undefined && { AuditTrail: { File: join(serverDir, "audit.log"), Syslog: { Host: "127.0.0.1", Port: rsyslog.port, Protocol: "tls" } } }),
        },
      });
      const cpu0 = cpuSeconds(server.process.pid);
      const threads0 = threadCpu(server.process.pid);
      let scrapes = 0;
      const scraper =
        httpPort === undefined
          ? undefined
          : setInterval(() => {
              void fetch(`http://127.0.0.1:${httpPort}/metrics`).then(async (res) => {
                if (res.ok && (await res.text()).includes("dicomtls_instances_stored_total")) scrapes++;
              });
            }, 1000);
      ({ ms } = await timedRun("storescu", storescuArgs(server.port, server.aet), { env: dcmtkEnv(), timeoutMs: 600_000 }));
      clearInterval(scraper);
      if (httpPort !== undefined) console.log(`metrics on: ${scrapes} scrapes of /metrics during the run`);
      const cpu = cpuSeconds(server.process.pid) - cpu0;
      const threads1 = threadCpu(server.process.pid);
      console.log("threads", JSON.stringify(Object.fromEntries(Object.entries(threads1).map(([k, v]) => [k, Math.round((v - (threads0[k] ?? 0)) * 100) / 100]))));
      await server.stop();
      stats = { ...(await server.waitForRecord((x) => x["event"] === "runtime-stats", 10_000)), serverCpuS: cpu };
      if (withAudit) {
        const a = await server.waitForRecord((x) => x["event"] === "audit-stopped", 10_000);
        stats = { ...stats, auditMessages: a["messages"], auditSyslogSent: a["syslogSent"], auditSyslogDropped: a["syslogDropped"] };
      }
      for (const line of server.process.output().split("\n")) if (line.startsWith("TRACE")) console.log(line);
      if (!existsSync(join(serverDir, "storage"))) throw new Error("nothing stored");
    }
    const s = ms / 1000;
    const { level: _l, time: _t, pid: _p, hostname: _h, name: _n, msg: _m, event: _e, ...rest } = stats;
    const syncLabel = args.includes("--storescp") || sync === "true" ? "" : ` (SyncStorageArea ${syncOn(r)})`;
    const label = `${audit ? (withAudit ? " with audit   " : " without audit") : ""}${http === "off" ? "" : httpOn(r) ? " (metrics on)" : " (metrics off)"}${syncLabel}`;
    console.log(`run ${r + 1}${label}: ${s.toFixed(2)} s  ${(files.length / s).toFixed(1)} files/s  ${(bytes / MB / s).toFixed(1)} MB/s  ${JSON.stringify(rest)}`);
  }
} finally {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}
