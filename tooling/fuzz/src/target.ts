import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appCommand, freePort } from "@dicomtls/test-peers";
import { createTestPki, writeCert, writePem } from "@dicomtls/test-pki";
import type { Endpoint } from "./client.js";

/** Log lines kept for a crash report: the last ones only, so a million-case run does not hold its whole log. */
const LOG_TAIL_BYTES = 64 * 1024;

/** A running dicomtls-server (the built bin) with a DICOM TLS port and a plain port. */
export interface FuzzTarget {
  readonly pid: number;
  readonly endpoint: Endpoint;
  readonly configPath: string;
  /** PEM files a real peer (echoscu +tls) uses: a client key and chain the server trusts, and the CA to trust it back. */
  readonly files: { readonly clientKey: string; readonly clientCert: string; readonly ca: string };
  /** Resolves with the exit code or signal when the process ends. */
  readonly exited: Promise<number | string>;
  alive(): boolean;
  /** `internal-error` records seen so far: exceptions the per-connection boundary caught (a bug, not a crash). */
  readonly internalErrors: string[];
  logTail(): string;
  /** Resident set size (VmRSS) in KiB, from /proc/PID/status. */
  rssKb(): number;
  /** Open file descriptors, from /proc/PID/fd. */
  fdCount(): number;
  /** The sockets among them (listening ones included). */
  socketCount(): number;
  /** SIGTERM by pid, SIGKILL after 10 s; resolves when it is gone. */
  stop(): Promise<number | string>;
}

export interface TargetOptions {
  /** DicomTlsRemoteCertificateRequired false: TLS clients without a certificate are served (default true here). */
  readonly anonymousTls?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts the built server bin in `dir` with a fresh test PKI; resolves once it logged "listening". */
export async function startTarget(dir: string, options: TargetOptions = {}): Promise<FuzzTarget> {
  const pki = await createTestPki({ name: "fuzz " });
  const node = writeCert(dir, "node", pki.server);
  const client = writeCert(dir, "client", pki.client);
  const ca = writePem(dir, "ca.crt", pki.trustedBundle);
  const [tlsPort, plainPort] = [await freePort(), await freePort()];
  const configPath = join(dir, "fuzz-server.json");
  const config = {
    DicomAet: "DICOMTLS",
    // Off: the default HttpPort 8042 would be shared with every other server the tests start.
    HttpServerEnabled: false,
    DicomPort: tlsPort,
    DicomPlainPort: plainPort,
    DicomTlsEnabled: true,
    DicomTlsCertificate: node.chainFile,
    DicomTlsPrivateKey: node.keyFile,
    DicomTlsTrustedCertificates: ca,
    DicomTlsRemoteCertificateRequired: options.anonymousTls === false,
    StorageDirectory: join(dir, "storage"),
    // One of the calling AE titles the templates pick is a known modality (every Allow* defaults to true), so its
    // cases get past Orthanc's per-command access control (C-FIND/MOVE/GET and N-ACTION need a known AE) into the
    // services; the other titles stay unknown and meet the refusals.
    DicomModalities: { modality: ["MODALITY", "127.0.0.1", 104] },
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const { cmd, args } = appCommand("server", { built: true });
  const child: ChildProcess = spawn(cmd, [...args, configPath], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${cmd} ${args.join(" ")}`);
  let tail = "";
  let pending = "";
  const internalErrors: string[] = [];
  let listening: (() => void) | undefined;
  const onData = (d: Buffer): void => {
    const text = d.toString("utf8");
    tail = (tail + text).slice(-LOG_TAIL_BYTES);
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes('"event":"internal-error"')) internalErrors.push(line);
      else if (line.includes('"event":"listening"')) listening?.();
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve(code ?? signal ?? -1);
    });
  });
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const up = await Promise.race([
    new Promise<boolean>((resolve) => (listening = () => resolve(true))),
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref()),
  ]);
  if (!up) {
    child.kill("SIGKILL");
    throw new Error(`dicomtls-server did not start listening:\n${tail}`);
  }
  return {
    pid,
    configPath,
    files: { clientKey: client.keyFile, clientCert: client.chainFile, ca },
    endpoint: { host: "127.0.0.1", plainPort, tlsPort, calledAeTitle: "DICOMTLS", clientKey: pki.client.key, clientCert: pki.client.chain },
    exited,
    alive: () => running,
    internalErrors,
    logTail: () => tail,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN),
    fdCount: () => readdirSync(`/proc/${pid}/fd`).length,
    socketCount: () =>
      readdirSync(`/proc/${pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:");
        } catch {
          return false; // closed while we looked
        }
      }).length,
    async stop() {
      process.off("exit", killOnExit);
      if (!running) return await exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
