import { ConfigError, formatIssue, loadConfig } from "@dicomtls/config";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { checkStorage, rebuildIndex, type Disagreement, type IdentifierReader, type StorageCheckReport } from "@dicomtls/storage";
import type { CliIo } from "../options.js";
import { formatDuration } from "./store-progress.js";

export interface StorageFlags {
  /** One JSON object on stdout instead of text (for scripts). */
  readonly json: boolean;
}

/** Where the progress of a long pass goes: a redrawn bar on a terminal, plain lines otherwise. */
export interface StorageTerminal {
  readonly tty: boolean;
  /** Raw stderr writes for the bar (no newline added). */
  readonly write: (text: string) => void;
}

/** The dataset header read the way the Storage SCP reads it on receipt (@dicomtls/dataset's parser; storage picks the identifiers). */
const readIdentifiers: IdentifierReader = (prefix, transferSyntaxUid) => parseDatasetHeader(prefix, transferSyntaxUid);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
/** At most ~10 redraws a second. */
const REDRAW_MS = 100;

/**
 * Progress of a pass over the files: on a terminal one bar redrawn in place; otherwise a plain line at each tenth, so
 * a log of a cron job stays short.
 */
export function countProgress(label: string, io: CliIo, terminal: StorageTerminal): { update(done: number, total: number): void; clear(): void } {
  const started = process.hrtime.bigint();
  let last = 0;
  let tenth = 0;
  let drawn = false;
  return {
    update(done, total) {
      if (!terminal.tty) {
        const now = total === 0 ? 10 : Math.floor((done * 10) / total);
        if (now > tenth || done === total) {
          tenth = now;
          io.err(`${label}: ${done}/${total} files`);
        }
        return;
      }
      const nowMs = Date.now();
      if (nowMs - last < REDRAW_MS && done < total) return;
      last = nowMs;
      const width = 24;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? (total - done) / rate : Infinity;
      terminal.write(`\r\x1b[2K${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} files  ${rate.toFixed(0)} files/s  ETA ${formatDuration(eta)}`);
      drawn = true;
    },
    clear() {
      if (drawn) terminal.write("\r\x1b[2K");
      drawn = false;
    },
  };
}

/** StorageDirectory of CONFIG, or undefined after printing why the configuration is refused. */
async function storageFolderOf(configPath: string, env: NodeJS.ProcessEnv, io: CliIo): Promise<string | undefined> {
  try {
    return (await loadConfig(configPath, { env })).config.storageDirectory;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`dicomtls: the configuration ${configPath} is not valid:`);
    for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
    return undefined;
  }
}

function disagreementLine(d: Disagreement): string {
  return `${d.kind.padEnd(18)} ${d.path}: ${d.detail}`;
}

function summary(report: StorageCheckReport): string {
  const n = report.disagreements.length;
  if (n === 0) return `storage ${report.folder}: files and index agree (${plural(report.files, "file")}, ${plural(report.rows, "index row")})`;
  const byKind = new Map<string, number>();
  for (const d of report.disagreements) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  const kinds = [...byKind].map(([k, c]) => `${c} ${k}`).join(", ");
  return (
    `storage ${report.folder}: ${plural(n, "disagreement")} (${kinds}) between ${plural(report.files, "file")} and ${plural(report.rows, "index row")}; ` +
    "starting the server repairs them (start-up recovery), or `dicomtls storage reindex CONFIG` rebuilds the index"
  );
}

/**
 * `storage check CONFIG`: every disagreement between the files under StorageDirectory and the index, one line each,
 * without a running server and without changing anything. Exit 1 when there is one, 0 when files and index agree.
 */
export async function runStorageCheck(configPath: string, flags: StorageFlags, env: NodeJS.ProcessEnv, io: CliIo, terminal: StorageTerminal): Promise<number> {
  const folder = await storageFolderOf(configPath, env, io);
  if (folder === undefined) return 1;
  const progress = countProgress("storage check", io, terminal);
  const report = await checkStorage({ folder, readIdentifiers, ...(!flags.json && { onProgress: (d: number, t: number) => progress.update(d, t) }) }).finally(() => progress.clear());
  if (flags.json) {
    io.out(JSON.stringify({ ...report, agree: report.disagreements.length === 0 }, null, 2));
  } else {
    for (const d of report.disagreements) io.out(disagreementLine(d));
    io.out(summary(report));
  }
  return report.disagreements.length === 0 ? 0 : 1;
}

/**
 * `storage reindex CONFIG`: rebuilds the index from the files (built beside the old one, then swapped in), with a
 * progress bar. Exit 1 when a file could not be indexed (listed, left in place), 0 otherwise.
 */
export async function runStorageReindex(configPath: string, flags: StorageFlags, env: NodeJS.ProcessEnv, io: CliIo, terminal: StorageTerminal): Promise<number> {
  const folder = await storageFolderOf(configPath, env, io);
  if (folder === undefined) return 1;
  const started = process.hrtime.bigint();
  const progress = countProgress("storage reindex", io, terminal);
  const result = await rebuildIndex({ folder, readIdentifiers, ...(!flags.json && { onProgress: (d: number, t: number) => progress.update(d, t) }) }).finally(() => progress.clear());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (flags.json) {
    io.out(JSON.stringify({ folder, ...result, seconds: Math.round(seconds * 1000) / 1000 }, null, 2));
  } else {
    for (const s of result.skipped) io.err(`skipped ${s.path}: ${s.reason}`);
    io.out(
      `storage ${folder}: index rebuilt with ${plural(result.indexed, "instance")} in ${seconds.toFixed(2)} s; ` +
        `${plural(result.skipped.length, "file")} skipped, ${plural(result.removedTemporaries, "temporary file")} of interrupted writes removed`,
    );
  }
  return result.skipped.length === 0 ? 0 : 1;
}
