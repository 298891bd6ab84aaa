import { QueryError, move, type MoveProgress, type MoveResult, type QueryStream } from "@dicomtls/scu";
import { UsageError } from "../errors.js";
import type { CliIo, RegisterCommand } from "../options.js";
import { resolveTarget } from "./echo.js";
import { addQueryOptions, cancelOnInterrupt, connection, queryFlags, type QueryFlags, type RawQueryFlags } from "./find-command.js";

export interface MoveTerminal {
  /** Redraw one progress line (stderr is a terminal); otherwise each pending response is a plain line on stdout. */
  readonly tty: boolean;
  /** Raw stderr writes for the progress line (no newline added). */
  readonly write: (text: string) => void;
}

/** PS3.7 §9.3.4.2: the counts of one C-MOVE response in words. */
export function progressText(p: MoveProgress): string {
  const remaining = p.remaining === undefined ? "" : `, ${p.remaining} remaining`;
  return `${p.completed} completed, ${p.failed} failed, ${p.warning} warning${remaining}`;
}

/**
 * Follows a C-MOVE or C-GET: one redrawn progress line on a terminal (`line` gives its text), a `pending:` line per
 * response otherwise; then the failed instances and `summary`. Ctrl-C cancels (C-CANCEL). Exit 0 only when the final
 * status is Success with every sub-operation completed; a failure status prints the error and exits 1.
 */
export async function followRetrieve<R extends MoveResult>(
  op: QueryStream<MoveProgress, R>,
  controller: AbortController,
  io: CliIo,
  terminal: MoveTerminal,
  line: (p: MoveProgress) => string,
  summary: (r: R) => string,
): Promise<number> {
  const report = (r: R): void => {
    for (const uid of r.failedSopInstanceUids) io.out(`failed: ${uid}`);
    io.out(summary(r));
  };
  const stop = cancelOnInterrupt(controller);
  let drawn = false;
  const clear = (): void => {
    if (drawn) terminal.write("\r\x1b[2K");
  };
  try {
    for await (const p of op) {
      if (terminal.tty) {
        terminal.write(`\r\x1b[2K${line(p)}`);
        drawn = true;
      } else io.out(`pending: ${progressText(p)}`);
    }
  } catch (err) {
    // MoveFailedError, GetFailedError: a failure status, with the counts and the failed list in `result`.
    const result = err instanceof QueryError ? (err as QueryError & { result?: R }).result : undefined;
    if (result === undefined) throw err;
    clear();
    report(result);
    io.err(`dicomtls: ${(err as QueryError).message} [${(err as QueryError).code}]`);
    return 1;
  } finally {
    stop();
  }
  clear();
  const result = await op.result();
  report(result);
  return result.ok ? 0 : 1;
}

/**
 * C-MOVE: asks the node to send what the -k keys select to --dest, shows the sub-operation counts as they come, and
 * exits 0 only when the final status is Success with every sub-operation completed (no failure, no warning).
 */
export async function runMove(args: readonly string[], flags: QueryFlags & { dest: string }, io: CliIo, terminal: MoveTerminal): Promise<number> {
  const target = await resolveTarget(args, { ...flags, repeat: 1 });
  const transport = target.tls === undefined ? "plain TCP" : "DICOM TLS";
  const controller = new AbortController();
  const op = move({ ...connection(target), destination: flags.dest, model: flags.model, level: flags.level, keys: flags.queryKey, signal: controller.signal });
  return await followRetrieve(op, controller, io, terminal, (p) => `move: ${progressText(p)}`, (r) => `move to ${flags.dest} via ${target.label}: ${r.statusName}; ${progressText(r)} over ${transport}`);
}

export const registerMove: RegisterCommand = (program, { io, env, setExitCode }) => {
  addQueryOptions(
    program
      .command("move")
      .description("C-MOVE from a DICOM node to an AE it knows: `move HOST PORT --dest AET --level STUDY -k StudyInstanceUID=...`, or `move --config CONFIG MODALITY ...`"),
    600,
  )
    .requiredOption("--dest <aet>", "Move Destination: the AE title the node sends the instances to (it must know its address)")
    .action(async (target: string[], o: RawQueryFlags & { dest: string }) => {
      if (o.queryKey.length === 0) throw new UsageError("give the unique keys of what to move, e.g. -k StudyInstanceUID=1.2.3");
      const tty = process.stderr.isTTY && env["CI"] === undefined;
      setExitCode(await runMove(target, { ...queryFlags(o, env), dest: o.dest }, io, { tty, write: (text) => process.stderr.write(text) }));
    });
};
