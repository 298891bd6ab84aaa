import type { ConnectionOptions } from "node:tls";
import { loadConfig } from "@dicomtls/config";
import { randomUUID } from "node:crypto";
import { echo, find } from "@dicomtls/scu";
import { buildClientOptions, loadTlsContext, tlsSettingsFromConfig } from "@dicomtls/tls-context";
import { UsageError } from "../errors.js";
import { clientTlsOptions, wantsTls, type ClientTlsFlags } from "../tls-client.js";

export interface EchoFlags extends ClientTlsFlags {
  readonly aet: string;
  readonly call: string;
  readonly repeat: number;
  readonly timeout: number;
  readonly config?: string | undefined;
  /** After the echo, a Study Root C-FIND must succeed too; default DicomEchoChecksFind with --config, else false. */
  readonly checkFind?: boolean | undefined;
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly tls: ConnectionOptions | undefined;
  readonly label: string;
  readonly timeoutMs: number;
  /** The configuration's DicomEchoChecksFind (false without --config). */
  readonly echoChecksFind: boolean;
}

export function parsePort(text: string, what = "PORT"): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new UsageError(`${what}: expected an integer 1-65535, got "${text}"`);
  return n;
}

/**
 * Where to send: HOST PORT with the flags, or (with --config) a modality of an Orthanc-style configuration, reached
 * with its own AE title, host, port, LocalAet, Timeout and UseDicomTls, and the node's certificate.
 */
export async function resolveTarget(args: readonly string[], flags: EchoFlags): Promise<Target> {
  if (flags.config !== undefined) {
    const [name, ...rest] = args;
    if (name === undefined || rest.length > 0) throw new UsageError("with --config, give exactly one MODALITY (a key of DicomModalities)");
    const { config } = await loadConfig(flags.config);
    const modality = config.dicomModalities.find((m) => m.name === name) ?? config.dicomModalities.find((m) => m.aet.toUpperCase() === name.toUpperCase());
    if (modality === undefined) {
      const known = config.dicomModalities.map((m) => m.name).join(", ") || "none";
      throw new UsageError(`${flags.config}: no modality "${name}" in DicomModalities (known: ${known})`);
    }
    let tls: ConnectionOptions | undefined;
    if (modality.useDicomTls) {
      const ctx = await loadTlsContext(tlsSettingsFromConfig(config));
      tls = buildClientOptions(ctx, {
        host: modality.host,
        port: modality.port,
        ...(modality.tlsServerName !== null && { checkServerName: modality.tlsServerName }),
      });
    }
    return {
      host: modality.host,
      port: modality.port,
      callingAeTitle: modality.localAet,
      calledAeTitle: modality.aet,
      tls,
      label: `${modality.aet} (${name}) at ${modality.host}:${modality.port}`,
      timeoutMs: modality.timeout * 1000,
      echoChecksFind: config.dicomEchoChecksFind,
    };
  }
  const [host, portText, ...rest] = args;
  if (host === undefined || portText === undefined || rest.length > 0) throw new UsageError("give HOST PORT (or --config CONFIG MODALITY)");
  const port = parsePort(portText);
  const tls = wantsTls(flags) ? await clientTlsOptions(flags, host, port) : undefined;
  return { host, port, callingAeTitle: flags.aet, calledAeTitle: flags.call, tls, label: `${flags.call} at ${host}:${port}`, timeoutMs: flags.timeout * 1000, echoChecksFind: false };
}

/** C-ECHO: one association, --repeat echoes, release. */
export async function runEcho(args: readonly string[], flags: EchoFlags, out: (line: string) => void): Promise<number> {
  if (!Number.isInteger(flags.repeat) || flags.repeat < 1) throw new UsageError(`--repeat: expected a whole number of at least 1, got ${flags.repeat}`);
  const target = await resolveTarget(args, flags);
  const started = process.hrtime.bigint();
  const result = await echo({
    host: target.host,
    port: target.port,
    callingAeTitle: target.callingAeTitle,
    calledAeTitle: target.calledAeTitle,
    repeat: flags.repeat,
    ...(target.tls !== undefined && { tls: target.tls }),
    timeouts: { connectMs: target.timeoutMs, associateMs: target.timeoutMs, dimseMs: target.timeoutMs },
  }).catch((err: unknown) => {
    throw withHint(err, target, flags);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const failed = result.responses.filter((r) => !r.ok);
  const transport = target.tls === undefined ? "plain TCP" : "DICOM TLS";
  if (failed.length > 0) {
    const first = failed[0];
    out(`echo to ${target.label} failed: ${failed.length} of ${result.responses.length} answered status 0x${(first?.status ?? 0).toString(16).padStart(4, "0")}`);
    return 1;
  }
  const per = flags.repeat > 1 ? `, ${(ms / flags.repeat).toFixed(3)} ms per echo` : "";
  out(`echo to ${target.label}: Success (${result.responses.length}/${result.responses.length}) over ${transport} in ${ms.toFixed(1)} ms${per}`);
  const checkFind = flags.checkFind ?? target.echoChecksFind;
  return checkFind ? await findCheck(target, flags.checkFind === undefined ? "DicomEchoChecksFind" : "--check-find", out) : 0;
}

/**
 * Orthanc's DicomEchoChecksFind (REST `/modalities/{id}/echo`, "CheckFind"): after the C-ECHO, a Study Root C-FIND at
 * STUDY level for a fresh Study Instance UID must end in Success too, which proves the peer knows our AE title and
 * serves queries. Matches are neither expected nor counted.
 */
async function findCheck(target: Target, why: string, out: (line: string) => void): Promise<number> {
  // PS3.5 B.2: a UUID-derived UID (2.25.<decimal of the 128-bit UUID>), so no study can match it.
  const uid = `2.25.${BigInt(`0x${randomUUID().replace(/-/g, "")}`).toString()}`;
  try {
    const r = await find({
      host: target.host,
      port: target.port,
      callingAeTitle: target.callingAeTitle,
      calledAeTitle: target.calledAeTitle,
      ...(target.tls !== undefined && { tls: target.tls }),
      timeouts: { connectMs: target.timeoutMs, associateMs: target.timeoutMs, dimseMs: target.timeoutMs },
      level: "STUDY",
      keys: { StudyInstanceUID: uid },
    }).result();
    out(`C-FIND check (${why}) on ${target.label}: ${r.statusName}`);
    return 0;
  } catch (err) {
    out(`C-FIND check (${why}) on ${target.label} failed: ${(err as Error).message}`);
    return 1;
  }
}

/**
 * Under TLS 1.3 a server that refuses our certificate (or its absence) can only close the connection, and a DICOM
 * TLS port closes on plain DICOM: say what the likely cause is instead of a bare "connection closed".
 */
function withHint(err: unknown, target: Target, flags: EchoFlags): unknown {
  const e = err as Error & { code?: string };
  if (e.code !== "ERR_DICOM_ABORTED" && e.code !== "ERR_DICOM_CONNECTION_CLOSED") return err;
  let hint: string;
  if (target.tls === undefined) hint = "if it is a DICOM TLS port, add --anonymous-tls or --key/--cert with --trusted";
  else if (flags.anonymousTls === true) hint = "the server may require a client certificate (DicomTlsRemoteCertificateRequired): use --key/--cert";
  else hint = "the server may not trust our certificate, or may refuse our calling AE title: its log says which";
  e.message = `${e.message}; ${hint}`;
  return e;
}
