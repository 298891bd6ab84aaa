import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext } from "node:tls";
import { fastify, type FastifyInstance, type FastifyReply } from "fastify";
import type { NodeConfig } from "@dicomtls/config";
import { resolveProtocolPolicy } from "@dicomtls/tls-context";
import { displayAddress } from "../diagnostics-log.js";
import type { Logger } from "../log.js";
import { decideHttpAccess } from "./access.js";
import type { NodeMetrics } from "./metrics.js";
import type { NodeStatus } from "./status.js";

export class HttpStartError extends Error {
  readonly code = "ERR_DICOM_HTTP_START";
}

export interface HttpServerOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly status: NodeStatus;
  /** Absent when MetricsEnabled is false: /metrics is then 404. */
  readonly metrics?: NodeMetrics;
  /** Interface to bind; default all (as Orthanc). */
  readonly host?: string;
}

/** The running HTTP(S) port. */
export interface HttpEndpoint {
  readonly port: number;
  /** "http" or "https". */
  readonly scheme: string;
  close(): Promise<void>;
}

/** Only the page's own origin: no inline script or style, no other host (the page works with its own files only). */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
} as const;

/** The status page's files, served from the package (src/http/public both from src/http and dist/http). */
const PUBLIC_FILES = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/app.js", "app.js", "text/javascript; charset=utf-8"],
  ["/style.css", "style.css", "text/css; charset=utf-8"],
] as const;
const PUBLIC_DIR = new URL("../../src/http/public/", import.meta.url);

/** Server-sent events: a snapshot at once, on each change (at most every 250 ms) and every second. */
const SSE_MIN_INTERVAL_MS = 250;
const SSE_HEARTBEAT_MS = 1000;

/** The PEM file Orthanc's SslCertificate names holds the certificate (chain) and the key; the DICOM TLS profile applies. */
function httpsOptions(config: NodeConfig): Parameters<typeof createHttpsServer>[0] {
  let pem: Buffer;
  try {
    pem = readFileSync(config.sslCertificate);
  } catch (err) {
    throw new HttpStartError(`SslCertificate: cannot read ${config.sslCertificate}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const policy = resolveProtocolPolicy({ profile: config.dicomTlsProfile, minimumProtocolVersion: 0, ciphersAccepted: [] });
  const options = { key: pem, cert: pem, minVersion: policy.minVersion, maxVersion: policy.maxVersion, ciphers: policy.ciphers, sigalgs: policy.sigalgs, ecdhCurve: policy.ecdhCurve };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new HttpStartError(`SslCertificate: ${config.sslCertificate} must hold a PEM certificate and its private key: ${(err as Error).message}`, { cause: err });
  }
  return options;
}

/** Start the HTTP(S) port: the status page at /, /status (JSON), /status/events (SSE), /metrics. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpEndpoint> {
  const { config, logger, status, metrics } = options;
  const tlsOptions = config.sslEnabled ? httpsOptions(config) : undefined;
  const files = PUBLIC_FILES.map(([route, file, type]) => [route, readFileSync(new URL(file, PUBLIC_DIR)), type] as const);
  const app: FastifyInstance = fastify({
    logger: false,
    forceCloseConnections: true,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void): Server =>
      tlsOptions === undefined ? createHttpServer(handler) : (createHttpsServer(tlsOptions, handler) as unknown as Server),
  });
  const policy = { remoteAccessAllowed: config.remoteAccessAllowed, authenticationEnabled: config.authenticationEnabled, registeredUsers: config.registeredUsers };

  app.addHook("onRequest", async (request, reply) => {
    void reply.headers(SECURITY_HEADERS);
    const decision = decideHttpAccess({ remoteAddress: request.socket.remoteAddress, authorization: request.headers.authorization }, policy);
    if (decision.allow) return;
    const peer = `${displayAddress(request.socket.remoteAddress)}:${request.socket.remotePort ?? "?"}`;
    logger.warn({ event: "http-refused", reason: decision.reason, status: decision.status, peer, url: request.url }, `HTTP ${request.method} ${request.url} from ${peer} refused (${decision.reason})`);
    if (decision.status === 401) void reply.header("www-authenticate", 'Basic realm="dicomtls", charset="UTF-8"');
    await reply.code(decision.status).type("text/plain; charset=utf-8").send(decision.status === 403 ? "Forbidden: RemoteAccessAllowed is false\n" : "Unauthorized\n");
  });

  for (const [route, body, type] of files) app.get(route, async (_req, reply) => reply.type(type).send(body));
  // Browsers ask for it; "no content" keeps their console free of a 404.
  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());
  app.get("/status", async (_req, reply) => reply.type("application/json; charset=utf-8").send(JSON.stringify(status.snapshot())));
  app.get("/status/events", (request, reply) => {
    streamStatus(reply, status, request.raw);
  });
  app.get("/metrics", async (_req, reply) => {
    if (metrics === undefined) return reply.code(404).type("text/plain; charset=utf-8").send("Not found: MetricsEnabled is false\n");
    return reply.type(metrics.contentType).send(await metrics.text());
  });

  try {
    await app.listen({ port: config.httpPort, ...(options.host !== undefined ? { host: options.host } : { host: "::" }), listenTextResolver: () => "" });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "the port is already in use" : code === "EACCES" ? "permission denied (ports below 1024 need privileges)" : (err as Error).message;
    throw new HttpStartError(`HttpPort: cannot listen on port ${config.httpPort}: ${why}`, { cause: err });
  }
  const port = (app.server.address() as AddressInfo).port;
  return { port, scheme: tlsOptions === undefined ? "http" : "https", close: () => app.close() };
}

function streamStatus(reply: FastifyReply, status: NodeStatus, request: IncomingMessage): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive" });
  let last = 0;
  let pending: NodeJS.Timeout | undefined;
  const send = (): void => {
    pending = undefined;
    last = Date.now();
    res.write(`data: ${JSON.stringify(status.snapshot())}\n\n`);
  };
  const changed = (): void => {
    if (pending !== undefined) return;
    pending = setTimeout(send, Math.max(0, last + SSE_MIN_INTERVAL_MS - Date.now()));
  };
  const heartbeat = setInterval(send, SSE_HEARTBEAT_MS);
  const off = status.onChange(changed);
  request.once("close", () => {
    clearInterval(heartbeat);
    clearTimeout(pending);
    off();
  });
  send();
}
