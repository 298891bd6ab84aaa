// Hot reload: setSecureContext on file change, the last good context kept when new files are invalid.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { connect, createServer, type Server } from "node:tls";
import { buildServerOptions, TlsContextManager, type DicomTlsConfigError, type TlsContext } from "../src/index.js";
import { pkiOnDisk, type PkiOnDisk } from "./helpers.js";

const DAY = 86_400_000;

/** Connect once and return the SHA-256 fingerprint of the certificate the server presented. */
async function presentedFingerprint(port: number, d: PkiOnDisk): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca: d.pki.trustedBundle, cert: d.pki.client.chain, key: d.pki.client.key }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.destroy();
    });
    s.on("error", reject);
  });
}

/** Resolve with the next value passed to the registered callback, bounded in time. */
function nextEvent<T>(register: (cb: (v: T) => void) => void, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
    register((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

describe("TlsContextManager", () => {
  let d: PkiOnDisk;
  let manager: TlsContextManager;
  let server: Server;
  let port: number;
  let onReload: ((c: TlsContext) => void) | undefined;
  let onError: ((e: DicomTlsConfigError) => void) | undefined;

  before(async () => {
    d = await pkiOnDisk();
    manager = await TlsContextManager.create(d.settings, {
      watch: true,
      debounceMs: 100,
      onReload: (c) => {
        server.setSecureContext(manager.secureContextOptions());
        onReload?.(c);
      },
      onReloadError: (e) => onError?.(e),
    });
    server = createServer(buildServerOptions(manager.current), (s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    manager.close();
    await new Promise<void>((r) => server.close(() => r()));
    d.remove();
  });

  test("an invalid replacement certificate is reported and the old context keeps serving", async () => {
    const before = manager.current;
    assert.equal(await presentedFingerprint(port, d), d.pki.server.fingerprint256);
    const failed = nextEvent<DicomTlsConfigError>((cb) => (onError = cb));
    writeFileSync(d.settings.certificateFile, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    const err = await failed;
    assert.equal(err.key, "DicomTlsCertificate");
    assert.equal(err.file, d.settings.certificateFile);
    assert.equal(manager.current, before);
    assert.equal(await presentedFingerprint(port, d), d.pki.server.fingerprint256);
  });

  test("a valid rotated certificate and key are picked up without restart", async () => {
    const rotated = await d.pki.issue({ commonName: "localhost" });
    const reloaded = nextEvent<TlsContext>((cb) => (onReload = cb));
    // Key first, then certificate: the debounce coalesces both events into one reload.
    writeFileSync(d.settings.privateKeyFile!, rotated.key);
    writeFileSync(d.settings.certificateFile, rotated.chain);
    const ctx = await reloaded;
    assert.equal(ctx.certificate.fingerprint256, rotated.fingerprint256);
    assert.equal(await presentedFingerprint(port, d), rotated.fingerprint256);
  });

  test("reload() with a key that does not match keeps the current context and returns the error", async () => {
    const current = manager.current;
    const wrongKey = d.writeText("wrong.key", d.pki.client.key);
    const r = await manager.reload({ ...current.settings, privateKeyFile: wrongKey });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && /does not match/.test(r.error.message));
    assert.equal(manager.current, current);
    const again = await manager.reload();
    assert.ok(again.ok);
    assert.notEqual(manager.current, current);
  });

  test("checkExpiry warns within 30 days of the own certificate's end, not before", () => {
    const end = manager.current.certificate.validTo.getTime();
    assert.equal(manager.checkExpiry(new Date(end - 31 * DAY)), undefined);
    const w = manager.checkExpiry(new Date(end - 5 * DAY));
    assert.equal(w?.code, "OWN_CERTIFICATE_EXPIRES_SOON");
    assert.match(w?.message ?? "", /in 5 days/);
  });
});
