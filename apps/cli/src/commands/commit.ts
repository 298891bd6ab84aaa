import type { TlsOptions } from "node:tls";
import { loadConfig } from "@dicomtls/config";
import { CommitmentFailureReason, commit, type CommitResult, type SopReference } from "@dicomtls/scu";
import { buildServerOptions, loadTlsContext, tlsSettingsFromConfig, type TlsContext } from "@dicomtls/tls-context";
import { UsageError } from "../errors.js";
import type { CliIo } from "../options.js";
import { wantsTls, type ClientTlsFlags } from "../tls-client.js";
import type { Target } from "./echo.js";

/** The storage commitment flags of `store --commit` (and `commit`). */
export interface CommitFlags extends ClientTlsFlags {
  /** Take the report on a new association at this port (Orthanc's way); absent: on the same association. */
  readonly commitPort?: number | undefined;
  /** Seconds to wait for the report after the N-ACTION-RSP. */
  readonly commitTimeout: number;
  readonly config?: string | undefined;
}

const REASONS: Readonly<Record<number, string>> = {
  [CommitmentFailureReason.ProcessingFailure]: "processing failure",
  [CommitmentFailureReason.NoSuchObjectInstance]: "no such object instance",
  [CommitmentFailureReason.ResourceLimitation]: "resource limitation",
  [CommitmentFailureReason.ReferencedSopClassNotSupported]: "referenced SOP class not supported",
  [CommitmentFailureReason.ClassInstanceConflict]: "class/instance conflict",
  [CommitmentFailureReason.DuplicateTransactionUid]: "duplicate transaction UID",
};

/** PS3.3 C.14.1.1 Failure Reason in words. */
export function describeFailureReason(reason: number): string {
  return `0x${reason.toString(16).toUpperCase().padStart(4, "0")} ${REASONS[reason] ?? "failure"}`;
}

/**
 * TLS for the report listener: the same certificate the N-ACTION went with (the node's with --config, --key/--cert
 * otherwise), and only a peer whose certificate chains to the trusted set may deliver the report.
 */
async function listenerTls(target: Target, flags: CommitFlags): Promise<TlsOptions | undefined> {
  if (target.tls === undefined) return undefined;
  let ctx: TlsContext;
  if (flags.config !== undefined) {
    ctx = await loadTlsContext(tlsSettingsFromConfig((await loadConfig(flags.config)).config));
  } else {
    if (!wantsTls(flags) || flags.cert === undefined || flags.key === undefined) {
      throw new UsageError("--commit-port over DICOM TLS needs --key/--cert: the peer connects back to us and must be shown a certificate");
    }
    ctx = await loadTlsContext({ certificateFile: flags.cert, privateKeyFile: flags.key, privateKeyPassword: flags.password, trustedCertificatesFile: flags.trusted, remoteCertificateRequired: true, profile: flags.profile });
  }
  return { ...buildServerOptions(ctx), rejectUnauthorized: true };
}

/** Printable lines of a commitment result: a summary, then one line per instance not committed. */
export function commitLines(target: Target, result: CommitResult): string[] {
  const via = result.via === "same-association" ? "the same association" : `a new association from ${result.reporterAeTitle}`;
  const lines = [`commit to ${target.label}: ${result.committed.length} committed, ${result.failed.length} failed (transaction ${result.transactionUid}, report on ${via})`];
  for (const f of result.failed) lines.push(`NOT COMMITTED ${f.sopInstanceUid} (${f.sopClassUid}): ${describeFailureReason(f.failureReason)}`);
  return lines;
}

/** Asks `target` to commit `references` and prints its report; exit code 1 when any reference is not committed. */
export async function runCommit(target: Target, references: readonly SopReference[], flags: CommitFlags, io: CliIo): Promise<number> {
  if (references.length === 0) {
    io.err(`commit to ${target.label}: nothing to commit (no instance was stored)`);
    return 1;
  }
  const tls = flags.commitPort === undefined ? undefined : await listenerTls(target, flags);
  const result = await commit({
    host: target.host,
    port: target.port,
    callingAeTitle: target.callingAeTitle,
    calledAeTitle: target.calledAeTitle,
    references,
    timeoutMs: flags.commitTimeout * 1000,
    ...(target.tls !== undefined && { tls: target.tls }),
    timeouts: { connectMs: target.timeoutMs, associateMs: target.timeoutMs, dimseMs: target.timeoutMs },
    ...(flags.commitPort !== undefined && { listen: { port: flags.commitPort, aeTitle: target.callingAeTitle, ...(tls !== undefined && { tls }) } }),
  });
  const [summary, ...failures] = commitLines(target, result);
  io.out(summary ?? "");
  for (const line of failures) io.out(line);
  return result.ok ? 0 : 1;
}
