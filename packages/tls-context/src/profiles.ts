import { createSecureContext, getCiphers, type SecureVersion } from "node:tls";
import { DicomTlsConfigError } from "./errors.js";
import { DicomTlsProfiles, SettingKeys, TlsWarningCodes, type DicomTlsProfile, type DicomTlsSettings, type TlsWarning } from "./settings.js";

/** How a profile treats a peer certificate with a weak key or a SHA-1 signature that OpenSSL let through. */
export type WeakPeerHandling = "refuse" | "warn";

/** Key-size and signature rules of a profile. */
export interface KeyRules {
  /** RFC 9325 §4.5 / PS3.15 §B.13: RSA keys below this are weak. */
  readonly minRsaBits: number;
  /** PS3.15 §B.13: ECDSA keys below this curve size are weak. */
  readonly minEcBits: number;
  /** Whether SHA-1 (or MD5) signed certificates are weak. */
  readonly refuseSha1: boolean;
  readonly weakPeer: WeakPeerHandling;
}

/** A profile resolved against `DicomTlsMinimumProtocolVersion` / `DicomTlsCiphersAccepted`: what Node receives. */
export interface ResolvedProtocolPolicy {
  readonly profile: DicomTlsProfile;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** TLS 1.2-and-below suites, OpenSSL names. */
  readonly tls12Ciphers: readonly string[];
  /** TLS 1.3 suites (`TLS_*`). */
  readonly tls13Ciphersuites: readonly string[];
  /** OpenSSL security level: 2 refuses RSA < 2048 and SHA-1 during verification; 0 is needed for TLS 1.0/1.1. */
  readonly securityLevel: 0 | 1 | 2;
  /** The Node `ciphers` string: TLS 1.2 names, TLS 1.3 `TLS_*` names (Node splits them) and `@SECLEVEL=n`. */
  readonly ciphers: string;
  /** Node `sigalgs`: always keeps rsa_pss_rsae_* and rsa_pss_pss_* (DCMTK 3.6.4 failed without RSA-PSS). */
  readonly sigalgs: string;
  readonly ecdhCurve: string;
  readonly keyRules: KeyRules;
}

/** RFC 9325 §4.2 recommended ECDHE AEAD suites for TLS 1.2 (PS3.15 §B.12); ECDSA variants so EC certificates work. */
const ECDHE_GCM = [
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
] as const;

/** PS3.15 §B.13 adds ChaCha20-Poly1305 (RFC 7905) to the permitted TLS 1.2 suites. */
const ECDHE_CHACHA = ["ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"] as const;

/**
 * PS3.15 §B.9 (RFC 7525) plus the legacy TLS_RSA_WITH_AES_128_CBC_SHA that DCMTK's BCP195 profile keeps (B.3),
 * and the ECDHE CBC-SHA suites so TLS 1.0/1.1 peers can still reach an EC certificate.
 */
const LEGACY_CBC = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-SHA"] as const;

/** RFC 8446 §9.1 suites plus the ones DCMTK 3.6.8 lists for B.12/B.13; the server's order prefers AES-256. */
const TLS13_SUITES = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256"] as const;

/** RFC 8446 §4.2.3 schemes without SHA-1; RSA-PSS in both key forms kept on purpose. */
const STRICT_SIGALGS = [
  "ecdsa_secp256r1_sha256",
  "ecdsa_secp384r1_sha384",
  "ecdsa_secp521r1_sha512",
  "ed25519",
  "ed448",
  "rsa_pss_rsae_sha256",
  "rsa_pss_rsae_sha384",
  "rsa_pss_rsae_sha512",
  "rsa_pss_pss_sha256",
  "rsa_pss_pss_sha384",
  "rsa_pss_pss_sha512",
  "rsa_pkcs1_sha256",
  "rsa_pkcs1_sha384",
  "rsa_pkcs1_sha512",
] as const;

/** Legacy peers (B.9) may only be able to sign TLS 1.2 handshakes with SHA-1. */
// OpenSSL has no scheme name for ECDSA with SHA-1, only the "alg+hash" form.
const LEGACY_SIGALGS = [...STRICT_SIGALGS, "rsa_pkcs1_sha1", "ECDSA+SHA1"] as const;

const CURVES = "X25519:P-256:P-384:P-521";
/** PS3.15 §B.13 asks ECDHE groups of at least 256 bits; X25519 is left out there [inf: 255-bit field]. */
const CURVES_B13 = "P-256:P-384:P-521";

interface ProfileDefinition {
  readonly minVersion: SecureVersion;
  readonly tls12Ciphers: readonly string[];
  readonly securityLevel: 0 | 1 | 2;
  readonly sigalgs: readonly string[];
  readonly ecdhCurve: string;
  readonly keyRules: KeyRules;
}

const STRICT_KEYS: KeyRules = { minRsaBits: 2048, minEcBits: 256, refuseSha1: true, weakPeer: "refuse" };

/** One definition per PS3.15 profile. */
const PROFILE_DEFINITIONS: Readonly<Record<DicomTlsProfile, ProfileDefinition>> = {
  /** PS3.15 §B.12 */
  "bcp195-rfc8996": { minVersion: "TLSv1.2", tls12Ciphers: ECDHE_GCM, securityLevel: 2, sigalgs: STRICT_SIGALGS, ecdhCurve: CURVES, keyRules: STRICT_KEYS },
  /** PS3.15 §B.13 */
  "bcp195-rfc8996-modified": {
    minVersion: "TLSv1.2",
    tls12Ciphers: [...ECDHE_GCM, ...ECDHE_CHACHA],
    securityLevel: 2,
    sigalgs: STRICT_SIGALGS,
    ecdhCurve: CURVES_B13,
    keyRules: STRICT_KEYS,
  },
  /** PS3.15 §B.10: OpenSSL's level 1 already refuses SHA-1 signatures; RSA-1024 passes with a warning. */
  "bcp195-nd": {
    minVersion: "TLSv1.2",
    tls12Ciphers: ECDHE_GCM,
    securityLevel: 1,
    sigalgs: STRICT_SIGALGS,
    ecdhCurve: CURVES,
    keyRules: { minRsaBits: 2048, minEcBits: 256, refuseSha1: true, weakPeer: "warn" },
  },
  /** PS3.15 §B.9: OpenSSL 3 negotiates TLS 1.0/1.1 only at security level 0 (their handshakes use SHA-1/MD5). */
  bcp195: {
    minVersion: "TLSv1",
    tls12Ciphers: [...ECDHE_GCM, ...LEGACY_CBC],
    securityLevel: 0,
    sigalgs: LEGACY_SIGALGS,
    ecdhCurve: CURVES,
    keyRules: { minRsaBits: 2048, minEcBits: 256, refuseSha1: true, weakPeer: "warn" },
  },
};

/** All profile names, for validation messages. */
export const PROFILE_NAMES: readonly DicomTlsProfile[] = Object.values(DicomTlsProfiles);

export function isDicomTlsProfile(value: unknown): value is DicomTlsProfile {
  return typeof value === "string" && (PROFILE_NAMES as readonly string[]).includes(value);
}

/** Orthanc's `DicomTlsMinimumProtocolVersion` values 1..5 as Node minimum versions. */
const ORTHANC_MIN_VERSIONS: Readonly<Record<number, SecureVersion>> = {
  1: "TLSv1",
  2: "TLSv1",
  3: "TLSv1.1",
  4: "TLSv1.2",
  5: "TLSv1.3",
};

const VERSION_ORDER: readonly SecureVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

function joinCiphers(tls12: readonly string[], tls13: readonly string[], level: number): string {
  return [...tls12, ...tls13, `@SECLEVEL=${level}`].join(":");
}

/** The set of names OpenSSL in this Node knows, lower-cased. */
function knownCipherNames(): Set<string> {
  return new Set(getCiphers().map((c) => c.toLowerCase()));
}

/** Validate one `DicomTlsCiphersAccepted` entry the way Orthanc does at start-up, naming the bad entry. */
function validateCipherName(name: string, index: number, known: Set<string>): void {
  const key = `${SettingKeys.ciphersAccepted}[${index}]`;
  if (name.trim() !== name || name === "") {
    throw new DicomTlsConfigError(key, `"${name}" is not a cipher suite name (empty or padded with spaces)`);
  }
  if (/[:!+@, ]/.test(name) || /^(ALL|DEFAULT|HIGH|MEDIUM|LOW|COMPLEMENTOFALL|COMPLEMENTOFDEFAULT)$/i.test(name)) {
    throw new DicomTlsConfigError(key, `"${name}" is an OpenSSL cipher expression; list one suite name per entry, e.g. "ECDHE-RSA-AES128-GCM-SHA256"`);
  }
  if (/NULL/i.test(name)) {
    throw new DicomTlsConfigError(key, `"${name}" provides no encryption or no authentication; no PS3.15 profile permits it`);
  }
  if (!known.has(name.toLowerCase())) {
    throw new DicomTlsConfigError(
      key,
      `"${name}" is not a cipher suite known to OpenSSL ${process.versions.openssl}; use OpenSSL names ("ECDHE-RSA-AES128-GCM-SHA256") or TLS 1.3 names ("TLS_AES_128_GCM_SHA256")`,
    );
  }
  try {
    createSecureContext({ ciphers: name.startsWith("TLS_") ? name : `${name}:@SECLEVEL=0`, minVersion: "TLSv1" });
  } catch (err) {
    throw new DicomTlsConfigError(key, `"${name}" is refused by OpenSSL: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/**
 * Resolve the profile, `DicomTlsMinimumProtocolVersion` and `DicomTlsCiphersAccepted` into Node TLS parameters.
 * Throws DicomTlsConfigError on an invalid combination; pushes start-up warnings into `warnings`.
 */
export function resolveProtocolPolicy(settings: Pick<DicomTlsSettings, "profile" | "minimumProtocolVersion" | "ciphersAccepted">, warnings: TlsWarning[] = []): ResolvedProtocolPolicy {
  const requested = settings.profile ?? DicomTlsProfiles.Bcp195Rfc8996;
  if (!isDicomTlsProfile(requested)) {
    throw new DicomTlsConfigError(SettingKeys.profile, `unknown profile "${String(requested)}"; expected one of ${PROFILE_NAMES.join(", ")}`);
  }
  const level = settings.minimumProtocolVersion ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 5) {
    throw new DicomTlsConfigError(SettingKeys.minimumProtocolVersion, `${String(level)} is not one of 0 (profile default), 1 (SSLv3), 2 (TLS 1.0), 3 (TLS 1.1), 4 (TLS 1.2), 5 (TLS 1.3)`);
  }
  const accepted = settings.ciphersAccepted ?? [];
  if (level === 0 && accepted.length > 0) {
    // Same rule as Orthanc 1.12.4: a profile fixes its own suites.
    throw new DicomTlsConfigError(
      SettingKeys.ciphersAccepted,
      `cipher suites cannot be listed while ${SettingKeys.minimumProtocolVersion} is 0 (the "${requested}" profile decides them); set ${SettingKeys.minimumProtocolVersion} to 4 or 5 to choose suites yourself`,
    );
  }
  // Orthanc levels 1..3 re-open TLS 1.0/1.1: only the B.9 definition can negotiate them with OpenSSL 3.
  const profile: DicomTlsProfile = level >= 1 && level <= 3 ? DicomTlsProfiles.Bcp195 : requested;
  const def = PROFILE_DEFINITIONS[profile];
  const minVersion = level === 0 ? def.minVersion : (ORTHANC_MIN_VERSIONS[level] ?? def.minVersion);
  if (level === 1) {
    warnings.push({
      code: TlsWarningCodes.Sslv3Unsupported,
      key: SettingKeys.minimumProtocolVersion,
      message: `${SettingKeys.minimumProtocolVersion}=1 asks for SSLv3, which Node cannot negotiate; TLS 1.0 is the floor instead`,
    });
  }
  if (VERSION_ORDER.indexOf(minVersion) < VERSION_ORDER.indexOf("TLSv1.2")) {
    warnings.push({
      code: TlsWarningCodes.LegacyProtocols,
      key: level === 0 ? SettingKeys.profile : SettingKeys.minimumProtocolVersion,
      message: `TLS ${minVersion === "TLSv1" ? "1.0" : "1.1"} and CBC/SHA-1 suites are accepted (PS3.15 B.9 legacy, RFC 8996 deprecates them); use the "bcp195-rfc8996" profile unless an old modality needs this`,
    });
  }
  let tls12 = def.tls12Ciphers;
  let tls13: readonly string[] = TLS13_SUITES;
  let securityLevel = def.securityLevel;
  if (accepted.length > 0) {
    const known = knownCipherNames();
    accepted.forEach((name, i) => validateCipherName(name, i, known));
    tls12 = accepted.filter((n) => !n.startsWith("TLS_"));
    const listed13 = accepted.filter((n) => n.startsWith("TLS_"));
    // An explicit list without TLS 1.3 names keeps OpenSSL's TLS 1.3 defaults, as Orthanc does.
    tls13 = listed13.length > 0 ? listed13 : TLS13_SUITES;
    if (minVersion !== "TLSv1.3" && tls12.length === 0) {
      throw new DicomTlsConfigError(SettingKeys.ciphersAccepted, `lists only TLS 1.3 suites but ${SettingKeys.minimumProtocolVersion}=${level} also allows TLS 1.2 and below; add TLS 1.2 suites or set it to 5`);
    }
    // Explicit suites may be legacy ones (e.g. AES128-SHA); level 0 lets OpenSSL use what the operator listed.
    if (securityLevel > 0 && tls12.some((n) => /-SHA$/i.test(n) || !/GCM|CHACHA|CCM/i.test(n))) securityLevel = 0;
  }
  return {
    profile,
    minVersion,
    maxVersion: "TLSv1.3",
    tls12Ciphers: tls12,
    tls13Ciphersuites: tls13,
    securityLevel,
    // OpenSSL refuses a TLS 1.2 list that is only "@SECLEVEL=n"; with TLS 1.3 only, the profile's list stays there unused.
    ciphers: joinCiphers(tls12.length > 0 ? tls12 : def.tls12Ciphers, tls13, securityLevel),
    sigalgs: def.sigalgs.join(":"),
    ecdhCurve: def.ecdhCurve,
    keyRules: def.keyRules,
  };
}
