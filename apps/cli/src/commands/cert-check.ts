import type { Command } from "commander";
import { ConfigError, formatIssue, loadConfig } from "@dicomtls/config";
import { checkCertificates, checkFiles, type DicomTlsProfile, type DoctorRow, type DoctorVerdict, tlsSettingsFromConfig } from "@dicomtls/tls-context";
import { UsageError } from "../errors.js";
import { profileOption, type CommandContext } from "../options.js";

export interface CertCheckFlags {
  /** An Orthanc-style configuration: check its DicomTls* files and every modality's TlsCertificate. */
  readonly config?: string | undefined;
  /** For loose files: the bundle to validate chains against (default: the CA certificates among the files). */
  readonly trusted?: string | undefined;
  /** For loose files: the PS3.15 profile whose key and signature rules apply (default bcp195-rfc8996). */
  readonly profile?: DicomTlsProfile | undefined;
  /** One JSON array of rows instead of the table. */
  readonly json?: boolean | undefined;
  /** Reference time (tests, or "will this still pass next month"); default now. */
  readonly now?: Date | undefined;
}

const VERDICT_TEXT: Readonly<Record<DoctorVerdict, string>> = { ok: "ok", warn: "WARN", error: "ERROR" };

/**
 * A loose file may be a node's certificate (TLS server and client at once) or a peer's that plays one role only
 * (a modality that only sends needs clientAuth alone). Usable in one role: a warning naming that role. Usable in
 * neither: an error on both lines, since every peer would refuse it (INVALID_PURPOSE).
 */
function looseFileVerdicts(rows: readonly DoctorRow[]): DoctorRow[] {
  const usage = (file: string, role: "server" | "client"): DoctorRow | undefined => rows.find((r) => r.file === file && r.check === `usage-${role}`);
  return rows.map((r) => {
    if (!r.check.startsWith("usage-") || r.verdict !== "warn") return r;
    const other = usage(r.file, r.check === "usage-server" ? "client" : "server");
    if (other === undefined || other.verdict !== "ok") return { ...r, verdict: "error" };
    const role = r.check === "usage-server" ? "TLS client (SCU)" : "TLS server (SCP)";
    return { ...r, detail: `${r.detail}; usable only as ${role}: fine for a peer in that role, not as a node's DicomTlsCertificate` };
  });
}

/** The rows as a table: one line per check, verdict first, columns padded to the widest cell. */
export function formatDoctorTable(rows: readonly DoctorRow[]): string[] {
  const header = ["VERDICT", "CHECK", "CERTIFICATE", "FILE", "DETAIL"] as const;
  const cells = rows.map((r) => [VERDICT_TEXT[r.verdict], r.check, r.subject === "" ? "-" : r.subject.replace(/\n/g, ", "), r.file === "" ? "-" : r.file, r.detail]);
  const widths = header.slice(0, 4).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => [...c.slice(0, 4).map((v, i) => v.padEnd(widths[i]!)), c[4]].join("  ").trimEnd();
  return [line(header), ...cells.map(line)];
}

function summary(rows: readonly DoctorRow[]): string {
  const n = (v: DoctorVerdict): number => rows.filter((r) => r.verdict === v).length;
  const errors = n("error");
  const warnings = n("warn");
  const verdict = errors > 0 ? "NOT usable as it is" : warnings > 0 ? "usable, with warnings" : "all checks passed";
  return `${rows.length} checks: ${n("ok")} ok, ${warnings} warning${warnings === 1 ? "" : "s"}, ${errors} error${errors === 1 ? "" : "s"}: ${verdict}`;
}

/**
 * Certificate doctor. With --config: the node's certificate and key (match, chain to DicomTlsTrustedCertificates,
 * dates, usages for both roles, key size and signature for the profile) and every modality's TlsCertificate.
 * With FILE...: the same checks on loose PEM certificates. Prints a table; returns 1 when any check is an error.
 */
export async function runCertCheck(files: readonly string[], flags: CertCheckFlags, env: NodeJS.ProcessEnv, io: CommandContext["io"]): Promise<number> {
  let rows: DoctorRow[];
  let what: string;
  if (flags.config !== undefined) {
    if (files.length > 0) throw new UsageError("give either --config CONFIG or FILE..., not both");
    if (flags.trusted !== undefined || flags.profile !== undefined) {
      throw new UsageError("--trusted and --profile are for loose files; with --config they come from DicomTlsTrustedCertificates and DicomTlsProfile");
    }
    let config;
    try {
      ({ config } = await loadConfig(flags.config, { env }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.err(`dicomtls: the configuration ${flags.config} is not valid:`);
      for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
      return 1;
    }
    if (config.dicomTlsCertificate === null) {
      io.err(`dicomtls: ${flags.config} sets no DicomTlsCertificate: there is no node certificate to check`);
      return 1;
    }
    rows = await checkCertificates(tlsSettingsFromConfig(config), flags.now === undefined ? {} : { now: flags.now });
    what = `${flags.config} (profile ${config.dicomTlsProfile})`;
  } else {
    if (files.length === 0) throw new UsageError("give FILE... (PEM certificates) or --config CONFIG");
    rows = looseFileVerdicts(
      await checkFiles(files, {
        ...(flags.trusted !== undefined && { trustedCertificatesFile: flags.trusted }),
        ...(flags.profile !== undefined && { profile: flags.profile }),
        ...(flags.now !== undefined && { now: flags.now }),
      }),
    );
    what = files.length === 1 ? files[0]! : `${files.length} files`;
  }

  if (flags.json === true) {
    io.out(JSON.stringify(rows, null, 2));
  } else {
    io.out(`certificate check of ${what}:`);
    for (const line of formatDoctorTable(rows)) io.out(line);
    io.out(summary(rows));
  }
  return rows.some((r) => r.verdict === "error") ? 1 : 0;
}

function parseNow(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--now: expected an ISO date such as 2030-01-31, got "${value}"`);
  return d;
}

/** `cert check`: attached to the `cert` group by cert.ts. */
export function attachCertCheck(cert: Command, { io, env, setExitCode }: CommandContext): void {
  cert
    .command("check")
    .description("certificate doctor: check the node's certificate and key and every modality's TlsCertificate (--config CONFIG), or loose PEM files; one line per check; exit 1 on any error")
    .argument("[files...]", "PEM certificate files to check (instead of --config)")
    .option("--config <file>", "Orthanc-style configuration: check DicomTlsCertificate/PrivateKey/TrustedCertificates and the modalities' TlsCertificate")
    .option("--trusted <file>", "for FILE...: trusted certificates (PEM bundle) to validate chains against")
    .addOption(profileOption())
    .option("--json", "print the rows as JSON instead of a table")
    .option("--now <date>", "check validity at this date instead of now (ISO 8601)", parseNow)
    .action(async (files: string[], o: CertCheckFlags) => {
      setExitCode(await runCertCheck(files, o, env, io));
    });
}
