import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess, startProcess, type RunResult, type TrackedProcess } from "./process.js";

/** The repository root (this file is tooling/test-peers/{src,dist}/apps.*). */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export type AppName = "server" | "cli";

/**
 * How to run an app: from its sources through tsx when the tests run from sources (no build needed), or from
 * the built bin (`pnpm build`) with `{ built: true }`, which is what users run.
 */
export function appCommand(app: AppName, opts: { built?: boolean } = {}): { cmd: string; args: string[] } {
  if (opts.built === true || !import.meta.url.endsWith(".ts")) {
    const bin = join(repoRoot, app === "server" ? "apps/server/bin/dicomtls-server.js" : "apps/cli/bin/dicomtls.js");
    const dist = join(repoRoot, `apps/${app}/dist/bin.js`);
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
    return { cmd: process.execPath, args: [bin] };
  }
  return { cmd: process.execPath, args: ["--conditions=dicomtls-source", "--import", "tsx", join(repoRoot, `apps/${app}/src/bin.ts`)] };
}

export interface StartedServer {
  readonly process: TrackedProcess;
  /** The main DICOM port, read from the "listening" log line. */
  readonly port: number;
  /** Parsed JSON log records so far. */
  records(): Array<Record<string, unknown>>;
  /** Wait for a log record matching the predicate. */
  waitForRecord(match: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | string>;
}

function parseRecords(output: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/**
 * Start dicomtls-server with CONFIG and wait for its "listening" line. Stop it with stop() (SIGTERM by pid). The
 * default bound is generous: start-up takes ~0.5 s on a quiet 2-core machine and ~3 s at load 17, and a run that
 * shares the machine with benchmarks was seen past 30 s (storage recovery, the codec worker's warm-up).
 */
export async function startServer(configPath: string, opts: { env?: NodeJS.ProcessEnv; built?: boolean; timeoutMs?: number } = {}): Promise<StartedServer> {
  const { cmd, args } = appCommand("server", opts.built === undefined ? {} : { built: opts.built });
  const proc = await startProcess(cmd, [...args, configPath], {
    env: { ...process.env, ...opts.env },
    readyPattern: /"event":"listening","port":(\d+)/,
    readyTimeoutMs: opts.timeoutMs ?? 90_000,
  });
  const m = proc.output().match(/"event":"listening","port":(\d+)/);
  const port = Number(m?.[1]);
  return {
    process: proc,
    port,
    records: () => parseRecords(proc.output()),
    async waitForRecord(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = parseRecords(proc.output()).find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching log record within ${timeoutMs} ms; log:\n${proc.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => proc.stop(),
  };
}

/** Run the dicomtls CLI to completion. */
export async function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; built?: boolean; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const { cmd, args: base } = appCommand("cli", opts.built === undefined ? {} : { built: opts.built });
  return await runProcess(cmd, [...base, ...args], {
    env: { ...process.env, ...opts.env },
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.cwd !== undefined && { cwd: opts.cwd }),
  });
}
