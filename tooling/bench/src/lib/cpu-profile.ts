import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { printTable } from "./table.js";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time (ms) per function ("name file:line") of a V8 .cpuprofile, idle and program samples included. */
export function selfTimes(profile: CpuProfile): Map<string, number> {
  const label = new Map<number, string>();
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url === "" ? "" : ` ${url.slice(url.lastIndexOf("/") + 1)}:${lineNumber + 1}`;
    label.set(n.id, `${functionName === "" ? "(anonymous)" : functionName}${file}`);
  }
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const key = label.get(id) ?? "?";
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

/** Prints the `top` functions by self time over every .cpuprofile in `dir` (with their share of the non-idle time). */
export function summarizeProfiles(dir: string, top: number): void {
  const total = new Map<string, number>();
  const files = readdirSync(dir).filter((n) => n.endsWith(".cpuprofile"));
  for (const f of files) {
    for (const [k, v] of selfTimes(JSON.parse(readFileSync(join(dir, f), "utf8")) as CpuProfile)) total.set(k, (total.get(k) ?? 0) + v);
  }
  const busy = [...total].filter(([k]) => !k.startsWith("(idle)"));
  const busyMs = busy.reduce((n, [, v]) => n + v, 0);
  console.log(`\nprofile of dicomtls-server's main thread (${files.length} file(s) in ${dir}): ${busyMs.toFixed(0)} ms busy, ${(total.get("(idle)") ?? 0).toFixed(0)} ms idle; top self time:`);
  const rows = busy
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => [k, v.toFixed(0), `${((100 * v) / busyMs).toFixed(1)}%`]);
  printTable(["function", "self ms", "of busy"], rows);
}
