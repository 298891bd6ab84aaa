/**
 * The CI fuzz run: 10,000 seeded cases against the built dicomtls-server (TLS port with and without a client
 * certificate, plain port; every connection state), then: no crash, no exception caught by the per-connection
 * boundary, every liveness echo answered, echoscu +tls answered, and resources bounded:
 *
 * - sockets: back to the listening ones once the cases' connections are closed (a connection the server never
 *   lets go of would stay, as one did while a failed framer paused its socket until ARTIM);
 * - descriptors: at most the start + 256 + 8. The store keeps one handle per instance folder it wrote into (its
 *   layout has 256 folders) for the folder fsync; anything else left open per case would pass that by far;
 * - RSS: sampled every 1,000 cases after a 2,000-case warm-up (JIT, heap sizing, SQLite and TLS caches grow there
 *   once). One sample is noise: the heap breathes by 40 MB between collections (measured: 177, 212, 172, 179, 210 MB
 *   at 2,000-case steps of one run). A leak lifts the floor, so the lowest sample of the last three windows (cases
 *   7,000-10,000) is compared with the lowest of the first three (2,000-5,000): it may rise by under 32 MB, which a
 *   leak of 6.5 KB per case (5,000 cases apart) would break.
 *
 * Figures are printed (t.diagnostic) so that a CI log carries them.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { dcmtkEnv, requireTool, runProcess, stopAll, tempDir } from "@dicomtls/test-peers";
import { formatReport, runFuzz, startTarget, type FuzzTarget } from "../src/index.js";

requireTool("echoscu");
const SEED = 20261205;
const WARM_UP = 2_000;
const CASES = 10_000;
/** Instance folders of the store's layout, each of which keeps a directory handle open once written to. */
const STORE_FOLDER_HANDLES = 256;
const RSS_FLOOR_GROWTH_BOUND_KB = 32 * 1024;
/**
 * The server's V8 old space is capped so that its heap stops growing early (uncapped, V8 lets it grow to about
 * 240 MB before it settles, which reads like a leak over 10,000 cases): a JavaScript leak then ends the process
 * (a crash, asserted below), and what RSS still gains is native (TLS, SQLite).
 */
const HEAP_LIMIT_MB = 64;

const tmp = tempDir("dicomtls-fuzz-ci-");
let target: FuzzTarget | undefined;
after(async () => {
  await target?.stop();
  await stopAll();
  tmp.remove();
});

async function echoscuTls(t: FuzzTarget): Promise<string> {
  const { clientKey, clientCert, ca } = t.files;
  const r = await runProcess("echoscu", ["-aet", "AFTERFUZZ", "-aec", "DICOMTLS", "127.0.0.1", String(t.endpoint.tlsPort), "+tls", clientKey, clientCert, "+cf", ca, "-v"], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.output);
  return r.output;
}

test(`${CASES} seeded fuzz cases (seed ${SEED}): no crash, still serving, RSS and descriptors bounded`, { timeout: 900_000 }, async (t) => {
  const dir = join(tmp.path, "server");
  mkdirSync(dir);
  const fuzzed = await startTarget(dir, { env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}` } });
  target = fuzzed;
  const warm = await runFuzz(fuzzed, { seed: SEED, cases: WARM_UP, concurrency: 32, idleMs: 100 });
  t.diagnostic(`warm-up: ${formatReport(warm)}`);
  const rssSamples: Array<{ at: number; kb: number }> = [{ at: WARM_UP, kb: warm.rssKb.end }];
  const rest = await runFuzz(fuzzed, {
    seed: SEED,
    first: WARM_UP,
    cases: CASES - WARM_UP,
    concurrency: 32,
    idleMs: 100,
    onProgress: (done) => {
      if (fuzzed.alive()) rssSamples.push({ at: WARM_UP + done, kb: fuzzed.rssKb() });
    },
  });
  rssSamples.push({ at: CASES, kb: rest.rssKb.end });
  t.diagnostic(`rest: ${formatReport(rest)}`);

  assert.equal(warm.cases + rest.cases, CASES, formatReport(rest));
  assert.deepEqual([...warm.crashes, ...rest.crashes], [], formatReport(rest));
  assert.ok(fuzzed.alive(), `the server process ended:\n${fuzzed.logTail()}`);
  assert.equal(rest.internalErrors, 0, `exceptions caught by the per-connection boundary:\n${rest.internalErrorSamples.join("\n")}`);
  assert.equal(warm.failedEchoes + rest.failedEchoes, 0, "every liveness echo was answered");
  assert.ok(warm.echoes + rest.echoes >= CASES / 1000, "an echo every 1,000 cases");
  // The server answered something else than silence most of the time: the cases reach the decoder.
  const answered = Object.entries(rest.answers).filter(([k]) => k !== "none").reduce((n, [, v]) => n + v, 0);
  assert.ok(answered > rest.cases / 2, JSON.stringify(rest.answers));

  assert.ok(rest.sockets.end <= warm.sockets.start, `sockets ${warm.sockets.start} at start, ${rest.sockets.end} at the end`);
  assert.ok(rest.fds.end <= warm.fds.start + STORE_FOLDER_HANDLES + 8, `descriptors ${warm.fds.start} at start, ${rest.fds.end} at the end`);
  const floor = (from: number, to: number): number => Math.min(...rssSamples.filter((s) => s.at >= from && s.at <= to).map((s) => s.kb));
  const early = floor(WARM_UP, WARM_UP + 3_000);
  const late = floor(CASES - 3_000, CASES);
  const samples = rssSamples.map((s) => `${s.at}: ${Math.round(s.kb / 1024)} MB`).join(", ");
  t.diagnostic(`RSS start ${Math.round(warm.rssKb.start / 1024)} MB; samples ${samples}`);
  assert.ok(rssSamples.length >= 8, `RSS sampled at every echo: ${samples}`);
  assert.ok(late - early < RSS_FLOOR_GROWTH_BOUND_KB, `the RSS floor rose ${Math.round((late - early) / 1024)} MB between cases 2,000-5,000 and 7,000-10,000 (${samples})`);

  assert.match(await echoscuTls(fuzzed), /Received Echo Response \(Success\)/);
});
