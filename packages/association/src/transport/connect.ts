import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { AssociationTimeoutError, ConnectError, TlsError } from "../errors.js";

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** When set, DICOM TLS (PS3.15 Annex B): these options go to tls.connect as they are. */
  readonly tls?: ConnectionOptions;
  readonly timeoutMs: number;
}

/** OpenSSL/Node verification codes that mean "the chain does not lead to a CA we trust". */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A TLS failure in words a person can act on, naming the peer. */
export function describeTlsFailure(err: unknown, where: string): TlsError {
  const code = errorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  let text: string;
  if (code !== undefined && UNTRUSTED.has(code)) {
    text = `the server certificate of ${where} is not trusted (${code}): add the CA that issued it to the trusted certificates, or check that you reached the right server`;
  } else if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    text = `the server certificate of ${where} is outside its validity period (${code}); renew it or check the clocks`;
  } else if (code === "CERT_REVOKED" || code === "UNABLE_TO_GET_CRL" || code === "CRL_HAS_EXPIRED") {
    // Raised by the revocation check of @dicomtls/tls-context (DicomTlsCertificateRevocationLists) or by OpenSSL.
    text = `the server certificate of ${where} is refused by the revocation lists (${code}): ${detail}`;
  } else if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    text = `the server certificate of ${where} does not name the host we connected to (${detail}); connect by a name in its subjectAltName`;
  } else if (code?.startsWith("ERR_SSL_") === true && /ALERT/.test(code)) {
    text = `the TLS handshake with ${where} failed: the server sent an alert (${code}); it may not trust our certificate or may require one`;
  } else if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") {
    text = `${where} did not answer with TLS (${code}); is that port a plain DICOM port?`;
  } else if (code === "ECONNRESET" || code === "EPIPE") {
    text = `${where} closed the connection during the TLS handshake (${code}); it may not be a TLS port, or it refused our certificate`;
  } else {
    text = `the TLS handshake with ${where} failed${code === undefined ? "" : ` (${code})`}: ${detail}`;
  }
  return new TlsError(text, code, err);
}

/**
 * PS3.8 §9.1.1 TRANSPORT CONNECT: opens TCP (or TCP then TLS) to the peer. Resolves once the TLS handshake finished
 * and the chain was verified by Node against the given CAs; failures become ConnectError, TlsError or
 * AssociationTimeoutError with the peer named.
 */
export async function connectSocket(options: ConnectOptions): Promise<Socket | TLSSocket> {
  const { host, port } = options;
  const where = `${host}:${port}`;
  return await new Promise<Socket | TLSSocket>((resolve, reject) => {
    let tcpUp = false;
    const socket: Socket | TLSSocket =
      options.tls === undefined
        ? netConnect({ host, port, noDelay: true })
        : tlsConnect({ host, port, ...(isIp(host) ? {} : { servername: host }), ...options.tls });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AssociationTimeoutError(`no ${tcpUp && options.tls ? "TLS handshake" : "TCP connection"} with ${where} within ${options.timeoutMs} ms`, "connect"));
    }, options.timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      const code = errorCode(err);
      if (options.tls !== undefined && (tcpUp || (code !== undefined && !/^E[A-Z]+$/.test(code)))) reject(describeTlsFailure(err, where));
      else reject(new ConnectError(`cannot connect to ${where}${code === undefined ? "" : ` (${code})`}: ${connectHint(code)}`, host, port, err));
    };
    socket.once("error", fail);
    socket.once("connect", () => {
      tcpUp = true;
    });
    socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

function connectHint(code: string | undefined): string {
  switch (code) {
    case "ECONNREFUSED":
      return "nothing listens there; check the host, the port and that the peer is running";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the network has no route to the host";
    case "ETIMEDOUT":
      return "the host does not answer (firewall?)";
    default:
      return "the TCP connection failed";
  }
}
