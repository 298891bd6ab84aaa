/**
 * Why a key is not used: the keys dicomtls validates (so that a file stays right for Orthanc too) but does not act
 * on, each with its reason, and the reason of each Orthanc-only key (ORTHANC_KEYS_NOT_USED) by the feature it
 * belongs to. `dicomtls config check` lists them with these reasons; the server warns about them at start-up.
 */

import { ORTHANC_KEYS_NOT_USED } from "./known-keys.js";
import type { ModalityConfig } from "./node-config.js";

/**
 * Top-level keys of the schema that the node validates and does not act on. A key acted on somewhere must not be
 * here, and every schema key must be acted on or here (packages/config/test/keys-acted-on.test.ts checks both).
 */
export const VALIDATED_KEYS_NOT_USED: Readonly<Record<string, string>> = {
  DicomAssociationCloseDelay:
    "Orthanc keeps only the associations its Lua scripts open for this delay; dicomtls has no Lua, and releases each association it opens when its operation ends",
  DicomModalitiesInDatabase: "dicomtls has no REST API to store modalities in: they come from DicomModalities only",
  DicomScuPreferredTransferSyntax:
    "dicomtls's C-STORE SCU sends each file in its own transfer syntax, or converts it between the uncompressed ones only (explicit VR little endian first, which is this key's default); it never transcodes to another",
  DeidentifyLogsDicomVersion:
    "with DeidentifyLogs, dicomtls leaves the patient's identifiers out of its log records altogether, so no edition of the de-identification profile is involved",
};

/**
 * Fields of a DicomModalities entry validated and not acted on, and the value that behaves as dicomtls does anyway:
 * only another value is listed as not used.
 */
export const MODALITY_FIELDS_NOT_USED: Readonly<Record<string, { readonly property: keyof ModalityConfig; readonly harmless: unknown; readonly reason: string }>> = {
  Manufacturer: {
    property: "manufacturer",
    harmless: "Generic",
    reason: "dicomtls's C-FIND SCU applies no manufacturer patches: queries go to every modality as written (Orthanc's Generic)",
  },
  AllowTranscoding: {
    property: "allowTranscoding",
    harmless: true,
    reason: "the flag is not consulted: dicomtls's C-STORE SCU may still convert between the uncompressed little-endian transfer syntaxes for this modality (never to or from a compressed one)",
  },
};

const HTTP = "Orthanc's HTTP server and REST API: dicomtls's HTTP port serves only the status page and /metrics (HttpServerEnabled, HttpPort, RemoteAccessAllowed, AuthenticationEnabled, RegisteredUsers, SslEnabled, SslCertificate, MetricsEnabled)";
const PLUGIN_SECTION = "the settings of an Orthanc plugin, which dicomtls does not load";
const ENGINE = "Orthanc's database, storage engine, jobs or REST-side features, which dicomtls does not have";

/** Orthanc plugins' own sections (known-keys.ts lists them after the HTTP keys). */
const PLUGIN_SECTIONS = new Set([
  "DicomWeb", "Worklists", "ServeFolders", "PostgreSQL", "MySQL", "Odbc", "WebViewer", "Gdcm", "OrthancExplorer2",
  "StoneWebViewer", "OHIF", "VolView", "Authorization", "Transfers", "Tcia", "WholeSlideImaging", "Python",
  "PythonScript", "PythonVerbose", "AwsS3Storage", "AzureBlobStorage", "GoogleCloudStorage", "Housekeeper",
  "DelayedDeletion", "MultitenantDicom", "Indexer", "AdvancedStorage", "Education", "Java", "Neuro",
]);

/** Orthanc-only keys whose reason is more specific than their group's. */
const SPECIFIC: Readonly<Record<string, string>> = {
  LuaScripts: "Lua scripting: dicomtls has no Lua interpreter",
  LuaHeartBeatPeriod: "Lua scripting: dicomtls has no Lua interpreter",
  ExecuteLuaEnabled: "Lua scripting: dicomtls has no Lua interpreter",
  Plugins: "Orthanc's C/C++ plugins: dicomtls plugins are JavaScript modules registered with the server",
  StorageCompression: "dicomtls stores each instance's bytes as received (no zlib layer)",
  StorageDirectoryLayout: "dicomtls's storage layout is its own (packages/storage)",
  StoreDicom: "dicomtls always stores the DICOM file",
  TcpNoDelay: "dicomtls always sets TCP_NODELAY on its DICOM sockets",
  KeepAlive: HTTP,
  KeepAliveTimeout: HTTP,
  DefaultEncoding: "C-FIND character sets are not implemented yet (issue 10, h-find)",
  CaseSensitivePN: "C-FIND matching is not implemented yet (issue 10, h-find)",
  StorageAccessOnFind: "C-FIND is not implemented yet (issue 10, h-find)",
  SynchronousCMove: "C-MOVE is not implemented yet (issue 10, h-retrieve)",
  TranscodeDicomProtocol: "dicomtls never transcodes what it sends or accepts",
  IngestTranscoding: "dicomtls stores instances as received, never transcoded",
  IngestTranscodingOfUncompressed: "dicomtls stores instances as received, never transcoded",
  IngestTranscodingOfCompressed: "dicomtls stores instances as received, never transcoded",
  OrthancPeers: "Orthanc-to-Orthanc HTTP peers: dicomtls speaks DICOM only",
  OrthancPeersInDatabase: "Orthanc-to-Orthanc HTTP peers: dicomtls speaks DICOM only",
};

/** Why dicomtls does not use `key` (a top-level key of either list, or a modality field). */
export function notUsedReason(key: string): string {
  const validated = VALIDATED_KEYS_NOT_USED[key];
  if (validated !== undefined) return validated;
  const field = /^DicomModalities\.[^.]+\.(\w+)$/.exec(key)?.[1];
  if (field !== undefined) return MODALITY_FIELDS_NOT_USED[field]?.reason ?? "";
  const specific = SPECIFIC[key];
  if (specific !== undefined) return specific;
  if (PLUGIN_SECTIONS.has(key)) return PLUGIN_SECTION;
  if (/^(Http|Ssl|WebDav|OrthancExplorer)/.test(key)) return HTTP;
  return ORTHANC_KEYS_NOT_USED.has(key) ? ENGINE : "";
}

/** The fields of a validated modality whose value would change what Orthanc does, and not what dicomtls does. */
export function modalityFieldsNotUsed(m: ModalityConfig): string[] {
  return Object.entries(MODALITY_FIELDS_NOT_USED)
    .filter(([, f]) => m[f.property] !== f.harmless)
    .map(([field]) => `DicomModalities.${m.name}.${field}`);
}
