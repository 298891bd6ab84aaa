/**
 * pnpm --filter @dicomtls/fuzz fuzz [--cases N] [--seed S] [--concurrency C] [--transport plain|tls] [--only N]
 *
 * Starts the built dicomtls-server (run `pnpm build` first), plays N seeded cases against it and prints cases,
 * crashes, RSS and open descriptors at the end. A crash prints the seed and the case numbers in flight; the server
 * is restarted and the run goes on. `--only N` replays one case and prints its bytes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeCase, type TransportKind } from "./cases.js";
import { runCase } from "./client.js";
import { formatReport, runFuzz, type FuzzReport } from "./run.js";
import { startTarget } from "./target.js";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "10000" },
    seed: { type: "string", default: String(Date.now() % 0x100000000) },
    concurrency: { type: "string", default: "16" },
    transport: { type: "string" },
    only: { type: "string" },
  },
});

function int(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: ${JSON.stringify(text)} is not a whole number`);
  return n;
}

const seed = int("seed", values.seed);
const cases = int("cases", values.cases);
const concurrency = Math.max(1, int("concurrency", values.concurrency));
if (values.transport !== undefined && values.transport !== "plain" && values.transport !== "tls") throw new Error(`--transport: "plain" or "tls", not ${values.transport}`);
const transports: readonly TransportKind[] = values.transport === undefined ? ["plain", "tls"] : [values.transport];

const dir = mkdtempSync(join(tmpdir(), "dicomtls-fuzz-"));
let target = await startTarget(dir);
try {
  if (values.only !== undefined) {
    const c = makeCase(seed, int("only", values.only), transports);
    console.log(`case ${c.n} of seed ${seed}: ${c.transport}${c.clientCertificate ? " with certificate" : ""}, stage ${c.stage}, ${c.kind}`);
    for (const chunk of c.chunks) console.log(`  write ${chunk.toString("hex")}`);
    const outcome = await runCase(c, target.endpoint, seed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(`answer first byte ${String(outcome.firstByte)}, closed by server ${outcome.closedByServer}; server ${target.alive() ? "alive" : "DIED"}`);
    if (!target.alive()) console.log(target.logTail());
    process.exitCode = target.alive() ? 0 : 1;
  } else {
    const total: FuzzReport[] = [];
    let first = 0;
    const started = Date.now();
    while (first < cases) {
      const r = await runFuzz(target, {
        seed,
        first,
        cases: cases - first,
        concurrency,
        transports,
        echoEvery: 1000,
        onProgress: (done, rep) => {
          if ((first + done) % 10_000 === 0) {
            console.log(`${first + done} cases, ${total.reduce((n, t) => n + t.crashes.length, 0) + rep.crashes.length} crashes, RSS ${(target.rssKb() / 1024).toFixed(1)} MB, fds ${target.fdCount()}, ${Math.round((first + done) / ((Date.now() - started) / 1000))} cases/s`);
          }
        },
      });
      total.push(r);
      console.log(formatReport(r));
      const crash = r.crashes[0];
      if (crash === undefined) break;
      first = Math.max(first + r.cases, ...crash.inFlight) + 1;
      await target.stop();
      target = await startTarget(dir);
    }
    const crashes = total.reduce((n, t) => n + t.crashes.length, 0);
    console.log(`TOTAL seed ${seed}: ${total.reduce((n, t) => n + t.cases, 0)} cases, ${crashes} crashes, ${total.reduce((n, t) => n + t.internalErrors, 0)} internal errors, ${Math.round((Date.now() - started) / 1000)} s`);
    process.exitCode = crashes === 0 ? 0 : 1;
  }
} finally {
  await target.stop();
  rmSync(dir, { recursive: true, force: true });
}
