import { makeCase, type TransportKind } from "./cases.js";
import { echo, runCase } from "./client.js";
import type { FuzzTarget } from "./target.js";

export interface FuzzOptions {
  readonly seed: number;
  /** Case numbers `first` .. `first + cases - 1`. */
  readonly cases: number;
  readonly first?: number;
  /** Connections in flight at once. Default 16. */
  readonly concurrency?: number;
  /** A whole C-ECHO every this many cases proves the server still serves. Default 1000. */
  readonly echoEvery?: number;
  readonly transports?: readonly TransportKind[];
  /** How long a case waits for the server after its last byte. Default 150 ms. */
  readonly idleMs?: number;
  /** Progress, every `echoEvery` cases. */
  readonly onProgress?: (done: number, report: FuzzReport) => void;
}

/** A crash: the server process ended. Any of the cases in flight may be the cause: replay them one by one. */
export interface FuzzCrash {
  readonly seed: number;
  readonly inFlight: readonly number[];
  readonly exit: number | string;
  readonly logTail: string;
}

export interface FuzzReport {
  readonly seed: number;
  cases: number;
  crashes: FuzzCrash[];
  /** Echoes that failed while the process was still up (the server stopped serving without dying). */
  failedEchoes: number;
  echoes: number;
  /** How the server answered: first byte it sent (PDU type) -> count; "none" when it closed or stayed silent. */
  readonly answers: Record<string, number>;
  readonly rssKb: { start: number; end: number; max: number };
  readonly fds: { start: number; end: number; max: number };
  /** Sockets among the descriptors: what a connection that is never closed would leave behind. */
  readonly sockets: { start: number; end: number };
  /** Exceptions the per-connection boundary caught (each aborted one association). */
  internalErrors: number;
  /** The first few of their log records (message and stack). */
  internalErrorSamples: string[];
}

function answerKey(firstByte: number | undefined): string {
  return firstByte === undefined ? "none" : `0x${firstByte.toString(16).padStart(2, "0")}`;
}

/**
 * Runs `cases` seeded cases against `target` with `concurrency` connections in flight, probing with a C-ECHO every
 * `echoEvery` cases. Stops at the first crash (the process ended) and reports the cases in flight at that moment.
 */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const first = options.first ?? 0;
  const concurrency = options.concurrency ?? 16;
  const echoEvery = options.echoEvery ?? 1000;
  const report: FuzzReport = {
    seed: options.seed,
    cases: 0,
    crashes: [],
    failedEchoes: 0,
    echoes: 0,
    answers: {},
    rssKb: { start: target.rssKb(), end: 0, max: 0 },
    fds: { start: target.fdCount(), end: 0, max: 0 },
    sockets: { start: target.socketCount(), end: 0 },
    internalErrors: 0,
    internalErrorSamples: [],
  };
  report.rssKb.max = report.rssKb.start;
  report.fds.max = report.fds.start;
  const inFlight = new Set<number>();
  let next = first;
  let crashed = false;
  void target.exited.then((exit) => {
    if (!crashed && report.cases < options.cases) {
      crashed = true;
      report.crashes.push({ seed: options.seed, inFlight: [...inFlight].sort((a, b) => a - b), exit, logTail: target.logTail() });
    }
  });
  const sample = (): void => {
    if (!target.alive()) return;
    try {
      report.rssKb.max = Math.max(report.rssKb.max, target.rssKb());
      report.fds.max = Math.max(report.fds.max, target.fdCount());
    } catch {
      // The process went away between the check and the read: the crash record says so.
    }
  };
  const probe = async (): Promise<void> => {
    report.echoes++;
    const status = await echo(target.endpoint).catch(() => undefined);
    if (status !== 0 && target.alive()) report.failedEchoes++;
  };
  const worker = async (): Promise<void> => {
    while (!crashed && next < first + options.cases) {
      const n = next++;
      inFlight.add(n);
      const outcome = await runCase(makeCase(options.seed, n, options.transports), target.endpoint, options.seed, options.idleMs);
      inFlight.delete(n);
      if (crashed) return;
      report.cases++;
      const key = answerKey(outcome.firstByte);
      report.answers[key] = (report.answers[key] ?? 0) + 1;
      if (report.cases % echoEvery === 0) {
        // Taken now: other workers go on counting while the echo runs.
        const done = report.cases;
        sample();
        await probe();
        report.internalErrors = target.internalErrors.length;
        options.onProgress?.(done, report);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  if (!crashed) await probe();
  sample();
  report.internalErrors = target.internalErrors.length;
  report.internalErrorSamples = target.internalErrors.slice(0, 5);
  if (target.alive()) {
    report.sockets.end = await settledSockets(target, report.sockets.start);
    report.fds.end = target.fdCount();
    report.rssKb.end = target.rssKb();
  }
  return report;
}

/**
 * The server's socket count once it has closed what the last cases left: our side is destroyed, the server sees
 * the close a moment later. Polled for at most 10 s; returns the count at the end either way.
 */
async function settledSockets(target: FuzzTarget, start: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const n = target.socketCount();
    if (n <= start || Date.now() > deadline || !target.alive()) return n;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The report as the lines the CLI prints and the test shows on failure. */
export function formatReport(r: FuzzReport): string {
  const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
  const lines = [
    `seed ${r.seed}: ${r.cases} cases, ${r.crashes.length} crashes, ${r.internalErrors} internal errors caught, ${r.echoes - r.failedEchoes}/${r.echoes} echoes answered`,
    `answers (first byte): ${Object.entries(r.answers).sort().map(([k, v]) => `${k}=${v}`).join(" ")}`,
    `RSS start ${mb(r.rssKb.start)}, max ${mb(r.rssKb.max)}, end ${mb(r.rssKb.end)}; open fds start ${r.fds.start}, max ${r.fds.max}, end ${r.fds.end} (sockets ${r.sockets.start} -> ${r.sockets.end})`,
  ];
  for (const e of r.internalErrorSamples) lines.push(`internal error: ${e}`);
  for (const c of r.crashes) {
    lines.push(`CRASH (exit ${c.exit}): replay with --seed ${c.seed} --only N for N in ${c.inFlight.join(", ")}`);
    lines.push(c.logTail.split("\n").slice(-20).join("\n"));
  }
  return lines.join("\n");
}
