// DCMTK 3.6.7 against test-pki certificates and against our server/client options.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { writeCert, writePem, type WrittenCert } from "@dicomtls/test-pki";
import { dcmtkEnv, freePort, requireTool, runProcess, startProcess, stopAll, type TrackedProcess } from "@dicomtls/test-peers";
import { buildClientOptions, loadTlsContext } from "../src/index.js";
import { pkiOnDisk, serve, verdict, type PkiOnDisk } from "./helpers.js";

/** storescp prints nothing when it starts listening: poll the port (bounded). */
async function waitForPort(port: number, proc: TrackedProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`storescp did not listen on ${port}; output:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("DCMTK 3.6.7 interop", () => {
  let d: PkiOnDisk;
  let server: WrittenCert;
  let ca: string;
  let port: number;
  let storescp: TrackedProcess;

  before(async () => {
    requireTool("storescp");
    requireTool("echoscu");
    d = await pkiOnDisk("tls-dcmtk-");
    server = writeCert(d.dir, "dcmtk-server", d.pki.server);
    ca = writePem(d.dir, "ca.crt", d.pki.trustedBundle);
    port = await freePort();
    storescp = await startProcess("storescp", ["--fork", "-od", d.dir, "+tls", server.keyFile, server.chainFile, "+cf", ca, String(port)], { env: dcmtkEnv() });
    await waitForPort(port, storescp);
  });
  after(async () => {
    await stopAll();
    d.remove();
  });

  async function echo(cert: WrittenCert): Promise<{ code: number | string; output: string }> {
    const r = await runProcess("echoscu", ["-v", "127.0.0.1", String(port), "+tls", cert.keyFile, cert.chainFile, "+cf", ca], { env: dcmtkEnv(), timeoutMs: 20_000 });
    return { code: r.code, output: r.output };
  }

  test("echoscu +tls -> storescp +tls with test-pki certificates: client, chained and RSA-2048 leaves succeed", async () => {
    for (const cert of [d.pki.client, await d.pki.variants.chained(), await d.pki.variants.rsa2048()]) {
      const r = await echo(writeCert(d.dir, `echo-${cert.subject.replace(/\W/g, "")}`, cert));
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /Received Echo Response \(Success\)/);
    }
  });

  test("echoscu with an expired test-pki certificate is refused by storescp", async () => {
    const r = await echo(writeCert(d.dir, "echo-expired", await d.pki.variants.expired()));
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.output, /Received Echo Response/);
  });

  test("our client options complete a TLS handshake with storescp (ALPN ignored by 3.6.7, chain verified)", async () => {
    const ctx = await loadTlsContext(d.settings);
    const result = await new Promise<{ protocol: string | null; authorized: boolean }>((resolve, reject) => {
      const s = tlsConnect({ ...buildClientOptions(ctx, { host: "127.0.0.1", port }) }, () => {
        resolve({ protocol: s.getProtocol(), authorized: s.authorized });
        s.destroy();
      });
      s.on("error", reject);
    });
    assert.equal(result.authorized, true);
    assert.equal(result.protocol, "TLSv1.3");
  });

  test("echoscu +tls against our server options: the peer policy accepts DCMTK's client certificate", async () => {
    const ctx = await loadTlsContext(d.settings);
    const client = writeCert(d.dir, "echo-policy", d.pki.client);
    const o = await serve(ctx, async (p) => {
      // Our test server closes right after the policy check, so echoscu itself fails at the DICOM layer.
      await runProcess("echoscu", ["127.0.0.1", String(p), "+tls", client.keyFile, client.chainFile, "+cf", ca], { env: dcmtkEnv(), timeoutMs: 20_000 });
    });
    assert.equal(verdict(o), "OK");
    assert.ok(o.evaluation?.ok);
    assert.equal(o.evaluation.peer.certificate?.fingerprint256, d.pki.client.fingerprint256);
    assert.equal(o.evaluation.peer.protocol, "TLSv1.3");
    const expired = writeCert(d.dir, "echo-policy-expired", await d.pki.variants.expired());
    const refused = await serve(ctx, async (p) => {
      await runProcess("echoscu", ["127.0.0.1", String(p), "+tls", expired.keyFile, expired.chainFile, "+cf", ca], { env: dcmtkEnv(), timeoutMs: 20_000 });
    });
    assert.equal(verdict(refused), "CERT_HAS_EXPIRED");
  });
});
