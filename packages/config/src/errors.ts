/** Where in which file a problem sits; line and column are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One problem (or warning) about the configuration, with the key path it concerns. */
export interface ConfigIssue {
  /** Stable kind, for programs: "invalid-value", "syntax", "likely-typo", ... */
  readonly kind: ConfigIssueKind;
  /** Key path in Orthanc's names, e.g. `DicomModalities.ct1.Port`; "" for the whole file. */
  readonly path: string;
  /** What is wrong, in words a person can act on (without the path). */
  readonly message: string;
  readonly location?: SourceLocation;
}

export const ConfigIssueKind = {
  Syntax: "syntax",
  InvalidValue: "invalid-value",
  MissingValue: "missing-value",
  UnknownModalityField: "unknown-modality-field",
  BadModalityName: "bad-modality-name",
  DuplicateKey: "duplicate-key",
  MissingFile: "missing-file",
  Inconsistent: "inconsistent",
  LikelyTypo: "likely-typo",
  UnknownKey: "unknown-key",
  UnsetVariable: "unset-variable",
  Obsolete: "obsolete",
  Unsupported: "unsupported",
} as const;
export type ConfigIssueKind = (typeof ConfigIssueKind)[keyof typeof ConfigIssueKind];

/** `DicomPort: expected ..., got ... (orthanc.json:12:3)` */
export function formatIssue(issue: ConfigIssue): string {
  const head = issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`;
  const where = issue.location;
  return where === undefined ? head : `${head} (${where.file}:${where.line}:${where.column})`;
}

/** Every problem found in a configuration, reported together so one run fixes them all. */
export class ConfigError extends Error {
  readonly code = "ERR_DICOM_CONFIG";
  readonly issues: readonly ConfigIssue[];
  /** Warnings found on the way (a likely typo is often the cause of an error). */
  readonly warnings: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], warnings: readonly ConfigIssue[] = []) {
    const lines = issues.map((i) => `  - ${formatIssue(i)}`);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    const notes = warnings.map((w) => `  - warning: ${formatIssue(w)}`);
    super(`Invalid DICOM configuration (${count}):\n${[...lines, ...notes].join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
    this.warnings = warnings;
  }
}
