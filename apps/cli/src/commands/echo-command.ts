import type { RegisterCommand, RawTlsFlags } from "../options.js";
import { addTlsOptions, positiveInt, tlsFlags } from "../options.js";
import { runEcho } from "./echo.js";

export const registerEcho: RegisterCommand = (program, { io, env, setExitCode }) => {
  addTlsOptions(
    program
      .command("echo")
      .description("C-ECHO a DICOM node: `echo HOST PORT`, or `echo --config CONFIG MODALITY`")
      .argument("<target...>", "HOST PORT, or MODALITY with --config")
      .option("--aet <title>", "calling AE title", "DICOMTLS")
      .option("--call <title>", "called AE title", "ANY-SCP")
      .option("--repeat <n>", "C-ECHOs inside the one association", positiveInt("--repeat"), 1)
      .option("--timeout <seconds>", "connect, association and response timeout", positiveInt("--timeout"), 30)
      .option("--config <file>", "Orthanc-style configuration: take the modality's address, AE titles and TLS from it")
      .option("--check-find", "after the echo, a Study Root C-FIND must succeed too (default: the configuration's DicomEchoChecksFind)")
      .option("--no-check-find", "echo only, whatever DicomEchoChecksFind says"),
  ).action(async (target: string[], o: RawTlsFlags & { aet: string; call: string; repeat: number; timeout: number; config?: string; checkFind?: boolean }) => {
    setExitCode(await runEcho(target, { ...tlsFlags(o, env), aet: o.aet, call: o.call, repeat: o.repeat, timeout: o.timeout, config: o.config, checkFind: o.checkFind }, io.out));
  });
};
