import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Environment for a server process that profiles itself: a module preloaded through NODE_OPTIONS runs the inspector's
 * profiler and writes `server-<pid>.cpuprofile` into `dir` at exit (--cpu-prof is refused in NODE_OPTIONS). The module
 * is written into `work`.
 */
export function profilerEnv(work: string, dir: string): NodeJS.ProcessEnv {
  const preload = join(work, "cpu-profile.mjs");
  writeFileSync(
    preload,
    `import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
const s = new Session();
s.connect();
s.post("Profiler.enable");
s.post("Profiler.setSamplingInterval", { interval: 200 });
s.post("Profiler.start");
process.on("exit", () => s.post("Profiler.stop", (err, r) => { if (!err) writeFileSync(process.env.PROF_DIR + "/server-" + process.pid + ".cpuprofile", JSON.stringify(r.profile)); }));
`,
  );
  mkdirSync(dir, { recursive: true });
  return { NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --import ${preload}`, PROF_DIR: dir };
}
