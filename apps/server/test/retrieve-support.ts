/** Shared setup of the retrieve-*.test.ts files: stunnel as the TLS client of movescu/getscu, a storescp +tls destination, fixtures. */
import { strict as assert } from "node:assert";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dcmtkEnv, freePort, requireTool, startProcess, waitListening, writePart10File, type TrackedProcess, type WrittenPart10File, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import type { NodeFiles } from "./store-support.js";

/** UIDs under 2.25 (PS3.5 §B.2) from fixed numbers: readable, stable, unique to these tests. */
export const uid = (n: number): string => `2.25.27182818284590452353602874${String(n).padStart(6, "0")}`;

/**
 * Debian's stunnel4 as a TLS client (DCMTK 3.6.7 movescu/getscu have no TLS): plain DICOM on 127.0.0.1:port in,
 * DICOM TLS with the test client certificate out to `connectPort`, the server's chain and name verified.
 */
export async function startStunnelClient(dir: string, name: string, files: NodeFiles, connectPort: number): Promise<{ port: number; process: TrackedProcess }> {
  requireTool("stunnel4");
  const port = await freePort();
  const conf = join(dir, `${name}.stunnel.conf`);
  writeFileSync(
    conf,
    [
      "foreground = yes",
      "debug = notice",
      `[${name}]`,
      "client = yes",
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${connectPort}`,
      `cert = ${files.clientCert}`,
      `key = ${files.clientKey}`,
      `CAfile = ${files.caFile}`,
      "verifyChain = yes",
      "checkHost = localhost",
      "sslVersionMin = TLSv1.2",
      "",
    ].join("\n"),
  );
  const process = await startProcess("stunnel4", [conf], { readyPattern: /Configuration successful/, readyTimeoutMs: 15_000 });
  return { port, process };
}

/** DCMTK storescp +tls as a Move Destination: bit-preserving files under `outDir`, the client certificate required. */
export async function startStorescpTls(dir: string, aet: string, files: NodeFiles): Promise<{ port: number; outDir: string; process: TrackedProcess }> {
  const port = await freePort();
  const outDir = join(dir, `dest-${aet}`);
  mkdirSync(outDir, { recursive: true });
  const process = await startProcess("storescp", ["-d", "+tls", files.serverKey, files.serverCert, "+cf", files.caFile, "-aet", aet, "+B", "-od", outDir, String(port)], {
    env: dcmtkEnv(),
  });
  await waitListening(port);
  return { port, outDir, process };
}

/** Writes Part 10 sources (no sequences: only datasets DCMTK's storescu sends unchanged can be compared bytewise). */
export async function writeSources(dir: string, specs: readonly SyntheticDatasetSpec[]): Promise<WrittenPart10File[]> {
  mkdirSync(dir, { recursive: true });
  const out: WrittenPart10File[] = [];
  for (const [k, spec] of specs.entries()) out.push(await writePart10File(join(dir, `src-${k}.dcm`), { rows: 16, columns: 16, sequences: false, ...spec }));
  return out;
}

/** The first match of `re` in `text` as a number, or a failed assertion showing the text. */
export function numberIn(text: string, re: RegExp): number {
  const m = re.exec(text);
  assert.ok(m?.[1] !== undefined, `${re} not found in:\n${text}`);
  return Number(m[1]);
}

/** Every regular file below `dir` (DCMTK names received files "CT.<uid>", without an extension). */
export function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => join(dir, p)).filter((p) => statSync(p).isFile());
}
