import type { SopReference } from "@dicomtls/scu";
import { InvalidArgumentError } from "commander";
import type { RegisterCommand, RawTlsFlags } from "../options.js";
import { addTlsOptions, positiveInt, tlsFlags } from "../options.js";
import { runCommit } from "./commit.js";
import { resolveTarget } from "./echo.js";

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** `--instance SOPCLASSUID:SOPINSTANCEUID`, repeatable. */
function parseInstance(value: string, previous: SopReference[] = []): SopReference[] {
  const [sopClassUid, sopInstanceUid, ...rest] = value.split(":");
  if (sopClassUid === undefined || sopInstanceUid === undefined || rest.length > 0 || !UID.test(sopClassUid) || !UID.test(sopInstanceUid)) {
    throw new InvalidArgumentError(`--instance ${JSON.stringify(value)}: expected SOPCLASSUID:SOPINSTANCEUID, e.g. 1.2.840.10008.5.1.4.1.1.2:1.2.3.4`);
  }
  return [...previous, { sopClassUid, sopInstanceUid }];
}

export const registerCommit: RegisterCommand = (program, { io, env, setExitCode }) => {
  addTlsOptions(
    program
      .command("commit")
      .description("ask a DICOM node for storage commitment (N-ACTION) and print its report: `commit HOST PORT --instance CLASS:UID...`, or `commit --config CONFIG MODALITY ...`")
      .argument("<target...>", "HOST PORT, or MODALITY with --config")
      .requiredOption("--instance <class:uid>", "an instance to commit, as SOPCLASSUID:SOPINSTANCEUID (repeat the option)", parseInstance)
      .option("--aet <title>", "calling AE title", "DICOMTLS")
      .option("--call <title>", "called AE title", "ANY-SCP")
      .option("--timeout <seconds>", "connect, association and response timeout", positiveInt("--timeout"), 60)
      .option("--commit-port <port>", "take the report on a new association at this port (as Orthanc sends it); default: on the same association", positiveInt("--commit-port"))
      .option("--commit-timeout <seconds>", "wait this long for the report", positiveInt("--commit-timeout"), 60)
      .option("--config <file>", "Orthanc-style configuration: take the modality's address, AE titles and TLS from it"),
  ).action(async (target: string[], o: RawTlsFlags & { instance: SopReference[]; aet: string; call: string; timeout: number; commitPort?: number; commitTimeout: number; config?: string }) => {
    const flags = { ...tlsFlags(o, env), aet: o.aet, call: o.call, timeout: o.timeout, config: o.config, commitPort: o.commitPort, commitTimeout: o.commitTimeout };
    const resolved = await resolveTarget(target, { ...flags, repeat: 1 });
    setExitCode(await runCommit(resolved, o.instance, flags, io));
  });
};
