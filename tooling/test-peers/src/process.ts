import { spawn, type ChildProcess } from "node:child_process";

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve start once stdout or stderr matches this. */
  readyPattern?: RegExp;
  /** How long to wait for readyPattern (ms). */
  readyTimeoutMs?: number;
}

export interface TrackedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Wait until the output matches pattern (ms timeout). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM by pid, then SIGKILL after graceMs; resolves when it is gone. */
  stop(graceMs?: number): Promise<number | string>;
}

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
  output: string;
}

const live = new Set<TrackedProcess>();

/** Start a long-running peer; tracked so stopAll() can end it by pid. */
export async function startProcess(cmd: string, args: readonly string[], opts: StartOptions = {}): Promise<TrackedProcess> {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    out += d.toString("utf8");
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? signal ?? -1);
      for (const w of waiters.splice(0)) w();
    });
    child.once("error", (err) => {
      out += `\nspawn error: ${err.message}\n`;
      resolve(-1);
      for (const w of waiters.splice(0)) w();
    });
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const proc: TrackedProcess = {
    get pid() {
      return child.pid ?? -1;
    },
    child,
    output: () => out,
    exited,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (ended) throw new Error(`${cmd} exited before printing ${String(pattern)}; output:\n${out}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)} from ${cmd}; output:\n${out}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async stop(graceMs = 5_000) {
      if (!ended && child.pid !== undefined) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          /* already gone */
        }
        const t = setTimeout(() => {
          try {
            if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
          } catch {
            /* already gone */
          }
        }, graceMs);
        await exited;
        clearTimeout(t);
      }
      live.delete(proc);
      return await exited;
    },
  };
  live.add(proc);
  if (opts.readyPattern) {
    try {
      await proc.waitFor(opts.readyPattern, opts.readyTimeoutMs ?? 15_000);
    } catch (err) {
      await proc.stop(500);
      throw err;
    }
  }
  return proc;
}

/** Run a command to completion (bounded by timeoutMs, then killed by pid). */
export async function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
    output += d.toString("utf8");
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
    output += d.toString("utf8");
  });
  if (opts.input !== undefined) child.stdin.end(opts.input);
  else child.stdin.end();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const timer = setTimeout(() => {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }, timeoutMs);
  const code = await new Promise<number | string>((resolve) => {
    child.once("exit", (c, s) => resolve(c ?? s ?? -1));
    child.once("error", (err) => {
      stderr += `spawn error: ${err.message}`;
      resolve(-1);
    });
  });
  clearTimeout(timer);
  return { code, stdout, stderr, output };
}

/** Stop every process started by startProcess that is still running (use in after()). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(2_000)));
}
