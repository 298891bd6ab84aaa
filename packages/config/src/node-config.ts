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
  /** Absolute. */
  readonly storageDirectory: string;
  readonly overwriteInstances: boolean;

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
  /** dicomtls: associations open at once (all peers); 0 = no limit. */
  readonly dicomMaximumAssociations: number;
  /** dicomtls: associations open at once from one peer address; 0 = no limit of its own. */
  readonly dicomMaximumAssociationsPerHost: number;
  /** dicomtls: TLS handshakes in progress at once per port; the rest wait (paused) for a turn. */
  readonly dicomTlsMaximumHandshakes: number;

  /** Sorted by symbolic name (Orthanc keeps them in a std::map, and lookups take the first match). */
  readonly dicomModalities: readonly ModalityConfig[];
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
