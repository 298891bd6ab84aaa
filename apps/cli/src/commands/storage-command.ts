import type { RegisterCommand } from "../options.js";
import { runStorageCheck, runStorageReindex, type StorageTerminal } from "./storage.js";

/** The `storage` group: `storage check CONFIG`, `storage reindex CONFIG` (no running server needed). */
export const registerStorage: RegisterCommand = (program, { io, env, setExitCode }) => {
  const terminal = (): StorageTerminal => ({ tty: process.stderr.isTTY && env["CI"] === undefined, write: (text) => process.stderr.write(text) });
  const storage = program.command("storage").description("the instance store under StorageDirectory: check files against the index, rebuild the index");
  storage
    .command("check")
    .description("report every disagreement between the files and the index (temporaries, files without a row, rows without a file, misplaced or unreadable files, identifiers that differ); exit 1 when there is one")
    .argument("<config>", "configuration file or folder (its StorageDirectory)")
    .option("--json", "print one JSON report (folder, files, rows, disagreements, agree) instead of text")
    .action(async (path: string, o: { json?: boolean }) => {
      setExitCode(await runStorageCheck(path, { json: o.json === true }, env, io, terminal()));
    });
  storage
    .command("reindex")
    .description("rebuild the index from the files (built beside the old index, then swapped in); stop the server first")
    .argument("<config>", "configuration file or folder (its StorageDirectory)")
    .option("--json", "print one JSON result (indexed, skipped, removedTemporaries) instead of text")
    .action(async (path: string, o: { json?: boolean }) => {
      setExitCode(await runStorageReindex(path, { json: o.json === true }, env, io, terminal()));
    });
};
