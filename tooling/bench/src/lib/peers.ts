import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dcmtkEnv, freePort, requireTool, startProcess, startServer, type StartedServer, type TrackedProcess, waitListening } from "@dicomtls/test-peers";
import type { DevPki } from "./pki.js";

export { waitListening };

export interface StorescpOptions {
  /** Where received files go (storescp --output-directory). */
  readonly outputDir: string;
  /** DICOM TLS with the dev PKI's node certificate, trusting its CA; plain TCP when absent. */
  readonly pki?: DevPki;
  readonly aet?: string;
  /** Extra storescp arguments (e.g. ["--ignore"], ["--max-pdu", "131072"]). */
  readonly args?: readonly string[];
}

export interface RunningPeer {
  readonly port: number;
  readonly aet: string;
  readonly process: TrackedProcess;
  stop(): Promise<number | string>;
}

/** DCMTK storescp (with TCP_NODELAY=1) on a free port, waited for until it accepts connections. */
export async function startStorescp(opts: StorescpOptions): Promise<RunningPeer> {
  requireTool("storescp");
  const port = await freePort();
  const aet = opts.aet ?? "STORESCP";
  const tls = opts.pki === undefined ? [] : ["+tls", opts.pki.nodeKey, opts.pki.nodeCert, "+cf", opts.pki.caCert];
  const proc = await startProcess("storescp", [...tls, "-aet", aet, "--output-directory", opts.outputDir, ...(opts.args ?? []), String(port)], { env: dcmtkEnv() });
  await waitListening(port);
  return { port, aet, process: proc, stop: () => proc.stop() };
}

export interface DicomTlsOptions {
  /** Folder for the config file and StorageDirectory. */
  readonly dir: string;
  /** DICOM TLS with the dev PKI (node certificate, CA as trusted); plain TCP when absent. */
  readonly pki?: DevPki;
  readonly aet?: string;
  /** Extra Orthanc configuration keys merged over the generated ones. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  /** Run the built server (apps/server/dist, as users run it) instead of its sources through tsx. */
  readonly built?: boolean;
  /**
   * Another build's bin to run instead (e.g. /work/main/apps/server/bin/dicomtls-server.js): a "before" next to the
   * "after" in one run, on the same loaded machine.
   */
  readonly serverBin?: string;
  /**
   * Node flags for `serverBin` (e.g. ["--cpu-prof", "--cpu-prof-dir=DIR"]): they must precede the bin path (after it
   * they are the server's argv), and NODE_OPTIONS refuses --cpu-prof ("not allowed in NODE_OPTIONS").
   */
  readonly execArgv?: readonly string[];
}

/** Writes an Orthanc-style configuration for dicomtls-server and returns its path. */
export function writeServerConfig(opts: DicomTlsOptions & { readonly port: number }): string {
  const config: Record<string, unknown> = {
    DicomAet: opts.aet ?? "DICOMTLS",
    DicomPort: opts.port,
    // Off unless the bench's config turns it on (measuring the cost of metrics): 8042 may be taken.
    HttpServerEnabled: false,
    StorageDirectory: join(opts.dir, "storage"),
    DicomTlsEnabled: opts.pki !== undefined,
    ...(opts.pki !== undefined && {
      DicomTlsCertificate: opts.pki.nodeCert,
      DicomTlsPrivateKey: opts.pki.nodeKey,
      DicomTlsTrustedCertificates: opts.pki.caCert,
    }),
    ...opts.config,
  };
  const path = join(opts.dir, "dicomtls.json");
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** dicomtls-server (from sources as the tests run it, or `built`) on a free port with a generated configuration. */
export async function startDicomTls(opts: DicomTlsOptions): Promise<StartedServer & { readonly aet: string }> {
  const port = await freePort();
  const path = writeServerConfig({ ...opts, port });
  if (opts.serverBin !== undefined) return Object.assign(await startServerBin(opts.serverBin, path, opts.env, opts.execArgv ?? []), { aet: opts.aet ?? "DICOMTLS" });
  const server = await startServer(path, { ...(opts.env !== undefined && { env: opts.env }), ...(opts.built !== undefined && { built: opts.built }) });
  return Object.assign(server, { aet: opts.aet ?? "DICOMTLS" });
}

/** Parsed JSON log lines of a server's output. */
function records(output: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line
    }
  }
  return out;
}

/** A dicomtls-server bin of another build, with a configuration, waited for until it logs "listening". */
async function startServerBin(bin: string, configPath: string, env: NodeJS.ProcessEnv | undefined, execArgv: readonly string[]): Promise<StartedServer> {
  const listening = /"event":"listening","port":(\d+)/;
  const proc = await startProcess(process.execPath, [...execArgv, bin, configPath], { env: { ...process.env, ...env }, readyPattern: listening, readyTimeoutMs: 30_000 });
  return {
    process: proc,
    port: Number(proc.output().match(listening)?.[1]),
    records: () => records(proc.output()),
    async waitForRecord(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = records(proc.output()).find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching log record within ${timeoutMs} ms from ${bin}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => proc.stop(),
  };
}
