import { runProcess, type RunResult } from "@dicomtls/test-peers";

/** Wall-clock milliseconds of an async operation. */
export async function timed<T>(op: () => Promise<T>): Promise<{ readonly ms: number; readonly value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await op();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** Runs a command to completion, timing it; throws (with its output) unless it exits 0. */
export async function timedRun(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ readonly ms: number; readonly result: RunResult }> {
  const { ms, value } = await timed(() => runProcess(cmd, args, opts));
  if (value.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${String(value.code)}:\n${value.output}`);
  return { ms, result: value };
}

/** The median of a few samples: runs on a shared 2-core machine are noisy, one sample is not a number. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
