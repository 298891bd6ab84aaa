import { isIP } from "node:net";
import { X509Certificate } from "node:crypto";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type TlsOptions } from "node:tls";
import { splitPemCertificates } from "./certificate-info.js";
import { secureContextOptionsOf, type TlsContext } from "./load.js";
import { chainOfPeerCertificate, checkChainRevocation, type RevocationFinding, type RevocationPolicy } from "./revocation.js";

/** The ALPN protocol id DICOM TLS peers announce (PS3.15 §B.12; DCMTK >= 3.6.8 sends it). */
export const DICOM_ALPN = "dicom";

/** TLS session cache lifetime for the SCP, in seconds (resumption saves a full handshake per association). */
export const SESSION_TIMEOUT_S = 300;

/**
 * Server ALPN rule: a client that offers "dicom" gets it, a client that offers no ALPN is served, a client that
 * offers only other protocols is refused in the handshake (no_application_protocol alert), as DCMTK >= 3.6.8 does.
 */
export function dicomAlpnCallback({ protocols }: { servername: string; protocols: string[] }): string | undefined {
  return protocols.includes(DICOM_ALPN) ? DICOM_ALPN : undefined;
}

/**
 * Options for `tls.createServer`: the certificate is requested from every client but the handshake never fails on
 * it (`rejectUnauthorized: false`), so `evaluatePeer` can log the exact reason before destroying the socket.
 */
export function buildServerOptions(ctx: TlsContext): TlsOptions {
  return {
    ...secureContextOptionsOf(ctx),
    // Even when a certificate is not required, one that is presented must be valid (seed: "an invalid certificate is never accepted").
    requestCert: true,
    rejectUnauthorized: false,
    ALPNCallback: dicomAlpnCallback,
    handshakeTimeout: ctx.handshakeTimeoutMs,
    sessionTimeout: SESSION_TIMEOUT_S,
  };
}

export interface ClientOptionsInput {
  /** Host to connect to (name or IP); used for the name check. */
  host?: string;
  port?: number;
  /** SNI name; never sent for IP addresses (RFC 6066 §3). Defaults to `host` when it is a name. */
  servername?: string;
  /**
   * Name check of the server certificate: undefined = automatic (checked unless the server's certificate itself is
   * pinned in the trusted set, the `cat a.crt b.crt > trusted.crt` model); a string = check against that name;
   * true = always check against `host`; false = no name check (the chain is still verified).
   */
  checkServerName?: boolean | string;
  /** PEM trust anchors for this modality, replacing the node's trusted set. */
  trustedCertificates?: string | readonly string[];
  /** Present the node's own certificate (default true: DICOM TLS is mutual). */
  presentCertificate?: boolean;
}

/** The error an SCU connection fails with when the server's chain is revoked (or cannot be checked). */
export class ServerCertificateRevokedError extends Error {
  /** "CERT_REVOKED", "UNABLE_TO_GET_CRL" or "CRL_HAS_EXPIRED" (OpenSSL's names for the same cases). */
  readonly code: string;
  readonly revocation: RevocationFinding;
  constructor(finding: RevocationFinding) {
    super(finding.detail);
    this.name = "ServerCertificateRevokedError";
    this.code = finding.reason;
    this.revocation = finding;
  }
}

/**
 * The certificate-identity rule for an SCU connection, as a Node `checkServerIdentity` function. It only runs
 * after OpenSSL verified the chain, so returning undefined never skips chain verification. With a revocation
 * policy, the verified chain (Node passes the detailed peer certificate) is checked against the lists too.
 */
export function serverIdentityCheck(
  checkServerName: boolean | string | undefined,
  pinnedFingerprints: ReadonlySet<string>,
  revocation?: RevocationPolicy,
): (host: string, cert: PeerCertificate) => Error | undefined {
  const nameCheck = (host: string, cert: PeerCertificate): Error | undefined => {
    if (checkServerName === false) return undefined;
    if (typeof checkServerName === "string") return checkServerIdentity(checkServerName, cert);
    if (checkServerName === undefined && pinnedFingerprints.has(cert.fingerprint256)) return undefined;
    return checkServerIdentity(host, cert);
  };
  if (revocation === undefined) return nameCheck;
  return (host, cert) => {
    const named = nameCheck(host, cert);
    if (named !== undefined) return named;
    const verdict = checkChainRevocation(revocation, chainOfPeerCertificate(cert));
    if (verdict.ok) return undefined;
    const { ok: _refused, ...finding } = verdict;
    return new ServerCertificateRevokedError(finding);
  };
}

/**
 * Options for `tls.connect` (the SCU side). The server's chain is always verified (`rejectUnauthorized: true`);
 * only the name check can be relaxed, per modality.
 */
export function buildClientOptions(ctx: TlsContext, input: ClientOptionsInput = {}): ConnectionOptions {
  const base = secureContextOptionsOf(ctx);
  let ca = base.ca as string[];
  let pinned: ReadonlySet<string> = ctx.trustedFingerprints;
  if (input.trustedCertificates !== undefined) {
    const texts = typeof input.trustedCertificates === "string" ? [input.trustedCertificates] : input.trustedCertificates;
    ca = texts.flatMap((t) => splitPemCertificates(t));
    pinned = new Set(ca.map((pem) => new X509Certificate(pem).fingerprint256));
  }
  const { sessionIdContext: _serverOnly, honorCipherOrder: _alsoServerOnly, ...shared } = base;
  const opts: ConnectionOptions = {
    ...shared,
    ca,
    rejectUnauthorized: true,
    ALPNProtocols: [DICOM_ALPN],
    checkServerIdentity: serverIdentityCheck(input.checkServerName, pinned, ctx.revocation),
  };
  if (input.presentCertificate === false) {
    delete opts.cert;
    delete opts.key;
  }
  if (input.host !== undefined) opts.host = input.host;
  if (input.port !== undefined) opts.port = input.port;
  const sni = input.servername ?? input.host;
  if (sni !== undefined && isIP(sni) === 0) opts.servername = sni;
  return opts;
}
