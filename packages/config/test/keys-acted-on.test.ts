/**
 * No key is validated and then silently ignored (issue 10): every key the schema accepts is either acted on (this
 * table names the NodeConfig field and the source file that reads it, and the file is checked to read it) or listed
 * as not used with a reason (VALIDATED_KEYS_NOT_USED, MODALITY_FIELDS_NOT_USED), never both. A key added to the
 * schema without a row here fails this test; so does a row whose file stopped reading the field.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DICOMTLS_KEYS, MODALITY_FIELDS_NOT_USED, notUsedReason, VALIDATED_KEYS_NOT_USED } from "../src/index.js";
import { MODALITY_FIELDS } from "../src/schema-parts.js";

const ROOT = new URL("../../../", import.meta.url);

type Row =
  /** The NodeConfig (or ModalityConfig) field, and the files of the node that act on it. */
  | { readonly field: string; readonly files: readonly string[] }
  /** Listed as not used, with its reason. */
  | "not used"
  /** Being implemented on another branch of the same issue: neither listed nor checked until it lands. */
  | { readonly pending: string };

const SERVER = "apps/server/src/server.ts";
const MAPPING = "apps/server/src/mapping.ts";
const STORAGE = "apps/server/src/plugins/storage.ts";
const QUERY = "apps/server/src/plugins/query.ts";
const TLS = "packages/tls-context/src/settings.ts";
const HTTP = "apps/server/src/http/server.ts";
const CLI_TARGET = "apps/cli/src/commands/echo.ts";
const at = (field: string, ...files: string[]): Row => ({ field, files });

const TOP_LEVEL: Readonly<Record<string, Row>> = {
  DicomServerEnabled: at("dicomServerEnabled", "apps/server/src/main.ts"),
  DicomAet: at("dicomAet", SERVER),
  DicomPort: at("dicomPort", SERVER),
  DicomPlainPort: at("dicomPlainPort", SERVER),
  DicomCheckCalledAet: at("dicomCheckCalledAet", MAPPING),
  StrictAetComparison: at("strictAetComparison", MAPPING),
  DicomCheckModalityHost: at("dicomCheckModalityHost", MAPPING),
  DicomAlwaysAllowEcho: at("dicomAlwaysAllowEcho", MAPPING),
  DicomAlwaysAllowStore: at("dicomAlwaysAllowStore", MAPPING),
  DicomAlwaysAllowFind: at("dicomAlwaysAllowFind", MAPPING),
  DicomAlwaysAllowFindWorklist: at("dicomAlwaysAllowFindWorklist", MAPPING),
  DicomAlwaysAllowGet: at("dicomAlwaysAllowGet", MAPPING),
  DicomAlwaysAllowMove: at("dicomAlwaysAllowMove", MAPPING),
  DicomScpTimeout: at("dicomScpTimeout", SERVER),
  // The default of each modality's Timeout (validate-modality.ts), which the SCU commands use.
  DicomScuTimeout: at("timeout", CLI_TARGET),
  DicomAssociationCloseDelay: "not used",
  MaximumPduLength: at("maximumPduLength", SERVER),
  DicomThreadsCount: at("dicomThreadsCount", STORAGE),
  DicomModalitiesInDatabase: "not used",
  DicomEchoChecksFind: at("dicomEchoChecksFind", CLI_TARGET),
  DicomScuPreferredTransferSyntax: "not used",
  AcceptedTransferSyntaxes: at("acceptedTransferSyntaxes", STORAGE),
  DeflatedTransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  JpegTransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  Jpeg2000TransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  JpegLosslessTransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  JpipTransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  Mpeg2TransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  Mpeg4TransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  RleTransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  H265TransferSyntaxAccepted: at("transferSyntaxGroups", STORAGE),
  UnknownSopClassAccepted: at("unknownSopClassAccepted", STORAGE),
  DeidentifyLogs: at("deidentifyLogs", STORAGE),
  DeidentifyLogsDicomVersion: "not used",
  LimitFindResults: at("limitFindResults", QUERY),
  LimitFindInstances: at("limitFindInstances", QUERY),
  StorageAccessOnFind: at("storageAccessOnFind", QUERY),
  CaseSensitivePN: at("caseSensitivePN", QUERY),
  DefaultEncoding: at("defaultEncoding", QUERY),
  Plugins: at("plugins", "apps/server/src/plugins/load-plugins.ts"),
  StorageDirectory: at("storageDirectory", STORAGE),
  OverwriteInstances: at("overwriteInstances", STORAGE),
  SyncStorageArea: at("syncStorageArea", STORAGE),
  IndexGroupCommitDelay: at("indexGroupCommitDelay", STORAGE),
  DicomTlsEnabled: at("dicomTlsEnabled", SERVER),
  DicomTlsCertificate: at("dicomTlsCertificate", TLS),
  DicomTlsPrivateKey: at("dicomTlsPrivateKey", TLS),
  DicomTlsTrustedCertificates: at("dicomTlsTrustedCertificates", TLS),
  DicomTlsPrivateKeyPassword: at("dicomTlsPrivateKeyPassword", TLS),
  DicomTlsRemoteCertificateRequired: at("dicomTlsRemoteCertificateRequired", TLS),
  DicomTlsMinimumProtocolVersion: at("dicomTlsMinimumProtocolVersion", TLS),
  DicomTlsCiphersAccepted: at("dicomTlsCiphersAccepted", TLS),
  DicomTlsProfile: at("dicomTlsProfile", TLS),
  DicomTlsCheckModalityCertificate: at("dicomTlsCheckModalityCertificate", MAPPING),
  DicomTlsHandshakeTimeout: at("dicomTlsHandshakeTimeout", TLS),
  DicomTlsCertificateRevocationLists: at("dicomTlsCertificateRevocationLists", TLS),
  DicomTlsRevocationCheck: at("dicomTlsRevocationCheck", TLS),
  DicomTlsRevocationListGraceDays: at("dicomTlsRevocationListGraceDays", TLS),
  AuditTrail: at("auditTrail", SERVER),
  HttpServerEnabled: at("httpServerEnabled", SERVER),
  HttpPort: at("httpPort", HTTP),
  RemoteAccessAllowed: at("remoteAccessAllowed", HTTP),
  AuthenticationEnabled: at("authenticationEnabled", HTTP),
  RegisteredUsers: at("registeredUsers", HTTP),
  SslEnabled: at("sslEnabled", HTTP),
  SslCertificate: at("sslCertificate", HTTP),
  MetricsEnabled: at("metricsEnabled", SERVER),
  DicomMaximumAssociations: at("dicomMaximumAssociations", SERVER),
  DicomMaximumAssociationsPerHost: at("dicomMaximumAssociationsPerHost", SERVER),
  DicomTlsMaximumHandshakes: at("dicomTlsMaximumHandshakes", SERVER),
  DicomModalities: at("dicomModalities", MAPPING, CLI_TARGET, TLS),
};

const MODALITY: Readonly<Record<string, Row>> = {
  AET: at("aet", MAPPING, CLI_TARGET),
  Host: at("host", MAPPING, CLI_TARGET),
  Port: at("port", CLI_TARGET),
  Manufacturer: "not used",
  AllowEcho: at("allowEcho", MAPPING),
  AllowStore: at("allowStore", MAPPING),
  AllowFind: at("allowFind", MAPPING),
  AllowFindWorklist: at("allowFindWorklist", MAPPING),
  AllowGet: at("allowGet", MAPPING),
  AllowMove: at("allowMove", MAPPING),
  AllowNAction: at("allowNAction", MAPPING),
  AllowEventReport: at("allowEventReport", MAPPING),
  // An alias: validate-modality.ts sets allowNAction and allowEventReport from it.
  AllowStorageCommitment: at("allowNAction", MAPPING),
  AllowTranscoding: "not used",
  UseDicomTls: at("useDicomTls", CLI_TARGET),
  LocalAet: at("localAet", CLI_TARGET),
  Timeout: at("timeout", CLI_TARGET),
  TlsCertificate: at("tlsCertificate", TLS),
  TlsServerName: at("tlsServerName", CLI_TARGET),
};

const source = (file: string): string => readFileSync(new URL(file, ROOT), "utf8");

function checkRows(rows: Readonly<Record<string, Row>>, schemaKeys: readonly string[], notUsed: readonly string[], what: string): void {
  it(`every ${what} of the schema has a row, and every row is a key of the schema`, () => {
    assert.deepEqual([...Object.keys(rows)].sort(), [...schemaKeys].sort());
  });
  it(`a ${what} is listed as not used exactly when its row says so`, () => {
    const marked = Object.entries(rows).filter(([, r]) => r === "not used").map(([k]) => k);
    assert.deepEqual(marked.sort(), [...notUsed].sort());
  });
  for (const [key, row] of Object.entries(rows)) {
    if (typeof row !== "object" || !("files" in row)) continue;
    it(`${key}: ${row.field} is read by ${row.files.join(", ")}`, () => {
      for (const file of row.files) assert.match(source(file), new RegExp(`\\.${row.field}\\b`), `${file} does not read .${row.field}`);
    });
  }
}

describe("top-level keys", () => {
  checkRows(TOP_LEVEL, [...DICOMTLS_KEYS], Object.keys(VALIDATED_KEYS_NOT_USED), "top-level key");
  it("each key listed as not used says why", () => {
    for (const key of Object.keys(VALIDATED_KEYS_NOT_USED)) assert.ok(notUsedReason(key).length > 40, key);
  });
});

describe("DicomModalities fields", () => {
  checkRows(MODALITY, MODALITY_FIELDS, Object.keys(MODALITY_FIELDS_NOT_USED), "modality field");
  it("each field listed as not used says why", () => {
    for (const field of Object.keys(MODALITY_FIELDS_NOT_USED)) assert.ok(notUsedReason(`DicomModalities.x.${field}`).length > 40, field);
  });
});
