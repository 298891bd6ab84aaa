/**
 * Validation of the merged configuration object with zod, and its normalisation into NodeConfig.
 * Defaults and ranges are Orthanc's [src `OrthancConfiguration.cpp`, `main.cpp`,
 * `RemoteModalityParameters.cpp`]; dicomtls' own keys are marked as such.
 */

import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigIssueKind } from "./errors.js";
import type { JsonObject, JsonPath, JsonValue } from "./json-text.js";
import { closest, ORTHANC_KEYS_NOT_USED } from "./known-keys.js";
import { DicomTlsProfile, ModalityManufacturer, TransferSyntaxGroup } from "./node-config.js";
import type { ModalityConfig, NodeConfig } from "./node-config.js";

/** An issue before it is placed in a file: the loader adds the location. */
export interface RawIssue {
  readonly kind: ConfigIssueKind;
  readonly path: JsonPath;
  readonly message: string;
}

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
  StorageDirectory: "OrthancStorage",
  OverwriteInstances: false,
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
} as const;

/** Keys whose string value is a path, resolved against the folder of the file that holds them. */
type PathKey = "DicomTlsCertificate" | "DicomTlsPrivateKey" | "DicomTlsTrustedCertificates" | "StorageDirectory" | "SslCertificate";

// ---- zod building blocks: each carries the "expected ..." text a person reads ----

const expected = (text: string) => ({ error: () => text });

const bool = () => z.boolean(expected("expected true or false"));

function int(min: number, max?: number) {
  const text = max === undefined ? `expected an integer >= ${min}` : `expected an integer ${min}-${max}`;
  const base = z.number(expected(text)).int(expected(text)).min(min, expected(text));
  return max === undefined ? base : base.max(max, expected(text));
}

const AET_TEXT = "expected an AE title (1-16 characters, no backslash or control characters)";
/** PS3.5 AE VR: at most 16 characters, no backslash, no control characters, not only spaces. */
const aeTitle = () =>
  z
    .string(expected(AET_TEXT))
    .max(16, expected(AET_TEXT))
    .refine((s) => s.trim() !== "" && !hasBackslashOrControl(s), expected(AET_TEXT));

function hasBackslashOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

const pathString = () => z.string(expected("expected a file path")).min(1, expected("expected a file path"));

const UID_TEXT = "expected a DICOM UID such as 1.2.840.10008.1.2.1";
const uid = () => z.string(expected(UID_TEXT)).max(64, expected(UID_TEXT)).regex(/^[0-9]+(\.[0-9]+)+$/, expected(UID_TEXT));

const TS_TEXT = "expected a transfer syntax UID pattern (wildcards * and ?) or an array of them";
const tsPattern = () => z.string(expected(TS_TEXT)).regex(/^[0-9.*?]+$/, expected(TS_TEXT));

const PROFILE_VALUES = Object.values(DicomTlsProfile);

const CRL_TEXT = "expected a revocation list file or folder path, or an array of them";
const REVOCATION_CHECK_VALUES = ["leaf", "chain"] as const;
const AUDIT_PROTOCOLS = ["tls", "udp"] as const;
/** An object's own "expected" text, except for unknown keys, which are named. */
const objectOf = (text: string) => ({
  error: (iss: { code?: string; keys?: readonly string[] }) =>
    iss.code === "unrecognized_keys" ? `unknown key${(iss.keys?.length ?? 0) > 1 ? "s" : ""} ${(iss.keys ?? []).map((k) => `"${k}"`).join(", ")}; ${text}` : text,
});
/** dicomtls: `"AuditTrail": { "File": ..., "Syslog": { "Host", "Port", "Protocol", "QueueSize" } }` (PS3.15 A.5, RFC 5425/5426). */
const AuditTrail = z.strictObject(
  {
    File: pathString().optional(),
    Syslog: z
      .strictObject(
        {
          Host: z.string(expected("expected a host name or IP address")).min(1, expected("expected a host name or IP address")),
          Port: int(1, 65535).optional(),
          Protocol: z.enum(AUDIT_PROTOCOLS, expected('expected "tls" or "udp"')).optional(),
          QueueSize: int(1, 1_000_000).optional(),
        },
        objectOf('expected an object { "Host", "Port", "Protocol", "QueueSize" }'),
      )
      .optional(),
  },
  objectOf('expected an object { "File", "Syslog" }'),
);

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
  StorageDirectory: pathString().optional(),
  OverwriteInstances: bool().optional(),
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
});

/** Every key dicomtls reads, including DicomModalities (validated separately, entry by entry). */
export const DICOMTLS_KEYS: ReadonlySet<string> = new Set([...Object.keys(TopLevel.shape), "DicomModalities"]);

// ---- modalities ----

const PORT_TEXT = "expected an integer 1-65534 (a number or a numeric string)";
/** Orthanc's ReadPortNumber: an int or a string lexical_cast to int, then [1..65534]. */
const modalityPort = () =>
  z.unknown().transform((v, ctx) => {
    let n: number | undefined;
    if (typeof v === "number" && Number.isInteger(v)) n = v;
    else if (typeof v === "string" && /^[+-]?[0-9]+$/.test(v)) n = Number(v);
    if (n === undefined || n < 1 || n > 65534) {
      ctx.addIssue({ code: "custom", message: PORT_TEXT });
      return z.NEVER;
    }
    return n;
  });

/** Names Orthanc still accepts and maps to a current one, with a warning [Orthanc `StringToModalityManufacturer`]. */
const LEGACY_MANUFACTURERS: Readonly<Record<string, ModalityManufacturer>> = {
  AgfaImpax: ModalityManufacturer.GenericNoWildcardInDates,
  SyngoVia: ModalityManufacturer.GenericNoWildcardInDates,
  EFilm2: ModalityManufacturer.Generic,
  MedInria: ModalityManufacturer.Generic,
  ClearCanvas: ModalityManufacturer.Generic,
  Dcm4Chee: ModalityManufacturer.Generic,
  StoreScp: ModalityManufacturer.Generic,
};
const MANUFACTURER_TEXT = `expected one of ${Object.values(ModalityManufacturer).map((m) => `"${m}"`).join(", ")} (case-sensitive)`;
const manufacturer = () =>
  z.string(expected(MANUFACTURER_TEXT)).refine((s) => s in ModalityManufacturer || s in LEGACY_MANUFACTURERS, expected(MANUFACTURER_TEXT));

const HOST_TEXT = "expected a host name or IP address";
const host = () => z.string(expected(HOST_TEXT)).min(1, expected(HOST_TEXT));

const ModalityObject = z.object({
  AET: aeTitle(),
  Host: host(),
  Port: modalityPort(),
  Manufacturer: manufacturer().optional(),
  AllowEcho: bool().optional(),
  AllowStore: bool().optional(),
  AllowFind: bool().optional(),
  AllowFindWorklist: bool().optional(),
  AllowGet: bool().optional(),
  AllowMove: bool().optional(),
  AllowNAction: bool().optional(),
  AllowEventReport: bool().optional(),
  AllowStorageCommitment: bool().optional(),
  AllowTranscoding: bool().optional(),
  UseDicomTls: bool().optional(),
  // "" means "not set" in Orthanc's own serialisation of a modality.
  LocalAet: z.union([z.literal(""), aeTitle()], expected(AET_TEXT)).optional(),
  Timeout: int(0).optional(),
  // dicomtls extensions
  TlsCertificate: pathString().optional(),
  TlsServerName: z.union([z.string().min(1), z.literal(false)], expected("expected a host name, or false (do not check the name)")).optional(),
});
const MODALITY_FIELDS = Object.keys(ModalityObject.shape);

const ModalityArray = z.tuple([aeTitle(), host(), modalityPort()], manufacturer().optional());

// ---- helpers ----

function valueAt(root: JsonValue | undefined, path: JsonPath): JsonValue | undefined {
  let v: JsonValue | undefined = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? (typeof p === "number" ? v[p] : undefined) : (v)[String(p)];
  }
  return v;
}

/** How a found value is shown in a message: short, and never a secret. */
export function describeValue(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "an empty array" : `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

function fromZod(error: z.ZodError, root: JsonValue, prefix: JsonPath): RawIssue[] {
  return error.issues.map((iss) => {
    const path = [...prefix, ...iss.path.map((p) => (typeof p === "number" ? p : String(p)))];
    const found = valueAt(root, iss.path.map((p) => (typeof p === "number" ? p : String(p))));
    if (found === undefined) {
      return { kind: ConfigIssueKind.MissingValue, path, message: `missing; ${iss.message}` };
    }
    const secret = path[path.length - 1] === "DicomTlsPrivateKeyPassword" || path[0] === "RegisteredUsers";
    return { kind: ConfigIssueKind.InvalidValue, path, message: `${iss.message}, got ${secret ? "a non-string value" : describeValue(found)}` };
  });
}

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
  /** Orthanc keys recognised as belonging to features dicomtls does not have. */
  readonly ignoredKeys: readonly string[];
}

const defaultIsFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

const absolute = (dir: string, p: string): string => (isAbsolute(p) ? p : resolve(dir, p));

// ---- the validation itself ----

export function validateConfig(root: JsonObject, options: ValidateOptions): Validated {
  const errors: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const ignoredKeys: string[] = [];
  const isFile = options.isFile ?? defaultIsFile;

  // 1. Classify top-level keys: ours, Orthanc's other features, typo, unknown.
  const candidates = [...DICOMTLS_KEYS, ...ORTHANC_KEYS_NOT_USED];
  for (const key of Object.keys(root)) {
    if (DICOMTLS_KEYS.has(key)) continue;
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
        if (m !== undefined) modalities.push(m);
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
    storageDirectory: absolute(options.baseDir("StorageDirectory"), o.StorageDirectory ?? DEFAULTS.StorageDirectory),
    overwriteInstances: o.OverwriteInstances ?? DEFAULTS.OverwriteInstances,
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

function validateModality(
  name: string,
  entry: JsonValue,
  globals: { dicomAet: string; dicomScuTimeout: number; baseDir: string },
  errors: RawIssue[],
  warnings: RawIssue[],
): ModalityConfig | undefined {
  const at: JsonPath = ["DicomModalities", name];
  const before = errors.length;
  // Orthanc's CheckAlphanumeric on the symbolic name.
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    errors.push({
      kind: ConfigIssueKind.BadModalityName,
      path: at,
      message: `modality name ${JSON.stringify(name)} may only contain letters, digits, '-' and '_'`,
    });
  }

  let aet: string, hostName: string, port: number, maker: string | undefined;
  let fields: z.infer<typeof ModalityObject> | undefined;
  if (Array.isArray(entry)) {
    if (entry.length !== 3 && entry.length !== 4) {
      errors.push({
        kind: ConfigIssueKind.InvalidValue,
        path: at,
        message: `expected [AET, Host, Port] or [AET, Host, Port, Manufacturer], got an array of ${entry.length}`,
      });
      return undefined;
    }
    const r = ModalityArray.safeParse(entry);
    if (!r.success) {
      errors.push(...fromZod(r.error, entry, at));
      return undefined;
    }
    [aet, hostName, port] = r.data;
    maker = r.data[3];
  } else if (entry !== null && typeof entry === "object") {
    for (const field of Object.keys(entry)) {
      if (MODALITY_FIELDS.includes(field)) continue;
      const suggestion = closest(field, MODALITY_FIELDS);
      errors.push({
        kind: ConfigIssueKind.UnknownModalityField,
        path: [...at, field],
        message: `unknown modality field${suggestion === undefined ? "" : `; did you mean "${suggestion}"?`} (known: ${MODALITY_FIELDS.join(", ")})`,
      });
    }
    const r = ModalityObject.safeParse(entry);
    if (!r.success) {
      errors.push(...fromZod(r.error, entry, at));
      return undefined;
    }
    fields = r.data;
    aet = fields.AET;
    hostName = fields.Host;
    port = fields.Port;
    maker = fields.Manufacturer;
  } else {
    errors.push({
      kind: ConfigIssueKind.InvalidValue,
      path: at,
      message: `expected an object {"AET", "Host", "Port", ...} or an array [AET, Host, Port(, Manufacturer)], got ${describeValue(entry)}`,
    });
    return undefined;
  }
  if (errors.length > before) return undefined;

  let manufacturerValue: ModalityManufacturer = ModalityManufacturer.Generic;
  if (maker !== undefined) {
    const legacy = LEGACY_MANUFACTURERS[maker];
    if (legacy !== undefined) {
      manufacturerValue = legacy;
      warnings.push({
        kind: ConfigIssueKind.Obsolete,
        path: [...at, Array.isArray(entry) ? 3 : "Manufacturer"],
        message: `manufacturer "${maker}" is obsolete; treated as "${legacy}" (as Orthanc does)`,
      });
    } else {
      manufacturerValue = maker as ModalityManufacturer;
    }
  }

  const f = fields;
  const commitment = f?.AllowStorageCommitment;
  return {
    name,
    aet,
    host: hostName,
    port,
    manufacturer: manufacturerValue,
    allowEcho: f?.AllowEcho ?? true,
    allowStore: f?.AllowStore ?? true,
    allowFind: f?.AllowFind ?? true,
    allowFindWorklist: f?.AllowFindWorklist ?? true,
    allowGet: f?.AllowGet ?? true,
    allowMove: f?.AllowMove ?? true,
    // Orthanc applies AllowStorageCommitment after the two flags it aliases, so it wins.
    allowNAction: commitment ?? f?.AllowNAction ?? true,
    allowEventReport: commitment ?? f?.AllowEventReport ?? true,
    allowTranscoding: f?.AllowTranscoding ?? true,
    useDicomTls: f?.UseDicomTls ?? false,
    localAet: f?.LocalAet === undefined || f.LocalAet === "" ? globals.dicomAet : f.LocalAet,
    // Orthanc: a Timeout of 0 means "use DicomScuTimeout".
    timeout: f?.Timeout === undefined || f.Timeout === 0 ? globals.dicomScuTimeout : f.Timeout,
    tlsCertificate: f?.TlsCertificate === undefined ? null : absolute(globals.baseDir, f.TlsCertificate),
    tlsServerName: f?.TlsServerName ?? null,
  };
}

function checkConsistency(c: NodeConfig, errors: RawIssue[], warnings: RawIssue[], isFile: (p: string) => boolean): void {
  if (c.auditTrail.syslog?.protocol === "tls") {
    // RFC 5425 with the node's TLS settings: its certificate is the client certificate, its trusted certificates verify the receiver.
    const pkcs12 = c.dicomTlsCertificate !== null && /\.(p12|pfx)$/i.test(c.dicomTlsCertificate);
    const needed: [string, string | null][] = [
      ["DicomTlsCertificate", c.dicomTlsCertificate],
      ["DicomTlsTrustedCertificates", c.dicomTlsTrustedCertificates],
    ];
    if (!pkcs12) needed.push(["DicomTlsPrivateKey", c.dicomTlsPrivateKey]);
    for (const [key, file] of needed) {
      if (file !== null) continue;
      errors.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["AuditTrail", "Syslog", "Protocol"],
        message: `"tls" sends the audit trail with the node's TLS settings, but ${key} is not set; set it, or use "udp"`,
      });
    }
  }
  if (c.dicomTlsCiphersAccepted.length > 0 && c.dicomTlsMinimumProtocolVersion === 0) {
    // Orthanc refuses to start here too: "The cipher suites can not be specified when using the default BCP profile".
    errors.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["DicomTlsCiphersAccepted"],
      message:
        "cipher suites cannot be set while DicomTlsMinimumProtocolVersion is 0 (the profile chooses them); " +
        "set DicomTlsMinimumProtocolVersion to 4 (TLS 1.2+) or 5 (TLS 1.3), or remove DicomTlsCiphersAccepted",
    });
  }

  const scuTls = c.dicomModalities.filter((m) => m.useDicomTls).map((m) => m.name);
  const tlsUsed = c.dicomTlsEnabled || scuTls.length > 0;
  if (tlsUsed) {
    const why = c.dicomTlsEnabled ? "DicomTlsEnabled is true" : `modality ${scuTls.join(", ")} has UseDicomTls true`;
    // A PKCS#12 file (.p12/.pfx) holds the key too, so DicomTlsPrivateKey is then neither needed nor read.
    const pkcs12 = c.dicomTlsCertificate !== null && /\.(p12|pfx)$/i.test(c.dicomTlsCertificate);
    const needed: [string, string | null][] = [["DicomTlsCertificate", c.dicomTlsCertificate]];
    if (!pkcs12) needed.push(["DicomTlsPrivateKey", c.dicomTlsPrivateKey]);
    else if (c.dicomTlsPrivateKey !== null) {
      warnings.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["DicomTlsPrivateKey"],
        message: "ignored: DicomTlsCertificate is a PKCS#12 file, which holds the private key",
      });
    }
    if (c.dicomTlsRemoteCertificateRequired) needed.push(["DicomTlsTrustedCertificates", c.dicomTlsTrustedCertificates]);
    for (const [key, file] of needed) {
      if (file === null) {
        const extra = key === "DicomTlsTrustedCertificates" ? " and DicomTlsRemoteCertificateRequired is true" : "";
        errors.push({ kind: ConfigIssueKind.MissingValue, path: [key], message: `missing; required because ${why}${extra}` });
      } else if (!isFile(file)) {
        errors.push({ kind: ConfigIssueKind.MissingFile, path: [key], message: `file not found (or not a regular file): ${file}` });
      }
    }
    if (!c.dicomTlsRemoteCertificateRequired && c.dicomTlsTrustedCertificates !== null && !isFile(c.dicomTlsTrustedCertificates)) {
      errors.push({ kind: ConfigIssueKind.MissingFile, path: ["DicomTlsTrustedCertificates"], message: `file not found (or not a regular file): ${c.dicomTlsTrustedCertificates}` });
    }
  }
  for (const m of c.dicomModalities) {
    if (m.tlsCertificate !== null && !isFile(m.tlsCertificate)) {
      errors.push({
        kind: ConfigIssueKind.MissingFile,
        path: ["DicomModalities", m.name, "TlsCertificate"],
        message: `file not found (or not a regular file): ${m.tlsCertificate}`,
      });
    }
    if (c.dicomTlsEnabled && c.dicomTlsCheckModalityCertificate && m.tlsCertificate === null) {
      warnings.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["DicomModalities", m.name],
        message: "no TlsCertificate: with DicomTlsCheckModalityCertificate on, no peer can ever associate with this modality's AE title over TLS",
      });
    }
  }

  if (c.dicomPlainPort !== null) {
    if (c.dicomPlainPort === c.dicomPort) {
      errors.push({ kind: ConfigIssueKind.Inconsistent, path: ["DicomPlainPort"], message: `must differ from DicomPort (${c.dicomPort})` });
    } else if (!c.dicomTlsEnabled) {
      warnings.push({ kind: ConfigIssueKind.Inconsistent, path: ["DicomPlainPort"], message: "DicomTlsEnabled is false, so DicomPort is plain already: two plain listeners" });
    }
  }
  if (c.dicomModalitiesInDatabase) {
    warnings.push({
      kind: ConfigIssueKind.Unsupported,
      path: ["DicomModalitiesInDatabase"],
      message: "dicomtls has no modality database: modalities are read from DicomModalities in the configuration only",
    });
  }
}

/** The HTTP(S) port's keys, as Orthanc's main.cpp reads them (authentication follows remote access unless set). */
function checkHttp(c: NodeConfig, authenticationSet: boolean, errors: RawIssue[], warnings: RawIssue[], isFile: (p: string) => boolean): void {
  for (const user of Object.keys(c.registeredUsers)) {
    // RFC 7617 §2: the user-id of HTTP Basic cannot contain a colon, so such a user could never log in.
    if (user.includes(":") || user === "") {
      errors.push({ kind: ConfigIssueKind.InvalidValue, path: ["RegisteredUsers", user], message: "expected a user name without ':' (HTTP Basic cannot carry it), not empty" });
    }
  }
  if (!c.httpServerEnabled) return;
  if (c.sslEnabled && !isFile(c.sslCertificate)) {
    errors.push({
      kind: ConfigIssueKind.MissingFile,
      path: ["SslCertificate"],
      message: `file not found (or not a regular file): ${c.sslCertificate}; SslEnabled is true, and this PEM file must hold the HTTPS certificate and its private key`,
    });
  }
  if (c.remoteAccessAllowed && authenticationSet && !c.authenticationEnabled) {
    warnings.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["AuthenticationEnabled"],
      message: "false while RemoteAccessAllowed is true: anyone who reaches HttpPort sees the status page and the metrics (possibly insecure, as Orthanc warns)",
    });
  }
  if (c.authenticationEnabled && Object.keys(c.registeredUsers).length === 0) {
    // Orthanc would create the user "orthanc" with the password "orthanc" here; a known password is no protection.
    warnings.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["RegisteredUsers"],
      message: `no user declared while HTTP authentication is on${authenticationSet ? "" : " (RemoteAccessAllowed turns it on)"}: every HTTP request is refused with 401; dicomtls does not create Orthanc's default user "orthanc"`,
    });
  }
}
