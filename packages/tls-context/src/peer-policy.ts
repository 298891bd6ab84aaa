import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import { certificateFacts, weakness, type CertificateFacts } from "./certificate-info.js";
import type { LoadedModalityCertificate, PeerPolicy } from "./load.js";
import { DICOM_ALPN } from "./options.js";
import { chainOfPeerCertificate, checkChainRevocation, RevocationReasons, type RevocationFinding } from "./revocation.js";

/** Refusal reasons of our own; OpenSSL's verify codes (CERT_HAS_EXPIRED, INVALID_PURPOSE, ...) are passed through as they are. */
export const PeerRefusalReasons = {
  /** A certificate is required (`DicomTlsRemoteCertificateRequired`) and the peer sent none. */
  NoPeerCertificate: "NO_PEER_CERTIFICATE",
  /** RSA/EC key below the profile's minimum. */
  WeakKey: "WEAK_KEY",
  /** Certificate signed with SHA-1 or MD5 where the profile forbids it. */
  WeakSignature: "WEAK_SIGNATURE",
  /** The peer negotiated an ALPN protocol other than "dicom". */
  AlpnMismatch: "ALPN_MISMATCH",
  /** The socket is not (or no longer) an established TLS connection. */
  NotEncrypted: "NOT_ENCRYPTED",
  /** A certificate of the peer's chain is listed in its issuer's revocation list (DicomTlsCertificateRevocationLists). */
  CertRevoked: RevocationReasons.Revoked,
  /** A certificate to check has no revocation list from its issuer (DicomTlsRevocationCheck; DCMTK +crv/+cra fail alike). */
  UnableToGetCrl: RevocationReasons.NoList,
  /** The issuer's list is past its nextUpdate and DicomTlsRevocationListGraceDays. */
  CrlHasExpired: RevocationReasons.ListExpired,
} as const;
/** A stable refusal code: one of PeerRefusalReasons or an OpenSSL verify code such as "CERT_HAS_EXPIRED". */
export type PeerRefusalReason = (typeof PeerRefusalReasons)[keyof typeof PeerRefusalReasons] | (string & {});

/** The presented certificate, as a refusal or audit log record needs it. */
export interface PeerCertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly subjectAltNames: readonly string[];
  readonly validFrom: string;
  readonly validTo: string;
  readonly keyType: string;
  readonly keyBits: number | undefined;
  readonly signatureAlgorithm: string;
}

/** Who is on the other end of a TLS socket. */
export interface PeerInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** "TLSv1.3", "TLSv1.2", ... */
  readonly protocol: string | null;
  /** OpenSSL name of the negotiated suite. */
  readonly cipher: string | undefined;
  /** IANA name of the negotiated suite. */
  readonly cipherStandardName: string | undefined;
  readonly alpnProtocol: string | false;
  /** Whether OpenSSL verified the chain to the trusted set. */
  readonly authorized: boolean;
  /** OpenSSL's verify code when not authorized. */
  readonly authorizationError: string | undefined;
  /** undefined when the peer presented no certificate. */
  readonly certificate: PeerCertificateInfo | undefined;
  /** Subjects and fingerprints of the issuing certificates the peer's chain resolved to, nearest first. */
  readonly chain: ReadonlyArray<{ subject: string; fingerprint256: string }>;
}

export type PeerEvaluation =
  | { readonly ok: true; readonly peer: PeerInfo; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: PeerRefusalReason; readonly detail: string; readonly peer: PeerInfo; readonly revocation?: RevocationFinding };

/** OpenSSL codes behind which a security-level refusal hides: Node 20 reports RSA-1024 and SHA-1 as "UNSPECIFIED". */
const SECURITY_LEVEL_CODES = new Set(["UNSPECIFIED", "EE_KEY_TOO_SMALL", "CA_KEY_TOO_SMALL", "CA_MD_TOO_WEAK"]);

function infoOf(facts: CertificateFacts): PeerCertificateInfo {
  return {
    subject: facts.subject,
    issuer: facts.issuer,
    serialNumber: facts.serialNumber,
    fingerprint256: facts.fingerprint256,
    subjectAltNames: facts.subjectAltNames,
    validFrom: facts.validFrom.toISOString(),
    validTo: facts.validTo.toISOString(),
    keyType: facts.keyType,
    keyBits: facts.keyBits,
    signatureAlgorithm: facts.signatureAlgorithm,
  };
}

function authorizationCode(socket: TLSSocket): string | undefined {
  // Node stores the verify code string here although its typings say Error.
  const e = socket.authorizationError as unknown;
  if (e === null || e === undefined) return undefined;
  if (typeof e === "string") return e;
  return (e as { code?: string }).code ?? (e as Error).message;
}

/** The leaf and the certificates above it, as facts; the walk stops at a self-issued certificate. */
function peerChain(socket: TLSSocket): CertificateFacts[] {
  // Node returns {} when the peer sent no certificate.
  const leaf = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate>;
  if (leaf.raw === undefined) return [];
  const out: CertificateFacts[] = [];
  const seen = new Set<string>();
  let cur: Partial<DetailedPeerCertificate> | undefined = leaf;
  while (cur?.raw !== undefined && cur.fingerprint256 !== undefined && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(certificateFacts(cur.raw, cur.fingerprint256));
    cur = cur.issuerCertificate;
  }
  return out;
}

/** Describe the peer of an established TLS socket (for logs and audit records). */
export function describePeer(socket: TLSSocket): PeerInfo {
  return describeWith(socket, peerChain(socket));
}

function describeWith(socket: TLSSocket, chain: readonly CertificateFacts[]): PeerInfo {
  const cipher = socket.getCipher() as ReturnType<TLSSocket["getCipher"]> | null;
  const leaf = chain[0];
  return {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    protocol: socket.getProtocol(),
    cipher: cipher?.name,
    cipherStandardName: cipher?.standardName,
    alpnProtocol: socket.alpnProtocol ?? false,
    authorized: socket.authorized,
    authorizationError: authorizationCode(socket),
    certificate: leaf === undefined ? undefined : infoOf(leaf),
    chain: chain.slice(1).map((c) => ({ subject: c.subject, fingerprint256: c.fingerprint256 })),
  };
}

/**
 * The peer-certificate policy, evaluated right after the handshake and before any PDU is read. The caller
 * destroys the socket on `ok: false` and logs `reason`, `detail` and `peer`.
 */
export function evaluatePeer(socket: TLSSocket, policy: PeerPolicy): PeerEvaluation {
  const chain = peerChain(socket);
  const peer = describeWith(socket, chain);
  if (!socket.encrypted) return { ok: false, reason: PeerRefusalReasons.NotEncrypted, detail: "the connection is not TLS", peer };
  if (peer.alpnProtocol !== false && peer.alpnProtocol !== DICOM_ALPN) {
    return { ok: false, reason: PeerRefusalReasons.AlpnMismatch, detail: `ALPN "${peer.alpnProtocol}" negotiated; only "${DICOM_ALPN}" or none is served`, peer };
  }
  if (chain.length === 0) {
    if (policy.remoteCertificateRequired) {
      return { ok: false, reason: PeerRefusalReasons.NoPeerCertificate, detail: "the peer presented no certificate and DicomTlsRemoteCertificateRequired is true", peer };
    }
    return { ok: true, peer, warnings: [] };
  }
  // Only the certificates the peer sent or that lead to a trust anchor: a self-signed anchor's own signature does not count.
  const findings = chain.map((c) => ({ cert: c, weak: weakness(c, policy.keyRules) })).filter((f) => f.weak !== undefined);
  const firstWeak = findings[0];
  if (!socket.authorized) {
    const code = peer.authorizationError ?? "UNSPECIFIED";
    if (SECURITY_LEVEL_CODES.has(code) && firstWeak?.weak !== undefined) {
      return { ok: false, reason: firstWeak.weak.reason, detail: `${firstWeak.cert.subject}: ${firstWeak.weak.detail} (OpenSSL: ${code})`, peer };
    }
    return { ok: false, reason: code, detail: `certificate ${peer.certificate?.subject ?? "?"} refused by verification: ${code}`, peer };
  }
  if (firstWeak?.weak !== undefined && policy.keyRules.weakPeer === "refuse") {
    return { ok: false, reason: firstWeak.weak.reason, detail: `${firstWeak.cert.subject}: ${firstWeak.weak.detail}`, peer };
  }
  if (policy.revocation !== undefined) {
    // The chain OpenSSL verified (leaf first, up to the trust anchor) is what the lists are checked against.
    const verdict = checkChainRevocation(policy.revocation, chainOfPeerCertificate(socket.getPeerCertificate(true)));
    if (!verdict.ok) {
      const { ok: _refused, ...finding } = verdict;
      return { ok: false, reason: verdict.reason, detail: verdict.detail, peer, revocation: finding };
    }
  }
  return { ok: true, peer, warnings: findings.map((f) => `${f.weak!.reason}: ${f.cert.subject}: ${f.weak!.detail}`) };
}

export interface BindingOptions {
  /** Orthanc `StrictAetComparison` (default false: AE titles compare case-insensitively). */
  strictAetComparison?: boolean;
}

export type BindingResult =
  | { readonly ok: true; readonly modality: string }
  | { readonly ok: false; readonly reason: "NO_PEER_CERTIFICATE" | "NO_CERTIFICATE_FOR_AET" | "CERTIFICATE_AET_MISMATCH"; readonly detail: string };

/**
 * `DicomTlsCheckModalityCertificate` (extension): the presented leaf must be the certificate configured as
 * `TlsCertificate` of a modality whose AET is the calling AET (SHA-256 fingerprint match). On failure the SCP
 * answers A-ASSOCIATE-RJ calling-AE-title-not-recognized (PS3.8 §9.3.4).
 */
export function certificateBindsAet(peer: PeerInfo, modalityCertificates: readonly LoadedModalityCertificate[], callingAet: string, opts: BindingOptions = {}): BindingResult {
  const norm = (s: string): string => (opts.strictAetComparison === true ? s.trim() : s.trim().toUpperCase());
  const candidates = modalityCertificates.filter((m) => norm(m.aet) === norm(callingAet));
  if (peer.certificate === undefined) return { ok: false, reason: "NO_PEER_CERTIFICATE", detail: `calling AET ${callingAet} presented no certificate` };
  if (candidates.length === 0) return { ok: false, reason: "NO_CERTIFICATE_FOR_AET", detail: `no modality with AET ${callingAet} has a TlsCertificate configured` };
  const match = candidates.find((m) => m.fingerprint256 === peer.certificate?.fingerprint256);
  if (match === undefined) {
    return {
      ok: false,
      reason: "CERTIFICATE_AET_MISMATCH",
      detail: `certificate ${peer.certificate.subject} (${peer.certificate.fingerprint256}) is not the one configured for AET ${callingAet} (${candidates.map((c) => c.file).join(", ")})`,
    };
  }
  return { ok: true, modality: match.name };
}

/** Stable codes for handshake failures reported by `tlsClientError` (they happen before evaluatePeer can run). */
export const HandshakeFailureReasons = {
  UnsupportedProtocol: "UNSUPPORTED_PROTOCOL",
  NoSharedCipher: "NO_SHARED_CIPHER",
  AlpnMismatch: "ALPN_MISMATCH",
  NotTls: "NOT_TLS",
  NoPeerCertificate: "NO_PEER_CERTIFICATE",
  HandshakeTimeout: "HANDSHAKE_TIMEOUT",
  ConnectionReset: "CONNECTION_RESET",
  Other: "HANDSHAKE_FAILED",
} as const;
export type HandshakeFailureReason = (typeof HandshakeFailureReasons)[keyof typeof HandshakeFailureReasons];

/** Classify a server `tlsClientError` (or client handshake error) into a stable code for logs and audit. */
export function classifyHandshakeError(err: Error): HandshakeFailureReason {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  const text = `${code} ${err.message}`;
  if (code === "ERR_TLS_HANDSHAKE_TIMEOUT") return HandshakeFailureReasons.HandshakeTimeout;
  if (/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|unsupported protocol/i.test(text)) return HandshakeFailureReasons.UnsupportedProtocol;
  if (/NO_SHARED_CIPHER|no shared cipher|HANDSHAKE_FAILURE/i.test(text)) return HandshakeFailureReasons.NoSharedCipher;
  if (/NO_APPLICATION_PROTOCOL/i.test(text)) return HandshakeFailureReasons.AlpnMismatch;
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|UNKNOWN_PROTOCOL|wrong version number/i.test(text)) return HandshakeFailureReasons.NotTls;
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/i.test(text)) return HandshakeFailureReasons.NoPeerCertificate;
  if (code === "ECONNRESET") return HandshakeFailureReasons.ConnectionReset;
  return HandshakeFailureReasons.Other;
}
