import { readdirSync, readFileSync } from "node:fs";

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, "utf8");
    return stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  } catch {
    return undefined; // ended (and reaped) meanwhile
  }
}

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) of each thread of `pid` ("self" for this process) so far, keyed "tid name"
 * (/proc/<pid>/task/<tid>/stat); threads that ended are missing.
 */
export function threadCpuSeconds(pid: number | "self"): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${tid}/stat`;
    const f = statFields(path);
    if (f === undefined) continue;
    let name = "?";
    try {
      const stat = readFileSync(path, "utf8");
      name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    } catch {
      // ended between the two reads
    }
    out.set(`${tid} ${name}`, (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND);
  }
  return out;
}

/** "tid name ms" per thread that used CPU between two threadCpuSeconds() readings, per `count` operations, busiest first. */
export function formatThreadCpu(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, count: number): string {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${((v * 1000) / count).toFixed(2)}`)
    .join(", ");
}

/**
 * CPU seconds (user + system) a live process used so far, all its threads (ended ones included), from /proc. With
 * `children`, also its child processes: those reaped (cutime + cstime) and those still there, zombies included (a
 * zombie keeps its times until reaped), e.g. the per-association children of `storescp --fork`.
 */
export function processCpuSeconds(pid: number, opts: { children?: boolean } = {}): number {
  const f = statFields(`/proc/${pid}/stat`);
  if (f === undefined) throw new Error(`process ${pid} is gone: its CPU time cannot be read`);
  // proc(5): utime, stime, cutime, cstime are fields 14-17, i.e. 11-14 after the command name.
  let ticks = Number(f[11]) + Number(f[12]);
  if (opts.children === true) {
    ticks += Number(f[13]) + Number(f[14]);
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
      const c = statFields(`/proc/${entry}/stat`);
      // Field 4 (ppid) is index 1 after the command name.
      if (c !== undefined && Number(c[1]) === pid) ticks += Number(c[11]) + Number(c[12]) + Number(c[13]) + Number(c[14]);
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds a process spends during `op` (see processCpuSeconds). */
export async function cpuDuring<T>(pid: number, op: () => Promise<T>, opts: { children?: boolean } = {}): Promise<{ readonly cpuS: number; readonly value: T }> {
  const before = processCpuSeconds(pid, opts);
  const value = await op();
  return { cpuS: processCpuSeconds(pid, opts) - before, value };
}

/**
 * CPU seconds (user + system) of this process's children that ended and were reaped so far (cutime + cstime of
 * /proc/self/stat): the cost of a short-lived client such as storescu, read as the difference around its run while
 * no other child ends.
 */
export function reapedChildrenCpuSeconds(): number {
  const f = statFields("/proc/self/stat");
  if (f === undefined) throw new Error("/proc/self/stat cannot be read");
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** CPU seconds (user + system) of this process so far, every thread (worker threads included): getrusage(RUSAGE_SELF). */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
