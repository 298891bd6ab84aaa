/** Shared setup of the store-*.test.ts and *-orthanc tests: a DICOM TLS node with a test PKI, DCMTK storescu, Orthanc over TLS, RSS sampling. */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { dcmtkEnv, freePort, runProcess, startOrthanc, startProcess, type RunResult, type StartedOrthanc, type TrackedProcess } from "@dicomtls/test-peers";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";

export interface NodeFiles {
  readonly pki: TestPki;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The test root CA: what both ends trust. */
  readonly caFile: string;
}

/** A test PKI written to `dir`: server.crt/key (CN=localhost), client.crt/key, ca.crt. */
export async function writePki(dir: string): Promise<NodeFiles> {
  const pki = await createTestPki({ name: "store-" });
  const server = writeCert(dir, "server", pki.server);
  const client = writeCert(dir, "client", pki.client);
  const caFile = writePem(dir, "ca.crt", pki.trustedBundle);
  return { pki, serverCert: server.certFile, serverKey: server.keyFile, clientCert: client.certFile, clientKey: client.keyFile, caFile };
}

/** An Orthanc configuration for a DICOM TLS node storing under `storage`, on a free port; returns its path and port. */
export async function writeNodeConfig(
  dir: string,
  name: string,
  files: NodeFiles,
  storage: string,
  extra: Record<string, unknown> = {},
): Promise<{ path: string; port: number }> {
  const port = await freePort();
  const config = {
    DicomAet: "DICOMTLS",
    DicomPort: port,
    // Off unless a test turns it on: the default HttpPort 8042 would be shared by every server of every test.
    HttpServerEnabled: false,
    DicomTlsEnabled: true,
    DicomTlsCertificate: files.serverCert,
    DicomTlsPrivateKey: files.serverKey,
    DicomTlsTrustedCertificates: files.caFile,
    StorageDirectory: storage,
    ...extra,
  };
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return { path, port };
}

function storescuTlsArgs(files: NodeFiles, port: number, args: readonly string[]): string[] {
  return ["-v", "-aet", "STORESCU", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "127.0.0.1", String(port), ...args];
}

/** DCMTK storescu over TLS with the client certificate (TCP_NODELAY=1), bounded in time. */
export async function storescuTls(files: NodeFiles, port: number, args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return await runProcess("storescu", storescuTlsArgs(files, port, args), { env: dcmtkEnv(), timeoutMs });
}

/** The same storescu started in the background (stopped by pid with stopAll), for a test that follows its output. */
export async function startStorescuTls(files: NodeFiles, port: number, args: readonly string[]): Promise<TrackedProcess> {
  return await startProcess("storescu", storescuTlsArgs(files, port, args), { env: dcmtkEnv() });
}

/** The files storescu -v reported Success for: each "Sending file: PATH" followed by "Received Store Response (Success)". */
export function acknowledgedFiles(log: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of log.split("\n")) {
    const sending = /Sending file: (.+)$/.exec(line);
    if (sending) current = basename(sending[1]!.trim());
    else if (/Received Store Response \(Success\)/.test(line) && current !== undefined) {
      out.push(current);
      current = undefined;
    }
  }
  return out;
}

/** Every `.dcm` below `dir`. */
export function storedFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.endsWith(".dcm")).map((p) => join(dir, p));
}

/** Anything below `dir` that looks like an instance or a temporary of one. */
export function instanceLeftovers(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.endsWith(".dcm") || p.endsWith(".partial"));
}

/** VmRSS of a process in bytes, from /proc. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, `no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak and the sample count. */
export function sampleRss(pid: number, everyMs = 20): { stop(): { peak: number; samples: number } } {
  let peak = rssOf(pid);
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
      samples++;
    } catch {
      // The process ended; the peak so far stands.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peak, samples };
    },
  };
}

export const MB = 1024 * 1024;

/**
 * Orthanc 1.10.1 over DICOM TLS for the *-orthanc interop tests: its own certificate issued by the test root (both EKUs:
 * it is client and server with one certificate), trusting the root, knowing dicomtls-server at `serverPort` as modality
 * `dicomtls` (AET DICOMTLS, UseDicomTls). `modalities` adds DicomModalities entries, `config` other keys.
 */
export async function startOrthancOverTls(
  dir: string,
  files: NodeFiles,
  serverPort: number,
  opts: { readonly dicomPort?: number; readonly modalities?: Readonly<Record<string, unknown>>; readonly config?: Readonly<Record<string, unknown>> } = {},
): Promise<StartedOrthanc> {
  const own = writeCert(join(dir, "orthanc-pki"), "orthanc", await files.pki.issue({ commonName: "orthanc" }));
  return startOrthanc({
    dir: join(dir, "orthanc"),
    dicomPort: opts.dicomPort ?? (await freePort()),
    httpPort: await freePort(),
    config: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: own.certFile,
      DicomTlsPrivateKey: own.keyFile,
      DicomTlsTrustedCertificates: files.caFile,
      ...opts.config,
      DicomModalities: { dicomtls: { AET: "DICOMTLS", Host: "127.0.0.1", Port: serverPort, UseDicomTls: true }, ...opts.modalities },
    },
  });
}
