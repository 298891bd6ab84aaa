import type { RevocationCheckMode } from "./revocation.js";

/**
 * PS3.15 Annex B secure transport connection profiles this node can apply.
 * The default is B.12; B.9 exists only for parity with Orthanc's default (`DicomTlsMinimumProtocolVersion` 0).
 */
export const DicomTlsProfiles = {
  /** PS3.15 §B.12 "BCP 195 RFC 8996, 9325": TLS 1.2+, ECDHE AEAD suites, RSA >= 2048, no SHA-1. */
  Bcp195Rfc8996: "bcp195-rfc8996",
  /** PS3.15 §B.13 "Modified BCP 195 RFC 8996, 9325": B.12 plus CHACHA20-POLY1305, same key rules. */
  Bcp195Rfc8996Modified: "bcp195-rfc8996-modified",
  /** PS3.15 §B.10 "Non-downgrading BCP 195" (retired): TLS 1.2+, weak peer keys only warned. */
  Bcp195Nd: "bcp195-nd",
  /** PS3.15 §B.9 "BCP 195" (retired): TLS 1.0+ and AES128-SHA allowed; a start-up warning says so. */
  Bcp195: "bcp195",
} as const;
export type DicomTlsProfile = (typeof DicomTlsProfiles)[keyof typeof DicomTlsProfiles];

/** A modality's own certificate, for `DicomTlsCheckModalityCertificate` (AE title bound to a certificate). */
export interface ModalityCertificate {
  /** Symbolic name of the modality: the key in `DicomModalities`. */
  readonly name: string;
  /** The modality's AE title (`DicomModalities.<name>.AET`). */
  readonly aet: string;
  /** PEM file with the modality's certificate (`DicomModalities.<name>.TlsCertificate`); it also joins the trusted set. */
  readonly file: string;
}

/**
 * The TLS part of a node's configuration, as plain data. The server app maps the Orthanc configuration to it;
 * each field names the Orthanc key it comes from (keys marked "extension" are ours, not Orthanc's).
 * Relative paths must already be resolved by the caller (Orthanc resolves them against the config file's folder).
 */
export interface DicomTlsSettings {
  /** `DicomTlsCertificate`: PEM certificate (the chain may follow the leaf), or a PKCS#12 file (.p12/.pfx) holding the key too. */
  readonly certificateFile: string;
  /** `DicomTlsPrivateKey`: PEM private key (PKCS#8, traditional, plain or encrypted). Not used with PKCS#12. */
  readonly privateKeyFile?: string | undefined;
  /** `DicomTlsPrivateKeyPassword` (extension): password of an encrypted key or of the PKCS#12 file. */
  readonly privateKeyPassword?: string | undefined;
  /** `DicomTlsTrustedCertificates`: concatenated PEM certificates (CAs or pinned peer certificates). */
  readonly trustedCertificatesFile?: string | undefined;
  /** `DicomTlsRemoteCertificateRequired` (default true): the SCP refuses a peer that presents no certificate. */
  readonly remoteCertificateRequired?: boolean | undefined;
  /** `DicomTlsProfile` (extension, default "bcp195-rfc8996"). */
  readonly profile?: DicomTlsProfile | undefined;
  /**
   * `DicomTlsMinimumProtocolVersion` (Orthanc 1.12.4, default 0): 0 = the profile decides; 1 = SSLv3+ (Node cannot:
   * TLS 1.0 with a warning); 2 = TLS 1.0+; 3 = TLS 1.1+; 4 = TLS 1.2+; 5 = TLS 1.3 only.
   */
  readonly minimumProtocolVersion?: number | undefined;
  /** `DicomTlsCiphersAccepted` (Orthanc 1.12.4): OpenSSL suite names incl. TLS 1.3 `TLS_*`; only with a version other than 0. */
  readonly ciphersAccepted?: readonly string[] | undefined;
  /** `DicomTlsHandshakeTimeout` (extension, ms, default 10000): a stalled handshake is dropped after this. */
  readonly handshakeTimeoutMs?: number | undefined;
  /** `DicomModalities.*.TlsCertificate` (extension). */
  readonly modalityCertificates?: readonly ModalityCertificate[] | undefined;
  /** `DicomTlsCertificateRevocationLists` (extension): CRL files (PEM or DER) or folders of them; empty = no revocation check. */
  readonly revocationLists?: readonly string[] | undefined;
  /** `DicomTlsRevocationCheck` (extension, default "chain"): "leaf" (DCMTK +crv) or "chain" (DCMTK +cra). */
  readonly revocationCheck?: RevocationCheckMode | undefined;
  /** `DicomTlsRevocationListGraceDays` (extension, default 7): days a list stays usable past its nextUpdate. */
  readonly revocationGraceDays?: number | undefined;
}

/** The configuration keys named in error messages and warnings. */
export const SettingKeys = {
  certificateFile: "DicomTlsCertificate",
  privateKeyFile: "DicomTlsPrivateKey",
  privateKeyPassword: "DicomTlsPrivateKeyPassword",
  trustedCertificatesFile: "DicomTlsTrustedCertificates",
  remoteCertificateRequired: "DicomTlsRemoteCertificateRequired",
  profile: "DicomTlsProfile",
  minimumProtocolVersion: "DicomTlsMinimumProtocolVersion",
  ciphersAccepted: "DicomTlsCiphersAccepted",
  handshakeTimeoutMs: "DicomTlsHandshakeTimeout",
  revocationLists: "DicomTlsCertificateRevocationLists",
  revocationCheck: "DicomTlsRevocationCheck",
  revocationGraceDays: "DicomTlsRevocationListGraceDays",
} as const;

/** The key naming one modality's certificate file in messages. */
export function modalityKey(name: string): string {
  return `DicomModalities.${name}.TlsCertificate`;
}

/** A start-up or reload finding that does not stop the node but that an operator should read. */
export interface TlsWarning {
  readonly code: TlsWarningCode;
  /** The configuration key concerned. */
  readonly key: string;
  readonly message: string;
}

export const TlsWarningCodes = {
  OwnCertificateExpiresSoon: "OWN_CERTIFICATE_EXPIRES_SOON",
  WeakOwnKey: "WEAK_OWN_KEY",
  WeakOwnSignature: "WEAK_OWN_SIGNATURE",
  LegacyProtocols: "LEGACY_PROTOCOLS",
  Sslv3Unsupported: "SSLV3_UNSUPPORTED",
  NoTrustedCertificates: "NO_TRUSTED_CERTIFICATES",
  ModalityCertificateExpired: "MODALITY_CERTIFICATE_EXPIRED",
  /** A revocation list is past its nextUpdate, still within DicomTlsRevocationListGraceDays. */
  RevocationListStale: "REVOCATION_LIST_STALE",
} as const;
export type TlsWarningCode = (typeof TlsWarningCodes)[keyof typeof TlsWarningCodes];

/**
 * The TLS fields of an Orthanc configuration as `@dicomtls/config` names them in its NodeConfig (declared here by
 * shape, so this package imports no other of ours): absolute paths or null, defaults already filled in.
 */
export interface OrthancTlsConfig {
  readonly dicomTlsCertificate: string | null;
  readonly dicomTlsPrivateKey: string | null;
  readonly dicomTlsPrivateKeyPassword: string | null;
  readonly dicomTlsTrustedCertificates: string | null;
  readonly dicomTlsRemoteCertificateRequired: boolean;
  readonly dicomTlsProfile: DicomTlsProfile;
  readonly dicomTlsMinimumProtocolVersion: number;
  readonly dicomTlsCiphersAccepted: readonly string[];
  /** Seconds. */
  readonly dicomTlsHandshakeTimeout: number;
  readonly dicomModalities: ReadonlyArray<{ readonly name: string; readonly aet: string; readonly tlsCertificate: string | null }>;
  /** Absolute paths (files or folders); optional so that older callers still type-check. */
  readonly dicomTlsCertificateRevocationLists?: readonly string[];
  readonly dicomTlsRevocationCheck?: RevocationCheckMode;
  readonly dicomTlsRevocationListGraceDays?: number;
}

/** The settings for a node configured by an Orthanc configuration (the server's listener and the CLI's SCU alike). */
export function tlsSettingsFromConfig(config: OrthancTlsConfig): DicomTlsSettings {
  return {
    certificateFile: config.dicomTlsCertificate ?? "",
    privateKeyFile: config.dicomTlsPrivateKey ?? undefined,
    privateKeyPassword: config.dicomTlsPrivateKeyPassword ?? undefined,
    trustedCertificatesFile: config.dicomTlsTrustedCertificates ?? undefined,
    remoteCertificateRequired: config.dicomTlsRemoteCertificateRequired,
    profile: config.dicomTlsProfile,
    minimumProtocolVersion: config.dicomTlsMinimumProtocolVersion,
    ciphersAccepted: config.dicomTlsCiphersAccepted.length > 0 ? config.dicomTlsCiphersAccepted : undefined,
    handshakeTimeoutMs: config.dicomTlsHandshakeTimeout * 1000,
    modalityCertificates: config.dicomModalities.flatMap((m) => (m.tlsCertificate === null ? [] : [{ name: m.name, aet: m.aet, file: m.tlsCertificate }])),
    revocationLists: config.dicomTlsCertificateRevocationLists,
    revocationCheck: config.dicomTlsRevocationCheck,
    revocationGraceDays: config.dicomTlsRevocationListGraceDays,
  };
}
