import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { requireTool } from "./dcmtk.js";
import { freePort } from "./ports.js";
import { runProcess, startProcess, type TrackedProcess } from "./process.js";

/** The test-only Java TLS client standing in for dcm4che 5 (source kept in the repository, compiled per run). */
export const DCM_TLS_PROXY_SOURCE = fileURLToPath(new URL("../java/DcmTlsProxy.java", import.meta.url));

/** Compile DcmTlsProxy.java with javac into `outDir` (a temporary folder of the test); returns the class path. */
export async function compileDcmTlsProxy(outDir: string): Promise<string> {
  requireTool("javac");
  const r = await runProcess("javac", ["-d", outDir, DCM_TLS_PROXY_SOURCE], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `javac ${DCM_TLS_PROXY_SOURCE} failed:\n${r.output}`);
  return outDir;
}

export interface Dcm4cheProxyOptions {
  /** From compileDcmTlsProxy. */
  readonly classPath: string;
  /** The DICOM TLS node to relay to. */
  readonly connect: { host: string; port: number };
  readonly keyStore: string;
  readonly keyStorePass: string;
  readonly trustStore: string;
  readonly trustStorePass: string;
  /** dcm4che's TLS options, e.g. ["--tls"] (its default suite) or ["--tls13", "--tls-cipher", "TLS_AES_128_GCM_SHA256"]. */
  readonly tlsOptions: readonly string[];
}

export interface StartedDcm4cheProxy {
  readonly process: TrackedProcess;
  /** The plain local port DCMTK's storescu connects to. */
  readonly port: number;
}

/** Start the Java TLS client on a free local port; resolves once it listens (its "LISTENING port" line). */
export async function startDcm4cheProxy(opts: Dcm4cheProxyOptions): Promise<StartedDcm4cheProxy> {
  requireTool("java");
  const port = await freePort();
  const args = [
    "-cp",
    opts.classPath,
    "DcmTlsProxy",
    "--listen",
    String(port),
    "--connect",
    `${opts.connect.host}:${opts.connect.port}`,
    "--key-store",
    opts.keyStore,
    "--key-store-pass",
    opts.keyStorePass,
    "--trust-store",
    opts.trustStore,
    "--trust-store-pass",
    opts.trustStorePass,
    ...opts.tlsOptions,
  ];
  const proc = await startProcess("java", args, { readyPattern: /LISTENING \d+/, readyTimeoutMs: 60_000 });
  return { process: proc, port };
}
