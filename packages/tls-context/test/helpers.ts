import { connect, createServer, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { createTestPki, writeCert, writePem, type TestCert, type TestPki } from "@dicomtls/test-pki";
import { tempDir } from "@dicomtls/test-peers";
import { buildServerOptions, evaluatePeer, type DicomTlsSettings, type PeerEvaluation, type TlsContext } from "../src/index.js";

/** A PKI written to a temporary folder, with settings for a node using the server certificate. */
export interface PkiOnDisk {
  pki: TestPki;
  dir: string;
  remove: () => void;
  /** Settings using server.crt / server.key / trusted.crt (the root). */
  settings: DicomTlsSettings;
  write: (name: string, cert: TestCert) => { certFile: string; keyFile: string; chainFile: string };
  writeText: (name: string, text: string) => string;
}

export async function pkiOnDisk(prefix = "tls-context-"): Promise<PkiOnDisk> {
  const pki = await createTestPki();
  const tmp = tempDir(prefix);
  const server = writeCert(tmp.path, "server", pki.server);
  const trusted = writePem(tmp.path, "trusted.crt", pki.trustedBundle);
  return {
    pki,
    dir: tmp.path,
    remove: tmp.remove,
    settings: { certificateFile: server.chainFile, privateKeyFile: server.keyFile, trustedCertificatesFile: trusted, remoteCertificateRequired: true },
    write: (name, cert) => writeCert(tmp.path, name, cert),
    writeText: (name, text) => writePem(tmp.path, name, text),
  };
}

/** Client options presenting a test certificate and trusting the test root. */
export function clientWith(pki: TestPki, cert: TestCert | null, extra: ConnectionOptions = {}): ConnectionOptions {
  return { ca: pki.trustedBundle, ...(cert ? { cert: cert.chain, key: cert.key } : {}), ...extra };
}

export interface HandshakeOutcome {
  /** The server's policy verdict, when the handshake completed. */
  evaluation?: PeerEvaluation;
  /** The server's tlsClientError, when the handshake failed. */
  serverError?: Error;
  clientError?: Error;
  clientProtocol?: string | null;
  clientCipher?: string;
  clientAlpn?: string | false;
}

/** Start a server built from ctx on 127.0.0.1, run fn(port), and report what the server saw. Bounded by timeoutMs. */
export async function serve(ctx: TlsContext, fn: (port: number) => Promise<void>, timeoutMs = 8_000): Promise<HandshakeOutcome> {
  const outcome: HandshakeOutcome = {};
  let settle!: () => void;
  const serverDone = new Promise<void>((resolve) => (settle = resolve));
  const server = createServer(buildServerOptions(ctx), (socket: TLSSocket) => {
    outcome.evaluation = evaluatePeer(socket, ctx.peerPolicy);
    socket.setNoDelay(true);
    // Policy passed or not, this test server never answers a PDU: it closes at once, draining what the peer
    // sent so the socket sees the peer's FIN (an unread socket would keep server.close() waiting).
    socket.on("error", () => undefined);
    if (outcome.evaluation.ok) {
      socket.resume();
      socket.end();
    } else socket.destroy();
    settle();
  });
  server.on("tlsClientError", (err) => {
    outcome.serverError = err;
    settle();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([fn(port), serverDone]),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`handshake test timed out after ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } finally {
    clearTimeout(timer);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return outcome;
}

/** Connect a Node TLS client; resolves when the connection ends, recording what the client saw into outcome. */
export function nodeClient(port: number, opts: ConnectionOptions, outcome: HandshakeOutcome): Promise<void> {
  return new Promise<void>((resolve) => {
    let sock: TLSSocket;
    try {
      sock = connect({ host: "127.0.0.1", port, ...opts });
    } catch (err) {
      outcome.clientError = err as Error;
      resolve();
      return;
    }
    sock.setNoDelay(true);
    sock.on("secureConnect", () => {
      outcome.clientProtocol = sock.getProtocol();
      outcome.clientCipher = sock.getCipher().name;
      outcome.clientAlpn = sock.alpnProtocol ?? false;
    });
    sock.on("error", (err: Error) => {
      outcome.clientError = err;
    });
    sock.on("close", () => resolve());
    sock.resume();
  });
}

/** A handshake between a server built from ctx and a Node client with opts. */
export async function handshake(ctx: TlsContext, opts: ConnectionOptions): Promise<HandshakeOutcome> {
  const client: HandshakeOutcome = {};
  const server = await serve(ctx, (port) => nodeClient(port, opts, client));
  return { ...server, ...client };
}

/** The refusal reason, or "OK", or the server-side handshake error code: one string to assert on. */
export function verdict(o: HandshakeOutcome): string {
  if (o.evaluation) return o.evaluation.ok ? "OK" : o.evaluation.reason;
  const code = (o.serverError as NodeJS.ErrnoException | undefined)?.code;
  return `HANDSHAKE:${code ?? o.serverError?.message ?? "none"}`;
}
