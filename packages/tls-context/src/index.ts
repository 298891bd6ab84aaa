export { DicomTlsConfigError, TlsErrorCodes, type TlsErrorCode } from "./errors.js";
export {
  DicomTlsProfiles,
  SettingKeys,
  TlsWarningCodes,
  modalityKey,
  tlsSettingsFromConfig,
  type OrthancTlsConfig,
  type DicomTlsProfile,
  type DicomTlsSettings,
  type ModalityCertificate,
  type TlsWarning,
  type TlsWarningCode,
} from "./settings.js";
export { resolveProtocolPolicy, isDicomTlsProfile, PROFILE_NAMES, type KeyRules, type ResolvedProtocolPolicy, type WeakPeerHandling } from "./profiles.js";
export { certificateFacts, splitPemCertificates, weakness, EkuOids, type CertificateFacts } from "./certificate-info.js";
export {
  loadTlsContext,
  secureContextOptionsOf,
  ownExpiryWarning,
  EXPIRY_WARNING_DAYS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  type TlsContext,
  type PeerPolicy,
  type LoadedModalityCertificate,
  type LoadOptions,
} from "./load.js";
export { buildServerOptions, buildClientOptions, serverIdentityCheck, dicomAlpnCallback, DICOM_ALPN, SESSION_TIMEOUT_S, type ClientOptionsInput } from "./options.js";
export {
  evaluatePeer,
  describePeer,
  certificateBindsAet,
  classifyHandshakeError,
  PeerRefusalReasons,
  HandshakeFailureReasons,
  type PeerRefusalReason,
  type PeerInfo,
  type PeerCertificateInfo,
  type PeerEvaluation,
  type BindingOptions,
  type BindingResult,
  type HandshakeFailureReason,
} from "./peer-policy.js";
export { TlsContextManager, type TlsContextManagerOptions, type ReloadResult, type ReloadTrigger } from "./manager.js";
export { checkCertificates, checkFiles, type DoctorRow, type DoctorVerdict, type DoctorOptions, type CheckFilesOptions } from "./doctor.js";
export { createDevPki, type DevPki } from "./dev-pki.js";
export { writeTrustStore, readCertificateFiles, TrustStoreError, type TrustedCertificate } from "./trust-store.js";
export { parseClientHello, profilesAccepting, describeClientHello, MAX_TLS_RECORD, type ClientHelloSummary, type AcceptingOptions } from "./client-hello.js";
export { CIPHER_SUITES, cipherSuiteName } from "./cipher-suites.js";
