import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { ConfigError, formatIssue, loadConfig, type LoadResult } from "@dicomtls/config";
import { createLogger, type Logger } from "./log.js";
import { builtinPlugins } from "./plugins/index.js";
import { DicomTlsServer } from "./server.js";

const USAGE = `usage: dicomtls-server CONFIG

CONFIG is an Orthanc-style configuration file (JSON with comments), or a folder of *.json files.
Signals: SIGTERM / SIGINT stop (open associations are released or aborted), SIGHUP reloads the TLS certificates.`;

const DAY_MS = 86_400_000;

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (the CLI entry does; embedding code may not want to). */
  readonly handleSignals?: boolean;
}

/** Load the configuration; on errors print one line per issue and return undefined. */
async function load(path: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<LoadResult | undefined> {
  try {
    return await loadConfig(path, { env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dicomtls-server: the configuration ${path} is not valid:\n`);
      for (const issue of err.issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
      logger.error({ event: "config-invalid", issues: err.issues.length }, `configuration ${path} refused (${err.issues.length} error${err.issues.length === 1 ? "" : "s"})`);
      return undefined;
    }
    throw err;
  }
}

/** The server entry: returns the process exit code once the server stopped (or failed to start). */
export async function runServer(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [configPath, ...extra] = argv.filter((a) => a !== "--");
  if (configPath === undefined || extra.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const logger = options.logger ?? createLogger();
  const env = options.env ?? process.env;
  const loaded = await load(configPath, env, logger);
  if (loaded === undefined) return 1;
  const { config } = loaded;
  for (const w of loaded.warnings) logger.warn({ event: "config-warning", key: w.path }, formatIssue(w));
  if (loaded.ignoredKeys.length > 0) {
    logger.info({ event: "config-ignored-keys", keys: loaded.ignoredKeys.map((k) => k.key) }, `configuration keys not used by dicomtls: ${loaded.ignoredKeys.map((k) => k.key).join(", ")}`);
  }
  if (!config.dicomServerEnabled) {
    logger.warn({ event: "dicom-server-disabled" }, "DicomServerEnabled is false: no DICOM port is opened");
    return 0;
  }

  let server: DicomTlsServer;
  try {
    server = await DicomTlsServer.start(config, { logger, plugins: builtinPlugins(config) });
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`dicomtls-server: ${e.message}\n`);
    logger.error({ event: "start-failed", code: e.code }, e.message);
    return 1;
  }
  // Event-loop delay while serving: the benchmarks read this record (it is the node's responsiveness under load).
  // The histogram records whole sampling intervals, so the delay is the value less the resolution.
  const LOOP_RESOLUTION_MS = 2;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  // RSS while serving: at the start (after loading and compiling) and its peak until the stop signal, sampled, so the
  // growth a workload causes can be told apart from the start-up peak that maxRSS also holds.
  const RSS_SAMPLE_MS = 50;
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  rssTimer.unref();
  // Garbage-collection pauses while serving: a loop delay above the usual is most often one of these.
  let gcCount = 0;
  let gcTotalMs = 0;
  let gcMaxMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcTotalMs += e.duration;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });

  const expiryTimer = setInterval(() => {
    const w = server.checkCertificateExpiry();
    if (w !== undefined) logger.warn({ event: "tls-warning", code: w.code, key: w.key }, w.message);
  }, DAY_MS);
  expiryTimer.unref();

  return await new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      // The serving period ends with the signal: stopping (closing pools, the index) is not serving.
      loopDelay.disable();
      gcObserver.disconnect();
      clearInterval(rssTimer);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      logger.info({ event: "stopping", signal }, `${signal}: stopping, open associations are released or aborted`);
      clearInterval(expiryTimer);
      server.stop().then(
        () => {
          const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100);
          const mb = (bytes: number): number => Math.round(bytes / 1048576);
          logger.info(
            {
              event: "runtime-stats",
              loopDelayP50Ms: ms(loopDelay.percentile(50)),
              loopDelayP99Ms: ms(loopDelay.percentile(99)),
              loopDelayMaxMs: ms(loopDelay.max),
              // Peak of the whole process, start-up included (getrusage maxRSS).
              peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
              rssStartMb: mb(rssStart),
              peakServingRssMb: mb(rssPeak),
              rssGrowthMb: mb(rssPeak - rssStart),
              gcCount,
              gcTotalMs: Math.round(gcTotalMs * 100) / 100,
              gcMaxPauseMs: Math.round(gcMaxMs * 100) / 100,
              // The per-connection error boundary's counts: an internal error aborted one association, not the process.
              ...server.stats,
            },
            "event-loop delay, memory and garbage collection from listening to the stop signal",
          );
          logger.info({ event: "stopped" }, "dicomtls stopped");
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ event: "stop-failed" }, `stopping failed: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    if (options.handleSignals !== false) {
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
      process.on("SIGHUP", () => void server.reloadTls());
    }
    // Only now: a supervisor (or a test) may signal as soon as it reads this line, and before the handlers above
    // exist a SIGTERM would kill the process outright instead of stopping it.
    const { dicom, plain } = server.ports;
    const tlsText = config.dicomTlsEnabled ? `DICOM TLS on, profile ${config.dicomTlsProfile}` : "DICOM TLS off";
    logger.info(
      { event: "listening", port: dicom, plainPort: plain ?? null, aet: config.dicomAet, tls: config.dicomTlsEnabled, storage: config.storageDirectory },
      `dicomtls listening on port ${dicom} (AE ${config.dicomAet}, ${tlsText})${plain !== undefined ? `, plain DICOM on port ${plain}` : ""}`,
    );
  });
}
