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
      .option("--config <file>", "Orthanc-style configuration: take the modality's address, AE titles and TLS from it")
      .option("--commit", "then ask for storage commitment of the stored instances (N-ACTION) and wait for the report; exit 1 unless all are committed")
      .option("--commit-port <port>", "take the commitment report on a new association at this port (as Orthanc sends it); default: on the same association", positiveInt("--commit-port"))
      .option("--commit-timeout <seconds>", "wait this long for the commitment report", positiveInt("--commit-timeout"), 60),
  ).action(async (target: string[], o: RawTlsFlags & { aet: string; call: string; associations: number; timeout: number; config?: string; commit?: boolean; commitPort?: number; commitTimeout: number }) => {
    const flags = {
      ...tlsFlags(o, env),
      aet: o.aet,
      call: o.call,
      associations: o.associations,
      timeout: o.timeout,
      config: o.config,
      commit: o.commit === true || o.commitPort !== undefined,
      commitPort: o.commitPort,
      commitTimeout: o.commitTimeout,
    };
    const tty = process.stderr.isTTY && env["CI"] === undefined;
    setExitCode(await runStore(target, flags, io, { tty, write: (text) => process.stderr.write(text) }));
  });
};
