import { MoveFailedError, move, type MoveProgress, type MoveResult } from "@dicomtls/scu";
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

function report(result: MoveResult, dest: string, label: string, transport: string, io: CliIo): void {
  for (const uid of result.failedSopInstanceUids) io.out(`failed: ${uid}`);
  io.out(`move to ${dest} via ${label}: ${result.statusName}; ${progressText(result)} over ${transport}`);
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
  const stop = cancelOnInterrupt(controller);
  let drawn = false;
  try {
    for await (const p of op) {
      if (terminal.tty) {
        terminal.write(`\r\x1b[2Kmove: ${progressText(p)}`);
        drawn = true;
      } else io.out(`pending: ${progressText(p)}`);
    }
  } catch (err) {
    if (!(err instanceof MoveFailedError)) throw err;
    if (drawn) terminal.write("\r\x1b[2K");
    report(err.result, flags.dest, target.label, transport, io);
    io.err(`dicomtls: ${err.message} [${err.code}]`);
    return 1;
  } finally {
    stop();
  }
  if (drawn) terminal.write("\r\x1b[2K");
  const result = await op.result();
  report(result, flags.dest, target.label, transport, io);
  return result.ok ? 0 : 1;
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
