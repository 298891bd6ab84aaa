/**
 * Hot reload of the node's certificate (issue 4): while an association is open, the certificate and key are
 * replaced; the open association completes on the old context, the next one sees the new certificate (its
 * SHA-256 fingerprint, read by our client from the peer certificate), and an invalid replacement (key mismatch)
 * is refused with a log record while the previous certificate keeps serving. Once by file change (the server
 * watches the folder of each file), once by SIGHUP (for files changed where no watcher sees them).
 */
import { strict as assert } from "node:assert";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requestAssociation, type Association } from "@dicomtls/association";
import { Status, VERIFICATION_SOP_CLASS, cEchoRq } from "@dicomtls/pdu-codec";
import { createTestPki, writeCert, writePem, type TestCert, type TestPki } from "@dicomtls/test-pki";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";

const tmp = tempDir("dicomtls-reload-");
after(async () => {
  await stopAll();
  tmp.remove();
});

interface Held {
  readonly association: Association;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  readonly fingerprint256: string;
}

/** Our SCU opens an association (Verification) and keeps it open; it remembers the server's certificate. */
async function openAssociation(port: number, ca: string, client: TestCert, callingAeTitle: string): Promise<Held> {
  const association = await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle,
    calledAeTitle: "DICOMTLS",
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2.1"] }],
    tls: { ca, cert: client.chain, key: client.key, servername: "localhost", ALPNProtocols: ["dicom"] },
    timeouts: { connectMs: 10_000, associateMs: 10_000, dimseMs: 10_000 },
  });
  const fingerprint256 = association.peer.tls?.certificate?.fingerprint256;
  assert.ok(fingerprint256 !== undefined, "a TLS association knows the server's certificate");
  return { association, fingerprint256 };
}

async function echoAndRelease(a: Association): Promise<void> {
  const ctx = a.findContext(VERIFICATION_SOP_CLASS);
  assert.ok(ctx !== undefined, "Verification accepted");
  const rsp = await a.request(ctx.id, cEchoRq(a.nextMessageId()));
  assert.equal(rsp.command.status, Status.Success);
  await a.release();
}

/** The server's certificate on a fresh connection (then released). */
async function servedFingerprint(port: number, ca: string, client: TestCert): Promise<string> {
  const held = await openAssociation(port, ca, client, "PROBE");
  await echoAndRelease(held.association);
  return held.fingerprint256;
}

async function waitSince(server: StartedServer, mark: number, match: (r: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.records().slice(mark).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching log record within ${timeoutMs} ms; log:\n${server.process.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Replace a file the way certbot and editors do: write a sibling, then rename over it. */
function replaceFile(path: string, text: string): void {
  const next = `${path}.next`;
  writeFileSync(next, text, { mode: 0o600 });
  renameSync(next, path);
}

describe("hot reload of the node certificate", () => {
  let pki: TestPki;
  let server: StartedServer;
  let ca: string;
  let certs: { v1: TestCert; v2: TestCert; v3: TestCert; v4: TestCert };
  /** The folder the configuration names (watched by the server). */
  let live: string;
  /** A folder no watcher looks at: live/node.* are symlinks into it at first (as with mounted secrets). */
  let store: string;

  before(async () => {
    pki = await createTestPki({ name: "reload" });
    const [v1, v2, v3, v4] = await Promise.all([1, 2, 3, 4].map((n) => pki.issue({ commonName: `node-v${n}` })));
    certs = { v1: v1!, v2: v2!, v3: v3!, v4: v4! };
    ca = writePem(tmp.path, "ca.crt", pki.trustedBundle);
    live = join(tmp.path, "live");
    store = join(tmp.path, "store");
    mkdirSync(live, { recursive: true });
    const stored = writeCert(store, "node", certs.v1);
    symlinkSync(stored.chainFile, join(live, "node.crt"));
    symlinkSync(stored.keyFile, join(live, "node.key"));
    const port = await freePort();
    const config = join(tmp.path, "node.json");
    writeFileSync(
      config,
      JSON.stringify({
        DicomAet: "DICOMTLS",
        DicomPort: port,
        HttpServerEnabled: false,
        DicomTlsEnabled: true,
        DicomTlsCertificate: join(live, "node.crt"),
        DicomTlsPrivateKey: join(live, "node.key"),
        DicomTlsTrustedCertificates: ca,
        StorageDirectory: join(tmp.path, "storage"),
      }),
    );
    server = await startServer(config);
  });
  after(() => server.stop());

  test("the node serves the certificate it started with", async () => {
    assert.equal(await servedFingerprint(server.port, pki.trustedBundle, pki.client), certs.v1.fingerprint256);
  });

  test("SIGHUP: an open association completes on the old certificate, the next one sees the new one", async () => {
    const held = await openAssociation(server.port, pki.trustedBundle, pki.client, "HOLD1");
    assert.equal(held.fingerprint256, certs.v1.fingerprint256);
    // Changed in the store folder: the watcher of live/ sees nothing, only SIGHUP makes the node read it.
    writeCert(store, "node", certs.v2);
    const mark = server.records().length;
    process.kill(server.process.pid, "SIGHUP");
    const rec = await waitSince(server, mark, (r) => r["event"] === "tls-reloaded");
    assert.equal(rec["trigger"], "manual");
    assert.equal(rec["fingerprint256"], certs.v2.fingerprint256);
    await echoAndRelease(held.association);
    assert.equal(await servedFingerprint(server.port, pki.trustedBundle, pki.client), certs.v2.fingerprint256);
  });

  test("SIGHUP with a certificate that does not match the key: refused and logged, the previous certificate keeps serving", async () => {
    writePem(store, "node-chain.crt", certs.v3.chain); // v3's certificate, v2's key still in place
    const mark = server.records().length;
    process.kill(server.process.pid, "SIGHUP");
    const rec = await waitSince(server, mark, (r) => r["event"] === "tls-reload-failed");
    assert.equal(rec["trigger"], "manual");
    assert.equal(rec["level"], "error");
    assert.equal(rec["code"], "ERR_DICOM_TLS_CONFIG");
    assert.equal(rec["key"], "DicomTlsPrivateKey");
    assert.match(String(rec["msg"]), /does not match DicomTlsCertificate/);
    assert.equal(await servedFingerprint(server.port, pki.trustedBundle, pki.client), certs.v2.fingerprint256);
    assert.ok(!server.records().slice(mark).some((r) => r["event"] === "tls-reloaded"), "no reload happened");
  });

  test("file change: replacing the files (rename over them) swaps the certificate for new associations only", async () => {
    const held = await openAssociation(server.port, pki.trustedBundle, pki.client, "HOLD2");
    assert.equal(held.fingerprint256, certs.v2.fingerprint256);
    const mark = server.records().length;
    // Key first, then certificate, as a rotation script would: the watcher waits for quiet before it reads.
    rmSync(join(live, "node.key"));
    rmSync(join(live, "node.crt"));
    replaceFile(join(live, "node.key"), certs.v4.key);
    replaceFile(join(live, "node.crt"), certs.v4.chain);
    const rec = await waitSince(server, mark, (r) => r["event"] === "tls-reloaded" && r["fingerprint256"] === certs.v4.fingerprint256);
    assert.equal(rec["trigger"], "file-change");
    await echoAndRelease(held.association);
    assert.equal(await servedFingerprint(server.port, pki.trustedBundle, pki.client), certs.v4.fingerprint256);
  });

  test("file change to a certificate that does not match the key: refused and logged, the previous certificate keeps serving", async () => {
    const mark = server.records().length;
    replaceFile(join(live, "node.crt"), certs.v1.chain);
    const rec = await waitSince(server, mark, (r) => r["event"] === "tls-reload-failed");
    assert.equal(rec["trigger"], "file-change");
    assert.equal(rec["key"], "DicomTlsPrivateKey");
    assert.match(String(rec["msg"]), /previous certificate keeps serving/);
    assert.equal(await servedFingerprint(server.port, pki.trustedBundle, pki.client), certs.v4.fingerprint256);
    assert.ok(!server.records().slice(mark).some((r) => r["event"] === "tls-reloaded"), "no reload happened");
  });
});
