import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

/**
 * One JSON line per event on stdout (pino): operators grep `msg`, machines read the fields.
 * Every refusal is one record with `event`, the peer and the reason code.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    level: opts.level ?? process.env["DICOMTLS_LOG_LEVEL"] ?? "info",
    base: { name: "dicomtls" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options, pino.destination({ fd: 1, sync: true }));
}
