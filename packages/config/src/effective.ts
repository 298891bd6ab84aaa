import type { NodeConfig } from "./node-config.js";

/** What a secret is replaced by in printed output. */
export const REDACTED = "<redacted>";

/**
 * The configuration as dicomtls will use it, with Orthanc's key names, every default filled in,
 * paths absolute and secrets redacted: what `dicomtls config check` prints. A setting that is not
 * set and has no default (a TLS file, the key password, a modality's TlsCertificate) is left out, so
 * the output is itself a valid configuration file.
 */
export function effectiveConfig(c: NodeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    DicomServerEnabled: c.dicomServerEnabled,
    DicomAet: c.dicomAet,
    DicomPort: c.dicomPort,
    DicomPlainPort: c.dicomPlainPort ?? false,
    DicomCheckCalledAet: c.dicomCheckCalledAet,
    StrictAetComparison: c.strictAetComparison,
    DicomCheckModalityHost: c.dicomCheckModalityHost,
    DicomAlwaysAllowEcho: c.dicomAlwaysAllowEcho,
    DicomAlwaysAllowStore: c.dicomAlwaysAllowStore,
    DicomAlwaysAllowFind: c.dicomAlwaysAllowFind,
    DicomAlwaysAllowFindWorklist: c.dicomAlwaysAllowFindWorklist,
    DicomAlwaysAllowGet: c.dicomAlwaysAllowGet,
    DicomAlwaysAllowMove: c.dicomAlwaysAllowMove,
    DicomScpTimeout: c.dicomScpTimeout,
    DicomScuTimeout: c.dicomScuTimeout,
    DicomAssociationCloseDelay: c.dicomAssociationCloseDelay,
    MaximumPduLength: c.maximumPduLength,
    DicomThreadsCount: c.dicomThreadsCount,
    DicomModalitiesInDatabase: c.dicomModalitiesInDatabase,
    DicomEchoChecksFind: c.dicomEchoChecksFind,
    DicomScuPreferredTransferSyntax: c.dicomScuPreferredTransferSyntax,
    AcceptedTransferSyntaxes: [...c.acceptedTransferSyntaxes],
  };
  for (const [key, value] of Object.entries(c.transferSyntaxGroups)) {
    // Unset groups stay out: Orthanc only applies a group switch that is present.
    if (value !== null) out[key] = value;
  }
  Object.assign(out, {
    UnknownSopClassAccepted: c.unknownSopClassAccepted,
    DeidentifyLogs: c.deidentifyLogs,
    DeidentifyLogsDicomVersion: c.deidentifyLogsDicomVersion,
    LimitFindResults: c.limitFindResults,
    LimitFindInstances: c.limitFindInstances,
    StorageAccessOnFind: c.storageAccessOnFind,
    CaseSensitivePN: c.caseSensitivePN,
    DefaultEncoding: c.defaultEncoding,
    StorageDirectory: c.storageDirectory,
    OverwriteInstances: c.overwriteInstances,
    SyncStorageArea: c.syncStorageArea,
    IndexGroupCommitDelay: c.indexGroupCommitDelay,
    DicomTlsEnabled: c.dicomTlsEnabled,
    DicomTlsCertificate: c.dicomTlsCertificate,
    DicomTlsPrivateKey: c.dicomTlsPrivateKey,
    DicomTlsPrivateKeyPassword: c.dicomTlsPrivateKeyPassword === null ? null : REDACTED,
    DicomTlsTrustedCertificates: c.dicomTlsTrustedCertificates,
    DicomTlsRemoteCertificateRequired: c.dicomTlsRemoteCertificateRequired,
    DicomTlsMinimumProtocolVersion: c.dicomTlsMinimumProtocolVersion,
    DicomTlsCiphersAccepted: [...c.dicomTlsCiphersAccepted],
    DicomTlsProfile: c.dicomTlsProfile,
    DicomTlsCheckModalityCertificate: c.dicomTlsCheckModalityCertificate,
    DicomTlsHandshakeTimeout: c.dicomTlsHandshakeTimeout,
    DicomTlsCertificateRevocationLists: [...c.dicomTlsCertificateRevocationLists],
    DicomTlsRevocationCheck: c.dicomTlsRevocationCheck,
    DicomTlsRevocationListGraceDays: c.dicomTlsRevocationListGraceDays,
    HttpServerEnabled: c.httpServerEnabled,
    HttpPort: c.httpPort,
    RemoteAccessAllowed: c.remoteAccessAllowed,
    AuthenticationEnabled: c.authenticationEnabled,
    RegisteredUsers: Object.fromEntries(Object.keys(c.registeredUsers).map((user) => [user, REDACTED])),
    SslEnabled: c.sslEnabled,
    SslCertificate: c.sslCertificate,
    MetricsEnabled: c.metricsEnabled,
    DicomTlsMaximumHandshakes: c.dicomTlsMaximumHandshakes,
    DicomMaximumAssociations: c.dicomMaximumAssociations,
    DicomMaximumAssociationsPerHost: c.dicomMaximumAssociationsPerHost,
    Plugins: c.plugins.map((p) => (p.kind === "path" ? p.path : p.name)),
    DicomModalities: Object.fromEntries(
      c.dicomModalities.map((m) => [
        m.name,
        withoutNulls({
          AET: m.aet,
          Host: m.host,
          Port: m.port,
          Manufacturer: m.manufacturer,
          AllowEcho: m.allowEcho,
          AllowStore: m.allowStore,
          AllowFind: m.allowFind,
          AllowFindWorklist: m.allowFindWorklist,
          AllowGet: m.allowGet,
          AllowMove: m.allowMove,
          AllowNAction: m.allowNAction,
          AllowEventReport: m.allowEventReport,
          AllowTranscoding: m.allowTranscoding,
          UseDicomTls: m.useDicomTls,
          LocalAet: m.localAet,
          Timeout: m.timeout,
          TlsCertificate: m.tlsCertificate,
          TlsServerName: m.tlsServerName,
        }),
      ]),
    ),
    AuditTrail:
      c.auditTrail.file === null && c.auditTrail.syslog === null
        ? null
        : withoutNulls({
            File: c.auditTrail.file,
            Syslog:
              c.auditTrail.syslog === null
                ? null
                : { Host: c.auditTrail.syslog.host, Port: c.auditTrail.syslog.port, Protocol: c.auditTrail.syslog.protocol, QueueSize: c.auditTrail.syslog.queueSize },
          }),
  });
  return withoutNulls(out);
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
}
