/**
 * Certificate revocation (issue 9): lists made by `openssl ca -revoke` / `-gencrl` are read as PEM, DER, a folder or a
 * list; "leaf" checks the peer's own certificate and "chain" every CA-issued one; a list not signed by a trusted CA,
 * an invalid file and an expired list are start-up findings; the SCP side (evaluatePeer) and the SCU side
 * (buildClientOptions' server check) both refuse a revoked peer with CERT_REVOKED.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { createOpensslCa, tempDir, type IssuedCert, type OpensslCa } from "@dicomtls/test-peers";
import {
  buildClientOptions,
  buildServerOptions,
  checkChainRevocation,
  DicomTlsConfigError,
  loadTlsContext,
  RevocationCheckModes,
  TlsContextManager,
  TlsWarningCodes,
  type DicomTlsSettings,
  type RevocationPolicy,
  type TlsContext,
} from "../src/index.js";
import { serve } from "./helpers.js";

const DAY = 86_400_000;
const tmp = tempDir("tls-context-crl-");
let root: OpensslCa;
let sub: OpensslCa;
let node: IssuedCert;
let good: IssuedCert;
let revoked: IssuedCert;
let subLeaf: IssuedCert;
let rootCrl: string;
let subCrl: string;
let trusted: string;

function chainOf(file: string): X509Certificate[] {
  return (readFileSync(file, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

function settings(extra: Partial<DicomTlsSettings>): DicomTlsSettings {
  return { certificateFile: node.certFile, privateKeyFile: node.keyFile, trustedCertificatesFile: trusted, remoteCertificateRequired: true, ...extra };
}

async function configError(s: DicomTlsSettings, opts: { now?: Date } = {}): Promise<DicomTlsConfigError> {
  const err = await loadTlsContext(s, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof DicomTlsConfigError, `expected a DicomTlsConfigError, got ${String(err)}`);
  return err;
}

before(async () => {
  root = await createOpensslCa(join(tmp.path, "root"), "Hospital Root CA");
  sub = await root.subCa("Modality Sub CA");
  node = await root.issue("node");
  good = await root.issue("ct-good");
  revoked = await root.issue("ct-stolen");
  subLeaf = await sub.issue("us-1");
  await root.revoke(revoked.leafFile, "keyCompromise");
  rootCrl = await root.gencrl(join(tmp.path, "root.crl.pem"));
  subCrl = await sub.gencrl(join(tmp.path, "sub.crl.der"));
  trusted = join(tmp.path, "trusted.crt");
  writeFileSync(trusted, readFileSync(root.cert, "utf8") + readFileSync(sub.cert, "utf8"));
});
after(() => tmp.remove());

describe("reading revocation lists", () => {
  test("a PEM file and a DER file: both lists loaded, signed by their CA, the revoked serial listed", async () => {
    const ctx = await loadTlsContext(settings({ revocationLists: [rootCrl, subCrl] }));
    const lists = ctx.revocation?.lists ?? [];
    assert.deepEqual(
      lists.map((l) => [l.file, l.issuer]),
      [
        [rootCrl, "O=dicomtls test, CN=Hospital Root CA"],
        [subCrl, "O=dicomtls test, CN=Modality Sub CA"],
      ],
    );
    const serial = chainOf(revoked.leafFile)[0]!.serialNumber;
    assert.equal(lists[0]!.revoked.get(serial)?.reason, "keyCompromise");
    assert.equal(lists[1]!.revoked.size, 0);
    assert.equal(ctx.revocation?.mode, "chain", "chain is the default");
    assert.ok(ctx.files.includes(rootCrl) && ctx.files.includes(subCrl), "the lists are watched for reload");
  });

  test("a folder: every *.crl / *.pem / *.der in it, other files ignored; the folder itself is watched", async () => {
    const dir = join(tmp.path, "crl.d");
    mkdirSync(dir);
    copyFileSync(rootCrl, join(dir, "root.crl"));
    copyFileSync(subCrl, join(dir, "sub.der"));
    writeFileSync(join(dir, "README.txt"), "lists fetched nightly\n");
    const ctx = await loadTlsContext(settings({ revocationLists: [dir] }));
    assert.deepEqual(ctx.revocation?.lists.map((l) => l.file), [join(dir, "root.crl"), join(dir, "sub.der")]);
    assert.deepEqual(ctx.folders, [dir]);
  });

  test("an invalid list file is a start-up error naming the key and the file", async () => {
    const bad = join(tmp.path, "bad.crl");
    writeFileSync(bad, "-----BEGIN X509 CRL-----\nbm90IGEgY3Js\n-----END X509 CRL-----\n");
    const err = await configError(settings({ revocationLists: [bad] }));
    assert.equal(err.key, "DicomTlsCertificateRevocationLists");
    assert.equal(err.file, bad);
    assert.match(err.message, /not a valid X\.509 revocation list/);
    const cert = await configError(settings({ revocationLists: [root.cert] }));
    assert.match(cert.message, /not a revocation list/);
    const missing = await configError(settings({ revocationLists: [join(tmp.path, "nowhere.crl")] }));
    assert.match(missing.message, /not found/);
  });

  test("a list not signed by a trusted CA is refused with a clear message", async () => {
    const other = await createOpensslCa(join(tmp.path, "other"), "Unknown CA");
    const foreign = await other.gencrl(join(tmp.path, "foreign.crl"));
    const err = await configError(settings({ revocationLists: [foreign] }));
    assert.match(err.message, /revocation list of .*Unknown CA is not signed by a trusted CA/);
    assert.equal(err.file, foreign);
  });

  test("a list past nextUpdate warns within the grace and is an error beyond it", async () => {
    const now = Date.now();
    const stale = await root.gencrl(join(tmp.path, "stale.crl"), { lastUpdate: new Date(now - 10 * DAY), nextUpdate: new Date(now - 3 * DAY) });
    const ctx = await loadTlsContext(settings({ revocationLists: [stale] }));
    const w = ctx.warnings.find((x) => x.code === TlsWarningCodes.RevocationListStale);
    assert.ok(w, "a stale-list warning");
    assert.match(w.message, /due for renewal/);
    const err = await configError(settings({ revocationLists: [stale], revocationGraceDays: 2 }));
    assert.equal(err.file, stale);
    assert.match(err.message, /past the 2-day grace \(DicomTlsRevocationListGraceDays\)/);
    // A list loaded while current becomes unusable at check time once the grace is spent too (CRL_HAS_EXPIRED).
    const current = await loadTlsContext(settings({ revocationLists: [rootCrl] }));
    const late = checkChainRevocation(current.revocation!, chainOf(good.certFile), new Date(now + 40 * DAY));
    assert.equal(late.ok ? "ok" : late.reason, "CRL_HAS_EXPIRED");
  });

  test("bad DicomTlsRevocationCheck / grace values are named", async () => {
    const mode = await configError(settings({ revocationLists: [rootCrl], revocationCheck: "all" as never }));
    assert.equal(mode.key, "DicomTlsRevocationCheck");
    const grace = await configError(settings({ revocationLists: [rootCrl], revocationGraceDays: -1 }));
    assert.equal(grace.key, "DicomTlsRevocationListGraceDays");
  });
});

describe("leaf and chain checks", () => {
  let both: RevocationPolicy;
  let subOnly: RevocationPolicy;

  before(async () => {
    both = (await loadTlsContext(settings({ revocationLists: [rootCrl, subCrl] }))).revocation!;
    subOnly = (await loadTlsContext(settings({ revocationLists: [subCrl] }))).revocation!;
  });

  test("the revoked certificate is named with its serial, the list, the date and the reason", () => {
    const v = checkChainRevocation(both, chainOf(revoked.certFile));
    assert.equal(v.ok, false);
    if (v.ok) return;
    const leaf = chainOf(revoked.leafFile)[0]!;
    assert.equal(v.reason, "CERT_REVOKED");
    assert.equal(v.certificate.serialNumber, leaf.serialNumber);
    assert.match(v.certificate.subject, /CN=ct-stolen/);
    assert.equal(v.list?.file, rootCrl);
    assert.equal(v.revocationReason, "keyCompromise");
    assert.ok(v.revocationDate !== undefined && !Number.isNaN(Date.parse(v.revocationDate)));
    assert.match(v.detail, new RegExp(`serial ${leaf.serialNumber}\\) was revoked on .*reason keyCompromise, by the list ${rootCrl}`));
  });

  test("a certificate not in the list passes in both modes", () => {
    for (const mode of [RevocationCheckModes.Leaf, RevocationCheckModes.Chain]) {
      assert.deepEqual(checkChainRevocation({ ...both, mode }, chainOf(good.certFile)), { ok: true, checked: 1 });
    }
  });

  test("leaf checks only the peer's certificate; chain also the sub-CA, whose issuer's list is then required", () => {
    const chain = chainOf(subLeaf.certFile);
    assert.equal(chain.length, 3, "leaf, sub CA, root");
    assert.deepEqual(checkChainRevocation({ ...subOnly, mode: "leaf" }, chain), { ok: true, checked: 1 });
    const missing = checkChainRevocation({ ...subOnly, mode: "chain" }, chain);
    assert.equal(missing.ok ? "ok" : missing.reason, "UNABLE_TO_GET_CRL");
    assert.match(missing.ok ? "" : missing.detail, /CN=Modality Sub CA .*no revocation list from its issuer .*Hospital Root CA/);
    assert.deepEqual(checkChainRevocation({ ...both, mode: "chain" }, chain), { ok: true, checked: 2 });
    // The leaf's issuer has no list at all: leaf mode cannot vouch for it either (DCMTK +crv fails alike).
    const rootOnly = { ...both, lists: both.lists.filter((l) => l.file === rootCrl) };
    assert.equal(checkChainRevocation({ ...rootOnly, mode: "leaf" }, chain).ok, false);
  });

  test("a revoked sub-CA shuts out its leaves under chain, not under leaf", async () => {
    const dir = join(tmp.path, "root2");
    const root2 = await createOpensslCa(dir, "Second Root");
    const sub2 = await root2.subCa("Second Sub");
    const leaf2 = await sub2.issue("mr-1");
    await root2.revoke(sub2.cert, "cACompromise");
    const anchors = join(tmp.path, "trusted2.crt");
    writeFileSync(anchors, readFileSync(trusted, "utf8") + readFileSync(root2.cert, "utf8") + readFileSync(sub2.cert, "utf8"));
    const lists = [await root2.gencrl(join(tmp.path, "root2.crl")), await sub2.gencrl(join(tmp.path, "sub2.crl"))];
    const p = (await loadTlsContext(settings({ trustedCertificatesFile: anchors, revocationLists: lists }))).revocation!;
    const chain = chainOf(leaf2.certFile);
    assert.equal(checkChainRevocation({ ...p, mode: "leaf" }, chain).ok, true);
    const v = checkChainRevocation({ ...p, mode: "chain" }, chain);
    assert.equal(v.ok ? "ok" : v.reason, "CERT_REVOKED");
    assert.match(v.ok ? "" : v.detail, /CN=Second Sub .*reason cACompromise/);
  });
});

describe("on the wire", () => {
  let scp: TlsContext;
  let revokedClient: TlsContext;

  before(async () => {
    scp = await loadTlsContext(settings({ revocationLists: [rootCrl], revocationCheck: "leaf" }));
    revokedClient = await loadTlsContext(settings({ certificateFile: revoked.certFile, privateKeyFile: revoked.keyFile }));
  });

  test("SCP: evaluatePeer refuses a revoked client with CERT_REVOKED and the finding; a good client passes", async () => {
    const bad = await serve(scp, async (port) => {
      await new Promise<void>((resolve) => {
        const s = connect({ host: "127.0.0.1", port, ca: readFileSync(root.cert, "utf8"), cert: readFileSync(revoked.certFile), key: readFileSync(revoked.keyFile), servername: "localhost" }, () => s.end());
        s.on("close", () => resolve());
        s.on("error", () => resolve());
      });
    });
    assert.equal(bad.evaluation?.ok, false);
    if (bad.evaluation?.ok !== false) return;
    assert.equal(bad.evaluation.reason, "CERT_REVOKED");
    assert.equal(bad.evaluation.revocation?.list?.file, rootCrl);
    const ok = await serve(scp, async (port) => {
      await new Promise<void>((resolve) => {
        const s = connect({ host: "127.0.0.1", port, ca: readFileSync(root.cert, "utf8"), cert: readFileSync(good.certFile), key: readFileSync(good.keyFile), servername: "localhost" }, () => s.end());
        s.on("close", () => resolve());
        s.on("error", () => resolve());
      });
    });
    assert.equal(ok.evaluation?.ok, true, JSON.stringify(ok.evaluation));
  });

  test("SCU: the server check refuses a server presenting a revoked certificate (code CERT_REVOKED)", async () => {
    const scu = await loadTlsContext(settings({ revocationLists: [rootCrl] }));
    for (const [server, expected] of [
      [revokedClient, "CERT_REVOKED"],
      [scp, undefined],
    ] as const) {
      const outcome = await serve(server, async (port) => {
        const err = await new Promise<(Error & { code?: string }) | undefined>((resolve) => {
          const s = connect(buildClientOptions(scu, { host: "127.0.0.1", port, checkServerName: false }), () => {
            s.end();
            resolve(undefined);
          });
          s.on("error", (e: Error & { code?: string }) => resolve(e));
        });
        assert.equal(err?.code, expected, err?.message);
        if (expected !== undefined) assert.match(err!.message, /CN=ct-stolen .*was revoked on/);
      });
      assert.ok(outcome.evaluation !== undefined || outcome.serverError !== undefined);
    }
    assert.ok(buildServerOptions(scp).requestCert);
  });
});

describe("hot reload", () => {
  test("a list added to a watched folder is picked up by the manager; a broken one keeps the previous lists", async () => {
    const dir = join(tmp.path, "watched.d");
    mkdirSync(dir);
    copyFileSync(subCrl, join(dir, "sub.der"));
    let onReload: ((c: TlsContext) => void) | undefined;
    let onError: ((e: DicomTlsConfigError) => void) | undefined;
    const manager = await TlsContextManager.create(settings({ revocationLists: [dir] }), {
      watch: true,
      debounceMs: 50,
      onReload: (c) => onReload?.(c),
      onReloadError: (e) => onError?.(e),
    });
    // The watchers and the debounce timer do not hold the process open (a server does): this test has to.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      assert.equal(checkChainRevocation(manager.current.revocation!, chainOf(revoked.certFile)).ok, false, "no list from the root yet: UNABLE_TO_GET_CRL");
      const reloaded = new Promise<TlsContext>((resolve) => (onReload = resolve));
      copyFileSync(rootCrl, join(dir, "root.crl"));
      const ctx = await reloaded;
      assert.equal(ctx.revocation?.lists.length, 2);
      const v = checkChainRevocation(ctx.revocation, chainOf(revoked.certFile));
      assert.equal(v.ok ? "ok" : v.reason, "CERT_REVOKED");
      const failed = new Promise<DicomTlsConfigError>((resolve) => (onError = resolve));
      writeFileSync(join(dir, "zz-broken.crl"), "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
      const err = await failed;
      assert.equal(err.file, join(dir, "zz-broken.crl"));
      assert.equal(manager.current, ctx, "the previous lists stay in force");
    } finally {
      clearInterval(keepAlive);
      manager.close();
    }
  });
});
