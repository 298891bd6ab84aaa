/** The validated configuration of one dicomtls node: camelCase, absolute paths, defaults filled in. */

/** PS3.15 Annex B TLS profiles offered by dicomtls (`DicomTlsProfile`). */
export const DicomTlsProfile = {
  /** B.12 "BCP 195 RFC 8996, 9325": TLS 1.2+, ECDHE with AEAD suites only. */
  Bcp195Rfc8996: "bcp195-rfc8996",
  /** B.13 "Modified BCP 195 RFC 8996, 9325". */
  Bcp195Rfc8996Modified: "bcp195-rfc8996-modified",
  /** B.10 "Non-downgrading BCP 195" (retired). */
  Bcp195Nd: "bcp195-nd",
  /** B.9 "BCP 195" (retired; what Orthanc selects with DicomTlsMinimumProtocolVersion 0). */
  Bcp195: "bcp195",
} as const;
export type DicomTlsProfile = (typeof DicomTlsProfile)[keyof typeof DicomTlsProfile];

/** Orthanc's modality "patches" for outgoing C-FIND [Orthanc `ModalityManufacturer`]. */
export const ModalityManufacturer = {
  Generic: "Generic",
  GenericNoWildcardInDates: "GenericNoWildcardInDates",
  GenericNoUniversalWildcard: "GenericNoUniversalWildcard",
  Vitrea: "Vitrea",
  GE: "GE",
} as const;
export type ModalityManufacturer = (typeof ModalityManufacturer)[keyof typeof ModalityManufacturer];

export interface ModalityConfig {
  /** The symbolic name: the key under `DicomModalities`. */
  readonly name: string;
  readonly aet: string;
  readonly host: string;
  readonly port: number;
  readonly manufacturer: ModalityManufacturer;
  readonly allowEcho: boolean;
  readonly allowStore: boolean;
  readonly allowFind: boolean;
  readonly allowFindWorklist: boolean;
  readonly allowGet: boolean;
  readonly allowMove: boolean;
  /** Storage commitment request (`AllowStorageCommitment` sets both this and allowEventReport). */
  readonly allowNAction: boolean;
  readonly allowEventReport: boolean;
  readonly allowTranscoding: boolean;
  /** SCU only: open outgoing associations to this modality over DICOM TLS. */
  readonly useDicomTls: boolean;
  /** Calling AE title used towards this modality (the global DicomAet when not set). */
  readonly localAet: string;
  /** SCU timeout in seconds towards this modality (the global DicomScuTimeout when not set). */
  readonly timeout: number;
  /** dicomtls: the certificate (PEM, absolute path) this modality presents, for pinning and binding. */
  readonly tlsCertificate: string | null;
  /** dicomtls: name checked against the server certificate; null = Host; false = do not check the name. */
  readonly tlsServerName: string | false | null;
}

export interface NodeConfig {
  readonly dicomServerEnabled: boolean;
  readonly dicomAet: string;
  readonly dicomPort: number;
  /** dicomtls: an extra plain (non-TLS) listener; null = off. */
  readonly dicomPlainPort: number | null;
  readonly dicomCheckCalledAet: boolean;
  readonly strictAetComparison: boolean;
  readonly dicomCheckModalityHost: boolean;
  readonly dicomAlwaysAllowEcho: boolean;
  readonly dicomAlwaysAllowStore: boolean;
  readonly dicomAlwaysAllowFind: boolean;
  readonly dicomAlwaysAllowFindWorklist: boolean;
  readonly dicomAlwaysAllowGet: boolean;
  readonly dicomAlwaysAllowMove: boolean;
  readonly dicomScpTimeout: number;
  readonly dicomScuTimeout: number;
  readonly dicomAssociationCloseDelay: number;
  readonly maximumPduLength: number;
  readonly dicomThreadsCount: number;
  readonly dicomModalitiesInDatabase: boolean;
  readonly dicomEchoChecksFind: boolean;
  readonly dicomScuPreferredTransferSyntax: string;
  /** UIDs with `*`/`?` wildcards, as Orthanc. */
  readonly acceptedTransferSyntaxes: readonly string[];
  /** The legacy `*TransferSyntaxAccepted` group switches; null = not set (no change). */
  readonly transferSyntaxGroups: Readonly<Record<TransferSyntaxGroup, boolean | null>>;
  readonly unknownSopClassAccepted: boolean;
  readonly deidentifyLogs: boolean;
  readonly deidentifyLogsDicomVersion: string;
  readonly limitFindResults: number;
  readonly limitFindInstances: number;
  /** Orthanc's StorageAccessOnFind: read C-FIND keys the index lacks from a stored file to filter and answer, to answer only, or never. */
  readonly storageAccessOnFind: StorageAccessOnFind;
  /** Orthanc's CaseSensitivePN: C-FIND matches PN values with regard to case (default false). */
  readonly caseSensitivePN: boolean;
  /** Orthanc's DefaultEncoding: the character set of C-FIND queries without (0008,0005); see DEFAULT_ENCODING_TERMS. */
  readonly defaultEncoding: DefaultEncoding;
  /** Absolute. */
  readonly storageDirectory: string;
  readonly overwriteInstances: boolean;
  /**
   * Orthanc's `SyncStorageArea`: true fsyncs each instance (file and folder) before its C-STORE response; false answers
   * once it is in the page cache (a process crash still loses nothing acknowledged, a power loss may).
   */
  readonly syncStorageArea: boolean;
  /**
   * dicomtls: 0 commits each received instance's index row on its own (before the C-STORE response); above 0 the rows
   * are committed in batches, at most this many milliseconds after the first (the response then waits for the file
   * only; a crash of the process loses the batch's rows, which start-up recovery restores from their files).
   */
  readonly indexGroupCommitDelay: number;

  readonly dicomTlsEnabled: boolean;
  /** Absolute paths, or null when not configured. */
  readonly dicomTlsCertificate: string | null;
  readonly dicomTlsPrivateKey: string | null;
  readonly dicomTlsTrustedCertificates: string | null;
  /** Secret: never print it; effectiveConfig() redacts it. */
  readonly dicomTlsPrivateKeyPassword: string | null;
  readonly dicomTlsRemoteCertificateRequired: boolean;
  /** 0 = profile default; 1..5 = at least SSLv3 / TLS 1.0 / 1.1 / 1.2 / 1.3 (Orthanc's numbering). */
  readonly dicomTlsMinimumProtocolVersion: 0 | 1 | 2 | 3 | 4 | 5;
  readonly dicomTlsCiphersAccepted: readonly string[];
  readonly dicomTlsProfile: DicomTlsProfile;
  readonly dicomTlsCheckModalityCertificate: boolean;
  /** Seconds. */
  readonly dicomTlsHandshakeTimeout: number;
  /** `DicomTlsCertificateRevocationLists` (extension): absolute paths of CRL files (PEM or DER) or folders; [] = no check. */
  readonly dicomTlsCertificateRevocationLists: readonly string[];
  /** `DicomTlsRevocationCheck` (extension): "leaf" (DCMTK +crv) or "chain" (DCMTK +cra). */
  readonly dicomTlsRevocationCheck: "leaf" | "chain";
  /** `DicomTlsRevocationListGraceDays` (extension): days a list stays usable past its nextUpdate. */
  readonly dicomTlsRevocationListGraceDays: number;
  /** dicomtls: associations open at once (all peers); 0 = no limit. */
  readonly dicomMaximumAssociations: number;
  /** dicomtls: associations open at once from one peer address; 0 = no limit of its own. */
  readonly dicomMaximumAssociationsPerHost: number;
  /** dicomtls: TLS handshakes in progress at once per port; the rest wait (paused) for a turn. */
  readonly dicomTlsMaximumHandshakes: number;

  /** Sorted by symbolic name (Orthanc keeps them in a std::map, and lookups take the first match). */
  readonly dicomModalities: readonly ModalityConfig[];

  /** dicomtls: where the PS3.15 A.5 audit messages go; both null = no audit trail. */
  readonly auditTrail: AuditTrailConfig;
  /** The HTTP(S) port: /metrics, /status and the status page. */
  readonly httpServerEnabled: boolean;
  readonly httpPort: number;
  /** false: only 127.0.0.1 and ::1 are served; other peers get 403. */
  readonly remoteAccessAllowed: boolean;
  /** HTTP Basic against registeredUsers; when the key is absent it equals remoteAccessAllowed (Orthanc >= 1.5.8). */
  readonly authenticationEnabled: boolean;
  /** User name -> password (plain text, as Orthanc). Secret: effectiveConfig() redacts the passwords. */
  readonly registeredUsers: Readonly<Record<string, string>>;
  readonly sslEnabled: boolean;
  /** Absolute path of the PEM file holding the HTTPS certificate (chain) and its private key. */
  readonly sslCertificate: string;
  /** Serve /metrics (Prometheus text format). */
  readonly metricsEnabled: boolean;
  /** Orthanc's `Plugins`: what the server loads at start-up, in the listed order (dependencies may reorder). */
  readonly plugins: readonly PluginSource[];
}

/** One `Plugins` entry: a file or folder (absolute), or a package name (resolved from the server, then from `baseDir`). */
export type PluginSource =
  | { readonly kind: "path"; readonly entry: string; readonly path: string }
  | { readonly kind: "package"; readonly entry: string; readonly name: string; readonly baseDir: string };

/** dicomtls `AuditTrail`: a file (one XML message per line) and/or a syslog receiver (RFC 5425 TLS or RFC 5426 UDP). */
export interface AuditTrailConfig {
  /** Absolute (a relative `File` is relative to the configuration file), or null. */
  readonly file: string | null;
  readonly syslog: AuditSyslogConfig | null;
}

export interface AuditSyslogConfig {
  readonly host: string;
  /** Default 6514 for tls (RFC 5425), 514 for udp (RFC 5426). */
  readonly port: number;
  readonly protocol: "tls" | "udp";
  /** Messages held while the receiver is unreachable; beyond it the oldest are dropped and counted. */
  readonly queueSize: number;
}

export const TransferSyntaxGroup = {
  Deflated: "DeflatedTransferSyntaxAccepted",
  Jpeg: "JpegTransferSyntaxAccepted",
  Jpeg2000: "Jpeg2000TransferSyntaxAccepted",
  JpegLossless: "JpegLosslessTransferSyntaxAccepted",
  Jpip: "JpipTransferSyntaxAccepted",
  Mpeg2: "Mpeg2TransferSyntaxAccepted",
  Mpeg4: "Mpeg4TransferSyntaxAccepted",
  Rle: "RleTransferSyntaxAccepted",
  H265: "H265TransferSyntaxAccepted",
} as const;
export type TransferSyntaxGroup = (typeof TransferSyntaxGroup)[keyof typeof TransferSyntaxGroup];

/** Orthanc's StorageAccessOnFind values. */
export const STORAGE_ACCESS_ON_FIND = ["Always", "Answers", "Never"] as const;
export type StorageAccessOnFind = (typeof STORAGE_ACCESS_ON_FIND)[number];

/**
 * Orthanc's DefaultEncoding names and the (0008,0005) term each stands for (PS3.3 C.12.1.1.2); only those whose text
 * the identifier decoder reads are accepted (Orthanc's Windows1251 and Korean are not).
 */
export const DEFAULT_ENCODING_TERMS = {
  Ascii: "ISO_IR 6",
  Utf8: "ISO_IR 192",
  Latin1: "ISO_IR 100",
  Latin2: "ISO_IR 101",
  Latin3: "ISO_IR 109",
  Latin4: "ISO_IR 110",
  Latin5: "ISO_IR 148",
  Cyrillic: "ISO_IR 144",
  Arabic: "ISO_IR 127",
  Greek: "ISO_IR 126",
  Hebrew: "ISO_IR 138",
  Thai: "ISO_IR 166",
  Japanese: "ISO_IR 13",
  Chinese: "GB18030",
  SimplifiedChinese: "GB18030",
} as const;
export type DefaultEncoding = keyof typeof DEFAULT_ENCODING_TERMS;
export const DEFAULT_ENCODINGS = Object.keys(DEFAULT_ENCODING_TERMS) as [DefaultEncoding, ...DefaultEncoding[]];
