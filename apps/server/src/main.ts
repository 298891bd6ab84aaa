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
    // A key set and not acted on is a setting the administrator may count on: say so, with the reason for each.
    const byReason = new Map<string, string[]>();
    for (const k of loaded.ignoredKeys) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.key]);
    logger.warn(
      { event: "config-ignored-keys", keys: loaded.ignoredKeys.map((k) => k.key), reasons: Object.fromEntries(loaded.ignoredKeys.map((k) => [k.key, k.reason])) },
      `configuration keys not used by dicomtls: ${[...byReason].map(([reason, keys]) => `${keys.join(", ")} (${reason})`).join("; ")}`,
    );
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
  const expiryTimer = setInterval(() => {
    const w = server.checkCertificateExpiry();
    if (w !== undefined) logger.warn({ event: "tls-warning", code: w.code, key: w.key }, w.message);
    for (const stale of server.checkRevocationLists()) logger.warn({ event: "tls-warning", code: stale.code, key: stale.key }, stale.message);
  }, DAY_MS);
  expiryTimer.unref();

  return await new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      // The serving period ends with the signal: stopping (closing pools, the index) is not serving.
      server.runtimeStats.stop();
      logger.info({ event: "stopping", signal }, `${signal}: stopping, open associations are released or aborted`);
      clearInterval(expiryTimer);
      server.stop().then(
        () => {
          // The benchmarks read this record: the node's responsiveness under load (also on /metrics and /status live).
          logger.info(
            { event: "runtime-stats", ...server.runtimeStats.figures(), ...server.stats },
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
    const { dicom, plain, http } = server.ports;
    const tlsText = config.dicomTlsEnabled ? `DICOM TLS on, profile ${config.dicomTlsProfile}` : "DICOM TLS off";
    logger.info(
      { event: "listening", port: dicom, plainPort: plain ?? null, httpPort: http ?? null, aet: config.dicomAet, tls: config.dicomTlsEnabled, storage: config.storageDirectory },
      `dicomtls listening on port ${dicom} (AE ${config.dicomAet}, ${tlsText})${plain !== undefined ? `, plain DICOM on port ${plain}` : ""}` +
        (http !== undefined ? `; status page ${server.httpScheme ?? "http"}://127.0.0.1:${http}/ (metrics at /metrics)` : ""),
    );
  });
}
