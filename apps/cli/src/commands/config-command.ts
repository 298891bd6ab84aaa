import type { RegisterCommand } from "../options.js";
import { runConfigCheck } from "./config-check.js";

/** The `config` group: `config check CONFIG`. */
export const registerConfig: RegisterCommand = (program, { io, env, setExitCode }) => {
  const config = program.command("config").description("Orthanc-style configuration files");
  config
    .command("check")
    .description("validate CONFIG (a file, or a folder of *.json files) without starting: print the effective configuration, the keys not used, warnings; exit 1 on any error")
    .argument("<config>", "configuration file or folder")
    .option("--json", "print one JSON report (valid, errors, warnings, ignoredKeys, effective) instead of text")
    .action(async (path: string, o: { json?: boolean }) => {
      setExitCode(await runConfigCheck(path, { json: o.json === true }, env, io));
    });
};
