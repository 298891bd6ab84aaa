import { ConfigError, effectiveConfig, formatIssue, loadConfig, type ConfigIssue, type IgnoredKey } from "@dicomtls/config";

export interface ConfigCheckFlags {
  /** One JSON object on stdout instead of text (for scripts). */
  readonly json: boolean;
}

/** What `config check --json` prints. */
export interface ConfigCheckReport {
  readonly config: string;
  readonly valid: boolean;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  readonly ignoredKeys: readonly IgnoredKey[];
  /** Orthanc key names, defaults filled in, secrets redacted; absent when the configuration is not valid. */
  readonly effective?: Record<string, unknown>;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Validates an Orthanc-style configuration without starting anything: prints the effective configuration, the keys
 * dicomtls does not use and the warnings; every error (one line each, with its key path and place) gives exit code 1.
 */
export async function runConfigCheck(
  path: string,
  flags: ConfigCheckFlags,
  env: NodeJS.ProcessEnv,
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  let report: ConfigCheckReport;
  try {
    const loaded = await loadConfig(path, { env });
    report = { config: path, valid: true, errors: [], warnings: loaded.warnings, ignoredKeys: loaded.ignoredKeys, effective: effectiveConfig(loaded.config) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report = { config: path, valid: false, errors: err.issues, warnings: err.warnings, ignoredKeys: [] };
  }

  if (flags.json) {
    io.out(JSON.stringify(report, null, 2));
    return report.valid ? 0 : 1;
  }
  if (!report.valid) {
    io.err(`dicomtls: the configuration ${path} is not valid (${plural(report.errors.length, "problem")}):`);
    for (const e of report.errors) io.err(`  ${formatIssue(e)}`);
    // A likely typo is often why a required value is missing: show it next to the errors.
    for (const w of report.warnings) io.err(`  warning: ${formatIssue(w)}`);
    return 1;
  }
  io.out(`// ${path}: valid. Effective configuration (defaults filled in, secrets redacted):`);
  io.out(JSON.stringify(report.effective, null, 2));
  if (report.ignoredKeys.length > 0) {
    io.out(`// Not used by dicomtls (${plural(report.ignoredKeys.length, "key")}; the server warns about them at start-up):`);
    const byFile = new Map<string, string[]>();
    for (const k of report.ignoredKeys) byFile.set(k.file, [...(byFile.get(k.file) ?? []), k.key]);
    for (const [file, keys] of byFile) io.out(`//   ${file}: ${keys.join(", ")}`);
    io.out("// Why:");
    const byReason = new Map<string, string[]>();
    for (const k of report.ignoredKeys) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.key]);
    for (const [reason, keys] of byReason) io.out(`//   ${keys.join(", ")}: ${reason}`);
  }
  if (report.warnings.length > 0) {
    io.out(`// ${plural(report.warnings.length, "warning")}:`);
    for (const w of report.warnings) io.out(`//   warning: ${formatIssue(w)}`);
  } else {
    io.out("// No warnings.");
  }
  return 0;
}
