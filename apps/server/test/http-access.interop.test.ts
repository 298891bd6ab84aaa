/**
 * Who may use the HTTP(S) port: RemoteAccessAllowed false refuses a non-loopback peer (127.0.0.2 counts as remote,
 * as for Orthanc, which compares with 127.0.0.1 exactly), AuthenticationEnabled refuses a wrong password and
 * accepts the right one, and SslEnabled serves HTTPS with the certificate and key of SslCertificate.
 */
import { strict as assert } from "node:assert";
import { writeFileSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { createTestPki, writeCert, type TestPki } from "@dicomtls/test-pki";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { decideHttpAccess, isLoopbackAddress, parseBasicAuthorization } from "../src/http/access.js";
import { writeConfig } from "./helpers.js";

const tmp = tempDir("dicomtls-http-access-");
after(async () => {
  await stopAll();
  tmp.remove();
});

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly protocol?: string | null;
  readonly peerSubject?: string | undefined;
}

/** One GET from a chosen local address (fetch cannot choose it), HTTP or HTTPS. */
function getFrom(url: string, opts: { localAddress?: string; auth?: string; ca?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const options = {
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      timeout: 15_000,
      ...(opts.localAddress !== undefined && { localAddress: opts.localAddress }),
      ...(opts.auth !== undefined && { auth: opts.auth }),
      ...(opts.ca !== undefined && { ca: opts.ca, servername: "localhost" }),
    };
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(options, (res) => {
      // Read while the socket is attached (it is gone once the body ended).
      const tls = res.socket as TLSSocket;
      const secure = u.protocol === "https:" ? { protocol: tls.getProtocol(), peerSubject: String(tls.getPeerCertificate().subject?.CN) } : {};
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...secure }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within 15 s`)));
    req.on("error", reject);
    req.end();
  });
}

describe("the decision point (unit)", () => {
  const loopbackOnly = { remoteAccessAllowed: false, authenticationEnabled: false, registeredUsers: {} };
  const withUsers = { remoteAccessAllowed: true, authenticationEnabled: true, registeredUsers: { alice: "wonderland" } };
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString("base64")}`;

  test("loopback is 127.0.0.1 and ::1 (also IPv4-mapped), nothing else", () => {
    for (const a of ["127.0.0.1", "::ffff:127.0.0.1", "::1"]) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ["127.0.0.2", "::ffff:127.0.0.2", "10.0.0.1", "0.0.0.0", undefined]) assert.equal(isLoopbackAddress(a), false, String(a));
  });

  test("RemoteAccessAllowed false: remote peers get 403, whatever they send", () => {
    assert.deepEqual(decideHttpAccess({ remoteAddress: "::ffff:10.1.2.3", authorization: basic("alice:wonderland") }, loopbackOnly), { allow: false, status: 403, reason: "REMOTE_ACCESS_NOT_ALLOWED" });
    assert.deepEqual(decideHttpAccess({ remoteAddress: "127.0.0.1", authorization: undefined }, loopbackOnly), { allow: true });
  });

  test("authentication: none or wrong credentials get 401, the right ones pass", () => {
    assert.equal(decideHttpAccess({ remoteAddress: "10.0.0.9", authorization: undefined }, withUsers).allow, false);
    assert.deepEqual(decideHttpAccess({ remoteAddress: "10.0.0.9", authorization: basic("alice:rabbit") }, withUsers), { allow: false, status: 401, reason: "BAD_CREDENTIALS" });
    assert.deepEqual(decideHttpAccess({ remoteAddress: "10.0.0.9", authorization: basic("bob:wonderland") }, withUsers), { allow: false, status: 401, reason: "BAD_CREDENTIALS" });
    assert.deepEqual(decideHttpAccess({ remoteAddress: "10.0.0.9", authorization: basic("alice:wonderland") }, withUsers), { allow: true, user: "alice" });
    // An inherited property is no user.
    assert.equal(decideHttpAccess({ remoteAddress: "10.0.0.9", authorization: basic("toString:x") }, withUsers).allow, false);
  });

  test("Basic credentials: the password may hold ':', other schemes are not Basic", () => {
    assert.deepEqual(parseBasicAuthorization(basic("alice:a:b")), { user: "alice", password: "a:b" });
    assert.equal(parseBasicAuthorization("Bearer abc"), undefined);
    assert.equal(parseBasicAuthorization(basic("no-colon")), undefined);
  });
});

describe("RemoteAccessAllowed false (the default) on a real server, MetricsEnabled false", () => {
  let server: StartedServer;
  let base: string;
  before(async () => {
    const httpPort = await freePort();
    const config = writeConfig(tmp.path, "loopback.json", { DicomAet: "NODE", DicomPort: await freePort(), HttpServerEnabled: true, HttpPort: httpPort, MetricsEnabled: false, StorageDirectory: join(tmp.path, "s1") });
    server = await startServer(config);
    base = `http://127.0.0.1:${httpPort}`;
  });
  after(() => server.stop());

  test("127.0.0.1 is served without credentials", async () => {
    const r = await getFrom(`${base}/status`, { localAddress: "127.0.0.1" });
    assert.equal(r.status, 200, r.body);
    assert.equal((JSON.parse(r.body) as { node: { aet: string } }).node.aet, "NODE");
  });

  test("MetricsEnabled false: /metrics is 404 while the status page is served", async () => {
    const metrics = await getFrom(`${base}/metrics`);
    assert.equal(metrics.status, 404, metrics.body);
    assert.match(metrics.body, /MetricsEnabled is false/);
    const page = await getFrom(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>dicomtls status<\/title>/);
    assert.equal(page.headers["content-security-policy"], "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  });

  test("127.0.0.2 is remote: 403, logged with the peer and the reason", async () => {
    const r = await getFrom(`${base}/status`, { localAddress: "127.0.0.2" });
    assert.equal(r.status, 403, r.body);
    assert.equal(r.headers["www-authenticate"], undefined, "no login prompt: a password cannot help");
    const rec = await server.waitForRecord((x) => x["event"] === "http-refused");
    assert.equal(rec["reason"], "REMOTE_ACCESS_NOT_ALLOWED");
    assert.match(String(rec["peer"]), /^127\.0\.0\.2:\d+$/);
  });
});

describe("HTTPS with SslCertificate, remote access with authentication (on because RemoteAccessAllowed is)", () => {
  let pki: TestPki;
  let server: StartedServer;
  let base: string;
  before(async () => {
    pki = await createTestPki({ name: "http-access " });
    const cert = writeCert(tmp.path, "https", pki.server);
    // Orthanc's SslCertificate: one PEM file with the certificate (chain) and the private key.
    const pem = join(tmp.path, "https.pem");
    writeFileSync(pem, readFileSync(cert.chainFile, "utf8") + readFileSync(cert.keyFile, "utf8"));
    const httpPort = await freePort();
    const config = writeConfig(tmp.path, "https.json", {
      DicomAet: "NODE",
      DicomPort: await freePort(),
      HttpServerEnabled: true,
      HttpPort: httpPort,
      SslEnabled: true,
      SslCertificate: "https.pem",
      RemoteAccessAllowed: true,
      RegisteredUsers: { alice: "wonderland" },
      StorageDirectory: join(tmp.path, "s2"),
    });
    server = await startServer(config);
    base = `https://127.0.0.1:${httpPort}`;
    assert.match(String(server.records().find((r) => r["event"] === "listening")?.["msg"]), /status page https:\/\/127\.0\.0\.1:\d+\//);
  });
  after(() => server.stop());

  test("no credentials: 401 with a Basic challenge, over TLS 1.2+ with the SslCertificate's certificate", async () => {
    const r = await getFrom(`${base}/status`, { localAddress: "127.0.0.2", ca: pki.trustedBundle });
    assert.equal(r.status, 401, r.body);
    assert.match(String(r.headers["www-authenticate"]), /^Basic realm="dicomtls"/);
    assert.match(String(r.protocol), /^TLSv1\.[23]$/);
    assert.match(String(r.peerSubject), /localhost$/, "the certificate of SslCertificate (the test PKI's server, CN ...localhost)");
  });

  test("a wrong password: 401, logged", async () => {
    const r = await getFrom(`${base}/metrics`, { localAddress: "127.0.0.2", ca: pki.trustedBundle, auth: "alice:rabbit" });
    assert.equal(r.status, 401, r.body);
    await server.waitForRecord((x) => x["event"] === "http-refused" && x["reason"] === "BAD_CREDENTIALS");
  });

  test("the right password from a remote address: served", async () => {
    const r = await getFrom(`${base}/metrics`, { localAddress: "127.0.0.2", ca: pki.trustedBundle, auth: "alice:wonderland" });
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /^# HELP dicomtls_/m);
  });

  test("plain HTTP on the HTTPS port gets no page", async () => {
    const r = await getFrom(`${base.replace("https:", "http:")}/status`).catch((err: Error) => err);
    assert.ok(r instanceof Error || r.status >= 400, "plain HTTP was served on the HTTPS port");
  });
});
