/**
 * Validation of the merged configuration object with zod, and its normalisation into NodeConfig.
 * Defaults and ranges are Orthanc's [src `OrthancConfiguration.cpp`, `main.cpp`,
 * `RemoteModalityParameters.cpp`]; dicomtls' own keys are marked as such.
 */

import { statSync } from "node:fs";
import { z } from "zod";
import { ConfigIssueKind } from "./errors.js";
import type { JsonObject } from "./json-text.js";
import { closest, ORTHANC_KEYS_NOT_USED } from "./known-keys.js";
import { DEFAULT_ENCODINGS, DicomTlsProfile, STORAGE_ACCESS_ON_FIND, TransferSyntaxGroup } from "./node-config.js";
import type { ModalityConfig, NodeConfig } from "./node-config.js";
import { describeValue, fromZod, type RawIssue } from "./issues.js";
import { AuditTrail, CRL_TEXT, PLUGINS_TEXT, pluginEntry, pluginSourceOf, PROFILE_VALUES, REVOCATION_CHECK_VALUES, TS_TEXT, absolute, aeTitle, bool, expected, int, pathString, tsPattern, uid } from "./schema-parts.js";
import { validateModality } from "./validate-modality.js";
import { modalityFieldsNotUsed, VALIDATED_KEYS_NOT_USED } from "./not-used.js";
import { checkConsistency, checkHttp } from "./consistency.js";

export type { RawIssue } from "./issues.js";


/** Orthanc's defaults (and ours for the dicomtls keys), by Orthanc key name. */
export const DEFAULTS = {
  DicomServerEnabled: true,
  DicomAet: "ORTHANC",
  DicomPort: 4242,
  DicomPlainPort: false,
  DicomCheckCalledAet: false,
  StrictAetComparison: false,
  DicomCheckModalityHost: false,
  DicomAlwaysAllowEcho: true,
  DicomAlwaysAllowStore: true,
  DicomAlwaysAllowFind: false,
  DicomAlwaysAllowFindWorklist: false,
  DicomAlwaysAllowGet: false,
  DicomAlwaysAllowMove: false,
  DicomScpTimeout: 30,
  DicomScuTimeout: 10,
  DicomAssociationCloseDelay: 5,
  MaximumPduLength: 16384,
  DicomThreadsCount: 4,
  DicomModalitiesInDatabase: false,
  DicomEchoChecksFind: false,
  DicomScuPreferredTransferSyntax: "1.2.840.10008.1.2.1",
  AcceptedTransferSyntaxes: ["1.2.840.10008.1.*"],
  UnknownSopClassAccepted: false,
  DeidentifyLogs: true,
  DeidentifyLogsDicomVersion: "2023b",
  LimitFindResults: 0,
  LimitFindInstances: 0,
  StorageAccessOnFind: "Always",
  CaseSensitivePN: false,
  DefaultEncoding: "Latin1",
  StorageDirectory: "OrthancStorage",
  OverwriteInstances: false,
  SyncStorageArea: true,
  /** dicomtls: milliseconds the index rows of received instances may wait to be committed together; 0: one commit each. */
  IndexGroupCommitDelay: 0,
  DicomTlsEnabled: false,
  DicomTlsRemoteCertificateRequired: true,
  DicomTlsMinimumProtocolVersion: 0,
  DicomTlsCiphersAccepted: [] as string[],
  DicomTlsProfile: DicomTlsProfile.Bcp195Rfc8996,
  DicomTlsCheckModalityCertificate: false,
  DicomTlsHandshakeTimeout: 10,
  DicomTlsCertificateRevocationLists: [] as string[],
  DicomTlsRevocationCheck: "chain",
  DicomTlsRevocationListGraceDays: 7,
  /** dicomtls: the PS3.15 A.5 audit trail; off unless configured. */
  AuditTrail: { SyslogProtocol: "tls", SyslogTlsPort: 6514, SyslogUdpPort: 514, SyslogQueueSize: 1000 },
  HttpServerEnabled: true,
  HttpPort: 8042,
  RemoteAccessAllowed: false,
  // AuthenticationEnabled has no fixed default: when absent it equals RemoteAccessAllowed (Orthanc >= 1.5.8).
  SslEnabled: false,
  // Orthanc's own default name, resolved against the configuration file's folder.
  SslCertificate: "certificate.pem",
  MetricsEnabled: true,
  DicomMaximumAssociations: 256,
  DicomMaximumAssociationsPerHost: 0,
  DicomTlsMaximumHandshakes: 4,
  /** Orthanc's key: plugin files, folders (relative to the configuration file) and, in dicomtls, package names. */
  Plugins: [] as string[],
} as const;

/** Keys whose string value is a path, resolved against the folder of the file that holds them. */
type PathKey = "DicomTlsCertificate" | "DicomTlsPrivateKey" | "DicomTlsTrustedCertificates" | "StorageDirectory" | "SslCertificate";

const TopLevel = z.object({
  DicomServerEnabled: bool().optional(),
  DicomAet: aeTitle().optional(),
  DicomPort: int(1, 65535).optional(),
  DicomPlainPort: z.union([int(1, 65535), z.literal(false)], expected("expected an integer 1-65535, or false (off)")).optional(),
  DicomCheckCalledAet: bool().optional(),
  StrictAetComparison: bool().optional(),
  DicomCheckModalityHost: bool().optional(),
  DicomAlwaysAllowEcho: bool().optional(),
  DicomAlwaysAllowStore: bool().optional(),
  DicomAlwaysAllowFind: bool().optional(),
  DicomAlwaysAllowFindWorklist: bool().optional(),
  DicomAlwaysAllowGet: bool().optional(),
  DicomAlwaysAllowMove: bool().optional(),
  DicomScpTimeout: int(0).optional(),
  DicomScuTimeout: int(0).optional(),
  DicomAssociationCloseDelay: int(0).optional(),
  // Orthanc refuses values outside [4096, 131072] [src `main.cpp` KEY_MAXIMUM_PDU_LENGTH].
  MaximumPduLength: int(4096, 131072).optional(),
  DicomThreadsCount: int(1).optional(),
  DicomModalitiesInDatabase: bool().optional(),
  DicomEchoChecksFind: bool().optional(),
  DicomScuPreferredTransferSyntax: uid().optional(),
  AcceptedTransferSyntaxes: z.union([tsPattern(), z.array(tsPattern())], expected(TS_TEXT)).optional(),
  DeflatedTransferSyntaxAccepted: bool().optional(),
  JpegTransferSyntaxAccepted: bool().optional(),
  Jpeg2000TransferSyntaxAccepted: bool().optional(),
  JpegLosslessTransferSyntaxAccepted: bool().optional(),
  JpipTransferSyntaxAccepted: bool().optional(),
  Mpeg2TransferSyntaxAccepted: bool().optional(),
  Mpeg4TransferSyntaxAccepted: bool().optional(),
  RleTransferSyntaxAccepted: bool().optional(),
  H265TransferSyntaxAccepted: bool().optional(),
  UnknownSopClassAccepted: bool().optional(),
  DeidentifyLogs: bool().optional(),
  DeidentifyLogsDicomVersion: z.string(expected('expected a DICOM edition such as "2023b"')).regex(/^\d{4}[a-e]$/, expected('expected a DICOM edition such as "2023b"')).optional(),
  LimitFindResults: int(0).optional(),
  LimitFindInstances: int(0).optional(),
  StorageAccessOnFind: z.enum(STORAGE_ACCESS_ON_FIND, expected(`expected one of ${STORAGE_ACCESS_ON_FIND.map((v) => `"${v}"`).join(", ")}`)).optional(),
  CaseSensitivePN: bool().optional(),
  DefaultEncoding: z.enum(DEFAULT_ENCODINGS, expected(`expected one of ${DEFAULT_ENCODINGS.map((v) => `"${v}"`).join(", ")}`)).optional(),
  StorageDirectory: pathString().optional(),
  OverwriteInstances: bool().optional(),
  SyncStorageArea: bool().optional(),
  IndexGroupCommitDelay: int(0, 10_000).optional(),
  DicomTlsEnabled: bool().optional(),
  DicomTlsCertificate: pathString().optional(),
  DicomTlsPrivateKey: pathString().optional(),
  DicomTlsTrustedCertificates: pathString().optional(),
  DicomTlsPrivateKeyPassword: z.string(expected("expected a string (the private key's password)")).optional(),
  DicomTlsRemoteCertificateRequired: bool().optional(),
  DicomTlsMinimumProtocolVersion: int(0, 5).optional(),
  DicomTlsCiphersAccepted: z
    .array(z.string(expected("expected an OpenSSL cipher name")).min(1, expected("expected an OpenSSL cipher name")), expected("expected an array of OpenSSL cipher names"))
    .optional(),
  DicomTlsProfile: z.enum(PROFILE_VALUES, expected(`expected one of ${PROFILE_VALUES.map((p) => `"${p}"`).join(", ")}`)).optional(),
  DicomTlsCheckModalityCertificate: bool().optional(),
  DicomTlsHandshakeTimeout: z
    .number(expected("expected a number of seconds > 0 and <= 3600"))
    .positive(expected("expected a number of seconds > 0 and <= 3600"))
    .max(3600, expected("expected a number of seconds > 0 and <= 3600"))
    .optional(),
  DicomTlsCertificateRevocationLists: z.union([pathString(), z.array(pathString(), expected(CRL_TEXT))], expected(CRL_TEXT)).optional(),
  DicomTlsRevocationCheck: z.enum(REVOCATION_CHECK_VALUES, expected('expected "leaf" (the peer\'s own certificate) or "chain" (every CA-issued certificate)')).optional(),
  DicomTlsRevocationListGraceDays: int(0).optional(),
  AuditTrail: AuditTrail.optional(),
  HttpServerEnabled: bool().optional(),
  HttpPort: int(1, 65535).optional(),
  RemoteAccessAllowed: bool().optional(),
  AuthenticationEnabled: bool().optional(),
  RegisteredUsers: z.record(z.string(), z.string(expected("expected a password string")), expected('expected an object { "user" : "password" }')).optional(),
  SslEnabled: bool().optional(),
  SslCertificate: pathString().optional(),
  MetricsEnabled: bool().optional(),
  // dicomtls: limits answered with A-ASSOCIATE-RJ (transient, local limit exceeded); 0 = no limit.
  DicomMaximumAssociations: int(0).optional(),
  DicomMaximumAssociationsPerHost: int(0).optional(),
  // dicomtls: TLS handshakes in progress at once on a port; the rest wait their turn (event-loop bound).
  DicomTlsMaximumHandshakes: int(1, 1024).optional(),
  Plugins: z.array(pluginEntry(), expected(PLUGINS_TEXT)).optional(),
});

/** Every key dicomtls reads, including DicomModalities (validated separately, entry by entry). */
export const DICOMTLS_KEYS: ReadonlySet<string> = new Set([...Object.keys(TopLevel.shape), "DicomModalities"]);

export interface ValidateOptions {
  /** The folder a relative path under this top-level key resolves against. */
  readonly baseDir: (topLevelKey: string) => string;
  /** Whether a regular file exists at this absolute path; injectable for tests. */
  readonly isFile?: (path: string) => boolean;
}

export interface Validated {
  readonly config: NodeConfig | undefined;
  readonly errors: readonly RawIssue[];
  readonly warnings: readonly RawIssue[];
  /**
   * Keys present and not used: Orthanc keys of features dicomtls does not have, validated keys it does not act on
   * (VALIDATED_KEYS_NOT_USED), and `DicomModalities.<name>.<field>` for a modality field set to a value it ignores.
   */
  readonly ignoredKeys: readonly string[];
}

const defaultIsFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};


// ---- the validation itself ----

export function validateConfig(root: JsonObject, options: ValidateOptions): Validated {
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const ignoredKeys: string[] = [];
  const isFile = options.isFile ?? defaultIsFile;

  // 1. Classify top-level keys: ours, Orthanc's other features, typo, unknown.
  const candidates = [...DICOMTLS_KEYS, ...ORTHANC_KEYS_NOT_USED];
  for (const key of Object.keys(root)) {
    if (DICOMTLS_KEYS.has(key)) {
      // Still validated below: the file must stay right for Orthanc.
      if (VALIDATED_KEYS_NOT_USED[key] !== undefined) ignoredKeys.push(key);
      continue;
    }
    if (ORTHANC_KEYS_NOT_USED.has(key)) {
      ignoredKeys.push(key);
      continue;
    }
    const suggestion = closest(key, candidates);
    if (suggestion !== undefined) {
      warnings.push({ kind: ConfigIssueKind.LikelyTypo, path: [key], message: `unknown key, probably a typo for "${suggestion}" (ignored)` });
    } else {
      warnings.push({ kind: ConfigIssueKind.UnknownKey, path: [key], message: "unknown key (neither a dicomtls nor an Orthanc option; ignored)" });
    }
  }

  // 2. Scalar options.
  // Key by key, so that a bad value falls back to its default and the cross-checks still run:
  // one run reports every problem.
  const o: Partial<z.infer<typeof TopLevel>> = {};
  const shape: Record<string, z.ZodType> = TopLevel.shape;
  for (const [key, schema] of Object.entries(shape)) {
    if (root[key] === undefined) continue;
    const r = schema.safeParse(root[key]);
    if (r.success) (o as Record<string, unknown>)[key] = r.data;
    else errors.push(...fromZod(r.error, root[key], [key]));
  }

  // 3. Modalities, entry by entry so every bad entry is reported.
  const dicomAet = o.DicomAet ?? DEFAULTS.DicomAet;
  const dicomScuTimeout = o.DicomScuTimeout ?? DEFAULTS.DicomScuTimeout;
  const modalities: ModalityConfig[] = [];
  const rawModalities = root["DicomModalities"];
  if (rawModalities !== undefined) {
    if (rawModalities === null || typeof rawModalities !== "object" || Array.isArray(rawModalities)) {
      errors.push({
        kind: ConfigIssueKind.InvalidValue,
        path: ["DicomModalities"],
        message: `expected an object mapping modality names to their parameters, got ${describeValue(rawModalities)}`,
      });
    } else {
      const baseDir = options.baseDir("DicomModalities");
      for (const [name, entry] of Object.entries(rawModalities)) {
        const m = validateModality(name, entry, { dicomAet, dicomScuTimeout, baseDir }, errors, warnings);
        if (m === undefined) continue;
        modalities.push(m);
        ignoredKeys.push(...modalityFieldsNotUsed(m));
      }
    }
  }
  // Orthanc keeps modalities in a std::map: byte order of the names, and lookups take the first match.
  modalities.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // 4. Paths, resolved against the file that holds them.
  const pathOf = (key: PathKey): string | null => {
    const v = o[key];
    return v === undefined ? null : absolute(options.baseDir(key), v);
  };

  const crlSetting = o.DicomTlsCertificateRevocationLists ?? DEFAULTS.DicomTlsCertificateRevocationLists;
  const revocationLists = (typeof crlSetting === "string" ? [crlSetting] : crlSetting).map((p) => absolute(options.baseDir("DicomTlsCertificateRevocationLists"), p));

  const remoteAccessAllowed = o.RemoteAccessAllowed ?? DEFAULTS.RemoteAccessAllowed;
  const groups = Object.fromEntries(Object.values(TransferSyntaxGroup).map((k) => [k, o[k] ?? null])) as Record<TransferSyntaxGroup, boolean | null>;
  const accepted = o.AcceptedTransferSyntaxes ?? DEFAULTS.AcceptedTransferSyntaxes;

  const config: NodeConfig = {
    dicomServerEnabled: o.DicomServerEnabled ?? DEFAULTS.DicomServerEnabled,
    dicomAet,
    dicomPort: o.DicomPort ?? DEFAULTS.DicomPort,
    dicomPlainPort: o.DicomPlainPort === undefined || o.DicomPlainPort === false ? null : o.DicomPlainPort,
    dicomCheckCalledAet: o.DicomCheckCalledAet ?? DEFAULTS.DicomCheckCalledAet,
    strictAetComparison: o.StrictAetComparison ?? DEFAULTS.StrictAetComparison,
    dicomCheckModalityHost: o.DicomCheckModalityHost ?? DEFAULTS.DicomCheckModalityHost,
    dicomAlwaysAllowEcho: o.DicomAlwaysAllowEcho ?? DEFAULTS.DicomAlwaysAllowEcho,
    dicomAlwaysAllowStore: o.DicomAlwaysAllowStore ?? DEFAULTS.DicomAlwaysAllowStore,
    dicomAlwaysAllowFind: o.DicomAlwaysAllowFind ?? DEFAULTS.DicomAlwaysAllowFind,
    dicomAlwaysAllowFindWorklist: o.DicomAlwaysAllowFindWorklist ?? DEFAULTS.DicomAlwaysAllowFindWorklist,
    dicomAlwaysAllowGet: o.DicomAlwaysAllowGet ?? DEFAULTS.DicomAlwaysAllowGet,
    dicomAlwaysAllowMove: o.DicomAlwaysAllowMove ?? DEFAULTS.DicomAlwaysAllowMove,
    dicomScpTimeout: o.DicomScpTimeout ?? DEFAULTS.DicomScpTimeout,
    dicomScuTimeout,
    dicomAssociationCloseDelay: o.DicomAssociationCloseDelay ?? DEFAULTS.DicomAssociationCloseDelay,
    maximumPduLength: o.MaximumPduLength ?? DEFAULTS.MaximumPduLength,
    dicomThreadsCount: o.DicomThreadsCount ?? DEFAULTS.DicomThreadsCount,
    dicomModalitiesInDatabase: o.DicomModalitiesInDatabase ?? DEFAULTS.DicomModalitiesInDatabase,
    dicomEchoChecksFind: o.DicomEchoChecksFind ?? DEFAULTS.DicomEchoChecksFind,
    dicomScuPreferredTransferSyntax: o.DicomScuPreferredTransferSyntax ?? DEFAULTS.DicomScuPreferredTransferSyntax,
    acceptedTransferSyntaxes: typeof accepted === "string" ? [accepted] : [...accepted],
    transferSyntaxGroups: groups,
    unknownSopClassAccepted: o.UnknownSopClassAccepted ?? DEFAULTS.UnknownSopClassAccepted,
    deidentifyLogs: o.DeidentifyLogs ?? DEFAULTS.DeidentifyLogs,
    deidentifyLogsDicomVersion: o.DeidentifyLogsDicomVersion ?? DEFAULTS.DeidentifyLogsDicomVersion,
    limitFindResults: o.LimitFindResults ?? DEFAULTS.LimitFindResults,
    limitFindInstances: o.LimitFindInstances ?? DEFAULTS.LimitFindInstances,
    storageAccessOnFind: o.StorageAccessOnFind ?? DEFAULTS.StorageAccessOnFind,
    caseSensitivePN: o.CaseSensitivePN ?? DEFAULTS.CaseSensitivePN,
    defaultEncoding: o.DefaultEncoding ?? DEFAULTS.DefaultEncoding,
    storageDirectory: absolute(options.baseDir("StorageDirectory"), o.StorageDirectory ?? DEFAULTS.StorageDirectory),
    overwriteInstances: o.OverwriteInstances ?? DEFAULTS.OverwriteInstances,
    syncStorageArea: o.SyncStorageArea ?? DEFAULTS.SyncStorageArea,
    indexGroupCommitDelay: o.IndexGroupCommitDelay ?? DEFAULTS.IndexGroupCommitDelay,
    dicomTlsEnabled: o.DicomTlsEnabled ?? DEFAULTS.DicomTlsEnabled,
    dicomTlsCertificate: pathOf("DicomTlsCertificate"),
    dicomTlsPrivateKey: pathOf("DicomTlsPrivateKey"),
    dicomTlsTrustedCertificates: pathOf("DicomTlsTrustedCertificates"),
    dicomTlsPrivateKeyPassword: o.DicomTlsPrivateKeyPassword ?? null,
    dicomTlsRemoteCertificateRequired: o.DicomTlsRemoteCertificateRequired ?? DEFAULTS.DicomTlsRemoteCertificateRequired,
    dicomTlsMinimumProtocolVersion: (o.DicomTlsMinimumProtocolVersion ?? DEFAULTS.DicomTlsMinimumProtocolVersion) as NodeConfig["dicomTlsMinimumProtocolVersion"],
    dicomTlsCiphersAccepted: o.DicomTlsCiphersAccepted ?? [],
    dicomTlsProfile: o.DicomTlsProfile ?? DEFAULTS.DicomTlsProfile,
    dicomTlsCheckModalityCertificate: o.DicomTlsCheckModalityCertificate ?? DEFAULTS.DicomTlsCheckModalityCertificate,
    dicomTlsHandshakeTimeout: o.DicomTlsHandshakeTimeout ?? DEFAULTS.DicomTlsHandshakeTimeout,
    dicomTlsCertificateRevocationLists: revocationLists,
    dicomTlsRevocationCheck: o.DicomTlsRevocationCheck ?? DEFAULTS.DicomTlsRevocationCheck,
    dicomTlsRevocationListGraceDays: o.DicomTlsRevocationListGraceDays ?? DEFAULTS.DicomTlsRevocationListGraceDays,
    dicomMaximumAssociations: o.DicomMaximumAssociations ?? DEFAULTS.DicomMaximumAssociations,
    dicomMaximumAssociationsPerHost: o.DicomMaximumAssociationsPerHost ?? DEFAULTS.DicomMaximumAssociationsPerHost,
    dicomTlsMaximumHandshakes: o.DicomTlsMaximumHandshakes ?? DEFAULTS.DicomTlsMaximumHandshakes,
    dicomModalities: modalities,
    auditTrail: auditTrailOf(o.AuditTrail, options.baseDir("AuditTrail")),
    httpServerEnabled: o.HttpServerEnabled ?? DEFAULTS.HttpServerEnabled,
    httpPort: o.HttpPort ?? DEFAULTS.HttpPort,
    remoteAccessAllowed,
    authenticationEnabled: o.AuthenticationEnabled ?? remoteAccessAllowed,
    registeredUsers: { ...(o.RegisteredUsers ?? {}) },
    sslEnabled: o.SslEnabled ?? DEFAULTS.SslEnabled,
    sslCertificate: absolute(options.baseDir("SslCertificate"), o.SslCertificate ?? DEFAULTS.SslCertificate),
    metricsEnabled: o.MetricsEnabled ?? DEFAULTS.MetricsEnabled,
    plugins: (o.Plugins ?? DEFAULTS.Plugins).map((entry) => pluginSourceOf(entry, options.baseDir("Plugins"))),
  };

  checkHttp(config, o.AuthenticationEnabled !== undefined, errors, warnings, isFile);
  checkConsistency(config, errors, warnings, isFile);
  return { config: errors.length === 0 ? config : undefined, errors, warnings, ignoredKeys };
}

/** AuditTrail as NodeConfig: the File relative to the configuration file, the port by protocol (RFC 5425: 6514, RFC 5426: 514). */
function auditTrailOf(a: z.infer<typeof AuditTrail> | undefined, baseDir: string): NodeConfig["auditTrail"] {
  const d = DEFAULTS.AuditTrail;
  const s = a?.Syslog;
  const protocol = s?.Protocol ?? d.SyslogProtocol;
  return {
    file: a?.File === undefined ? null : absolute(baseDir, a.File),
    syslog:
      s === undefined
        ? null
        : { host: s.Host, port: s.Port ?? (protocol === "tls" ? d.SyslogTlsPort : d.SyslogUdpPort), protocol, queueSize: s.QueueSize ?? d.SyslogQueueSize },
  };
}

