import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dcmtkEnv, requireTool, runProcess, type RunResult, type StartedServer, waitListening } from "@dicomtls/test-peers";

/** Every peer these tests drive; a missing one is a setup error (scripts/setup-peers.sh), never a skip. */
export function requirePeers(...tools: string[]): void {
  for (const t of tools) requireTool(t);
}

/**
 * The seed's certificate command, verbatim (Orthanc book, "Configuring DICOM TLS"):
 * `openssl req -x509 -nodes -days 365 -newkey rsa:2048 -keyout NAME.key -out NAME.crt -subj "/C=BE/CN=localhost"`.
 */
export async function seedCertificate(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const r = await runProcess(
    "openssl",
    ["req", "-x509", "-nodes", "-days", "365", "-newkey", "rsa:2048", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", "/C=BE/CN=localhost"],
    { cwd: dir, timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, `openssl req failed:\n${r.output}`);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Writes an Orthanc configuration file (plain JSON, as an administrator would) and returns its path. The HTTP port is
 * off unless the configuration sets HttpServerEnabled: its default 8042 would be shared by every server of every test.
 */
export function writeConfig(dir: string, name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify({ HttpServerEnabled: false, ...config }, null, 2)}\n`);
  return path;
}

/** DCMTK echoscu with TCP_NODELAY=1, bounded in time. */
export async function echoscu(args: readonly string[]): Promise<RunResult> {
  return await runProcess("echoscu", args, { env: dcmtkEnv(), timeoutMs: 30_000 });
}

/** The seed's success line, and that echoscu exited 0. */
export function assertEchoSucceeded(r: RunResult): void {
  assert.match(r.output, /Received Echo Response \(Success\)/, r.output);
  assert.equal(r.code, 0, r.output);
}

/** echoscu did not get an echo through: no success line and a non-zero exit. */
export function assertEchoRefused(r: RunResult): void {
  assert.doesNotMatch(r.output, /Received Echo Response/, r.output);
  assert.notEqual(r.code, 0, r.output);
}

/** A refusal record for a TLS peer: right event, the reason code, and the peer as ip:port. */
export async function waitForTlsRefusal(server: StartedServer, reason: RegExp, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const record = await server.waitForRecord((r) => r["event"] === "tls-peer-refused" && typeof r["reason"] === "string" && reason.test(r["reason"]), timeoutMs);
  assert.match(String(record["peer"]), /^127\.0\.0\.1:\d{1,5}$/, JSON.stringify(record));
  return record;
}

export { waitListening };

/** Resolves with the value, or rejects naming what did not happen within ms. */
export async function within<T>(ms: number, what: string, p: Promise<T>, context?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms${context === undefined ? "" : `; output:\n${context()}`}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
