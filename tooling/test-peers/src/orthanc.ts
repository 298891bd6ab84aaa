import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dcmtkEnv, requireTool } from "./dcmtk.js";
import { startProcess, type TrackedProcess } from "./process.js";

/** Debian's Orthanc binary (package `orthanc`); the system service must be stopped (scripts/setup-peers.sh). */
export const ORTHANC_BINARY = "/usr/sbin/Orthanc";

export interface OrthancOptions {
  /** Working folder: the config, storage and index go here. */
  dir: string;
  dicomPort: number;
  httpPort: number;
  /** Orthanc's own AE title (default ORTHANC). */
  aet?: string;
  /** Extra configuration keys merged over the defaults (e.g. DicomTlsEnabled, DicomModalities). */
  config?: Record<string, unknown>;
  /** How long to wait for the REST API (ms, default 30 s). */
  readyTimeoutMs?: number;
}

export interface RestResponse {
  status: number;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: unknown;
  body: Buffer;
}

export interface StartedOrthanc {
  readonly process: TrackedProcess;
  readonly configPath: string;
  readonly dicomPort: number;
  readonly httpPort: number;
  readonly aet: string;
  /** Call the REST API on 127.0.0.1; a non-JSON body object is sent as JSON, a string or Buffer as is. */
  rest(method: string, path: string, body?: unknown): Promise<RestResponse>;
  /** Like rest() but throws unless the status is 2xx; returns the parsed JSON (or the raw body). */
  restOk(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Everything Orthanc logged so far (verbose). */
  output(): string;
  /** SIGTERM by pid (SIGKILL after a grace period). */
  stop(): Promise<number | string>;
}

/**
 * Start Debian's Orthanc 1.10.1 with its own configuration in `dir`, listening on 127.0.0.1 ports chosen by the
 * caller (use freePort()), and wait until its REST API answers GET /system.
 */
export async function startOrthanc(opts: OrthancOptions): Promise<StartedOrthanc> {
  requireTool(ORTHANC_BINARY);
  const aet = opts.aet ?? "ORTHANC";
  const storage = join(opts.dir, "storage");
  mkdirSync(storage, { recursive: true });
  const config: Record<string, unknown> = {
    Name: `test-${aet}`,
    StorageDirectory: storage,
    IndexDirectory: storage,
    StorageCompression: false,
    DicomAet: aet,
    DicomPort: opts.dicomPort,
    HttpPort: opts.httpPort,
    RemoteAccessAllowed: true,
    AuthenticationEnabled: false,
    // No Debian plugins: this instance must not pick up /usr/share/orthanc/plugins or the system's config.
    Plugins: [],
    DicomCheckCalledAet: false,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowEcho: true,
    UnknownSopClassAccepted: true,
    HttpTimeout: 60,
    DicomScuTimeout: 30,
    DicomAssociationCloseDelay: 0,
    ...opts.config,
  };
  const configPath = join(opts.dir, "orthanc.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // Orthanc's DICOM side is Debian's DCMTK, which leaves Nagle on unless TCP_NODELAY=1 is in its environment.
  const proc = await startProcess(ORTHANC_BINARY, ["--verbose", configPath], { cwd: opts.dir, env: dcmtkEnv() });
  const base = `http://127.0.0.1:${opts.httpPort}`;

  const rest = async (method: string, path: string, body?: unknown): Promise<RestResponse> => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      if (typeof body === "string" || Buffer.isBuffer(body)) init.body = body;
      else {
        init.body = JSON.stringify(body);
        init.headers = { "content-type": "application/json" };
      }
    }
    const res = await fetch(base + path, init);
    const buf = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    if ((res.headers.get("content-type") ?? "").includes("json")) {
      try {
        json = JSON.parse(buf.toString("utf8"));
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, json, body: buf };
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    const code = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
    if (code !== undefined) throw new Error(`Orthanc exited (${String(code)}) before its REST API answered; log:\n${proc.output()}`);
    try {
      const r = await rest("GET", "/system");
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await proc.stop(1_000);
      throw new Error(`Orthanc's REST API on ${base} did not answer within the timeout; log:\n${proc.output()}`);
    }
  }

  return {
    process: proc,
    configPath,
    dicomPort: opts.dicomPort,
    httpPort: opts.httpPort,
    aet,
    rest,
    async restOk(method, path, body) {
      const r = await rest(method, path, body);
      if (r.status < 200 || r.status > 299) {
        throw new Error(`Orthanc ${method} ${path} answered ${r.status}: ${r.body.toString("utf8").slice(0, 500)}`);
      }
      return r.json ?? r.body;
    },
    output: () => proc.output(),
    stop: () => proc.stop(),
  };
}
