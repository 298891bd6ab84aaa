import type { RegisterCommand, RawTlsFlags } from "../options.js";
import { addTlsOptions, positiveInt, tlsFlags } from "../options.js";
import { runStore } from "./store.js";

export const registerStore: RegisterCommand = (program, { io, env, setExitCode }) => {
  addTlsOptions(
    program
      .command("store")
      .description("C-STORE files and folders (recursive) to a DICOM node: `store HOST PORT PATH...`, or `store --config CONFIG MODALITY PATH...`")
      .argument("<target...>", "HOST PORT PATH..., or MODALITY PATH... with --config")
      .option("--aet <title>", "calling AE title", "DICOMTLS")
      .option("--call <title>", "called AE title", "ANY-SCP")
      .option("--associations <n>", "parallel associations sharing the files", positiveInt("--associations"), 1)
      .option("--timeout <seconds>", "connect, association and response timeout", positiveInt("--timeout"), 60)
      .option("--config <file>", "Orthanc-style configuration: take the modality's address, AE titles and TLS from it"),
  ).action(async (target: string[], o: RawTlsFlags & { aet: string; call: string; associations: number; timeout: number; config?: string }) => {
    const flags = { ...tlsFlags(o, env), aet: o.aet, call: o.call, associations: o.associations, timeout: o.timeout, config: o.config };
    const tty = process.stderr.isTTY && env["CI"] === undefined;
    setExitCode(await runStore(target, flags, io, { tty, write: (text) => process.stderr.write(text) }));
  });
};
