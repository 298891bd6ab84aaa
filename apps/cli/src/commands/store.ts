import { store, type StoreFileResult } from "@dicomtls/scu";
import { UsageError } from "../errors.js";
import type { CliIo } from "../options.js";
import type { ClientTlsFlags } from "../tls-client.js";
import { runCommit, type CommitFlags } from "./commit.js";
import { resolveTarget } from "./echo.js";
import { expandPaths } from "./store-files.js";
import { ProgressBar } from "./store-progress.js";

export interface StoreFlags extends ClientTlsFlags, Partial<CommitFlags> {
  readonly aet: string;
  readonly call: string;
  readonly timeout: number;
  readonly associations: number;
  readonly config?: string | undefined;
  /** Ask for storage commitment of the stored instances afterwards (PS3.4 Annex J). */
  readonly commit?: boolean | undefined;
}

export interface StoreTerminal {
  /** Draw a progress bar (stderr is a terminal). */
  readonly tty: boolean;
  /** Raw stderr writes for the bar (no newline added). */
  readonly write: (text: string) => void;
}

const MB = 1024 * 1024;

function failureLine(r: StoreFileResult): string {
  const code = r.error?.code !== undefined ? ` [${r.error.code}]` : "";
  const why = r.error?.message ?? "failed";
  // Store errors already start with the file; association errors do not.
  return `${r.outcome === "skipped" ? "skipped" : "FAILED"} ${why.startsWith(r.file) ? why : `${r.file}: ${why}`}${code}`;
}

/**
 * C-STORE the files under PATH... to HOST PORT (or a modality of --config): a progress bar on a terminal, one line per
 * failed or skipped file, one summary line. Exit code 1 when any DICOM file was not stored. With `commit`, then a
 * storage commitment request for the stored instances, its report printed, exit code 1 unless all are committed.
 */
export async function runStore(args: readonly string[], flags: StoreFlags, io: CliIo, terminal: StoreTerminal): Promise<number> {
  const targetArgs = flags.config !== undefined ? args.slice(0, 1) : args.slice(0, 2);
  const paths = args.slice(targetArgs.length);
  if (paths.length === 0) throw new UsageError(flags.config !== undefined ? "give MODALITY PATH... (files or folders)" : "give HOST PORT PATH... (files or folders)");
  const target = await resolveTarget(targetArgs, { ...flags, repeat: 1 });
  const files = await expandPaths(paths);
  if (files.length === 0) throw new UsageError(`no files under ${paths.join(", ")}`);

  const bar = terminal.tty ? new ProgressBar(terminal.write) : undefined;
  const started = process.hrtime.bigint();
  const result = await store({
    host: target.host,
    port: target.port,
    callingAeTitle: target.callingAeTitle,
    calledAeTitle: target.calledAeTitle,
    files,
    associations: flags.associations,
    ...(target.tls !== undefined && { tls: target.tls }),
    timeouts: { connectMs: target.timeoutMs, associateMs: target.timeoutMs, dimseMs: target.timeoutMs },
    onProgress: (p) => {
      if (p.result !== undefined && p.result.outcome !== "stored") {
        if (bar !== undefined) bar.print(failureLine(p.result));
        else io.err(failureLine(p.result));
      }
      bar?.update(p);
    },
  });
  bar?.clear();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const dicom = files.length - result.skipped;
  const mb = result.bytes / MB;
  const transport = target.tls === undefined ? "plain TCP" : "DICOM TLS";
  const rate = seconds > 0 ? `${(mb / seconds).toFixed(1)} MB/s, ${(result.stored / seconds).toFixed(1)} files/s` : "";
  const skipped = result.skipped > 0 ? `, ${result.skipped} skipped (not DICOM)` : "";
  io.out(
    `store to ${target.label}: ${result.stored} of ${dicom} stored, ${result.failed} failed${skipped}; ` +
      `${mb.toFixed(1)} MB in ${seconds.toFixed(2)} s (${rate}) over ${transport}, ${result.associations} association${result.associations === 1 ? "" : "s"}`,
  );
  const stored = result.failed > 0 ? 1 : 0;
  if (flags.commit !== true) return stored;
  const references = result.results.flatMap((r) => (r.ok && r.sopClassUid !== undefined && r.sopInstanceUid !== undefined ? [{ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid }] : []));
  const committed = await runCommit(target, references, { ...flags, commitTimeout: flags.commitTimeout ?? 60 }, io);
  return Math.max(stored, committed);
}
