import { resolve } from "node:path";
import { get } from "@dicomtls/scu";
import { UsageError } from "../errors.js";
import type { CliIo, RegisterCommand } from "../options.js";
import { resolveTarget } from "./echo.js";
import { addQueryOptions, connection, queryFlags, type QueryFlags, type RawQueryFlags } from "./find-command.js";
import { folderSink } from "./get-folder.js";
import { followRetrieve, progressText, type MoveTerminal } from "./move-command.js";

/**
 * C-GET: asks the node for what the -k keys select and writes each instance it sends back on the same association
 * into --out as a Part 10 file. Exits 0 only when the final status is Success with every sub-operation completed.
 */
export async function runGet(args: readonly string[], flags: QueryFlags & { out: string }, io: CliIo, terminal: MoveTerminal): Promise<number> {
  const target = await resolveTarget(args, { ...flags, repeat: 1 });
  const transport = target.tls === undefined ? "plain TCP" : "DICOM TLS";
  const out = resolve(flags.out);
  const sink = await folderSink(out, target.calledAeTitle);
  const controller = new AbortController();
  const op = get({ ...connection(target), model: flags.model, level: flags.level, keys: flags.queryKey, onInstance: sink.onInstance, signal: controller.signal });
  return await followRetrieve(
    op,
    controller,
    io,
    terminal,
    (p) => `get: ${sink.written()} files, ${progressText(p)}`,
    (r) => `get from ${target.label} into ${out}: ${r.statusName}; ${progressText(r)}; ${r.received} files written over ${transport}`,
  );
}

export const registerGet: RegisterCommand = (program, { io, env, setExitCode }) => {
  addQueryOptions(
    program
      .command("get")
      .description("C-GET from a DICOM node into a folder: `get HOST PORT --out DIR --level STUDY -k StudyInstanceUID=...`, or `get --config CONFIG MODALITY ...`"),
    600,
  )
    .requiredOption("--out <dir>", "folder the instances are written to, as <SOPInstanceUID>.dcm Part 10 files (created if missing)")
    .action(async (target: string[], o: RawQueryFlags & { out: string }) => {
      if (o.queryKey.length === 0) throw new UsageError("give the unique keys of what to get, e.g. -k StudyInstanceUID=1.2.3");
      const tty = process.stderr.isTTY && env["CI"] === undefined;
      setExitCode(await runGet(target, { ...queryFlags(o, env), out: o.out }, io, { tty, write: (text) => process.stderr.write(text) }));
    });
};
