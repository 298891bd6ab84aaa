import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.js";
import { UsageError } from "./errors.js";
import type { CliIo, CommandContext } from "./options.js";

export type { CliIo };

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Turn any failure into one line a person can act on, and an exit code. */
function explain(err: unknown, io: CliIo): number {
  const e = err as Error & { code?: string };
  if (err instanceof UsageError) {
    io.err(`dicomtls: ${e.message}`);
    return 2;
  }
  const codes = [e.code, (err as { tlsCode?: string }).tlsCode].filter((c): c is string => typeof c === "string" && c !== "" && c !== "undefined");
  const code = codes.length > 0 && codes[0]?.startsWith("ERR_") === true ? ` [${codes.join(" ")}]` : "";
  io.err(`dicomtls: ${e.message}${code}`);
  return 1;
}

/** Runs the command line; returns the exit code (0 success, 1 failure, 2 usage). */
export async function main(argv: readonly string[], io: CliIo = defaultIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode = 0;
  const program = new Command("dicomtls")
    .description("DICOM over TLS: echo, store, find and move as an SCU, development certificates, configuration checks")
    .exitOverride()
    // A usage mistake is one line (issue 2); the help it would otherwise dump is one --help away.
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      outputError: (s, write) => write(`dicomtls: ${s.trim().replace(/^error: /, "")} (see --help)`),
    })
    .showHelpAfterError(false);

  const ctx: CommandContext = { io, env, setExitCode: (code) => (exitCode = code) };
  for (const register of COMMANDS) register(program, ctx);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return explain(err, io);
  }
}
