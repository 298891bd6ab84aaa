/**
 * The Orthanc book's "Using dcm4che" flow against dicomtls-server (built bin), with the book's configuration keys
 * and `.p12` files. dcm4che itself is not installable here: a JSSE client set up as dcm4che 5's Connection
 * (tooling/test-peers/java/DcmTlsProxy.java) relays DCMTK storescu's association over TLS, as stunnel would.
 * Its trust store comes from `dicomtls cert trust-store` (no private key), its key store from `openssl pkcs12
 * -export` with the empty export password of the book.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  compileDcmTlsProxy,
  datasetSha256,
  dcmtkEnv,
  freePort,
  readPart10Dataset,
  requireTool,
  runCli,
  runProcess,
  SyntheticPreset,
  startDcm4cheProxy,
  startServer,
  stopAll,
  tempDir,
  writePart10File,
  type RunResult,
  type StartedServer,
} from "@dicomtls/test-peers";
import { seedCertificate, writeConfig } from "./helpers.js";
import { storedFiles } from "./store-support.js";

for (const tool of ["storescu", "openssl", "java", "javac", "keytool"]) requireTool(tool);
const tmp = tempDir("dicomtls-dcm4che-");
after(async () => {
  await stopAll();
  tmp.remove();
});

interface Book {
  orthancCrt: string;
  orthancKey: string;
  dcmtkCrt: string;
  dcmtkKey: string;
  /** The book's `openssl pkcs12 -export -out dcm4che.p12 -in dcmtk.crt -inkey dcmtk.key`, empty export password. */
  dcm4cheP12: string;
  /** `dicomtls cert trust-store orthanc.crt --out orthanc-trust.p12`: Orthanc's certificate alone. */
  trustP12: string;
  classPath: string;
}
let book: Book;
let seq = 0;

before(async () => {
  const o = await seedCertificate(tmp.path, "orthanc");
  const d = await seedCertificate(tmp.path, "dcmtk");
  const dcm4cheP12 = join(tmp.path, "dcm4che.p12");
  const exp = await runProcess("openssl", ["pkcs12", "-export", "-out", dcm4cheP12, "-in", d.cert, "-inkey", d.key, "-passout", "pass:"], { timeoutMs: 30_000 });
  assert.equal(exp.code, 0, exp.output);
  const trustP12 = join(tmp.path, "orthanc-trust.p12");
  const ts = await runCli(["cert", "trust-store", o.cert, "--out", trustP12], { built: true, timeoutMs: 60_000 });
  assert.equal(ts.code, 0, ts.output);
  const classPath = await compileDcmTlsProxy(join(tmp.path, "classes"));
  book = { orthancCrt: o.cert, orthancKey: o.key, dcmtkCrt: d.cert, dcmtkKey: d.key, dcm4cheP12, trustP12, classPath };
});

/** The book's minimal Orthanc configuration, plus an optional profile. */
async function startBookServer(name: string, extra: Record<string, unknown> = {}): Promise<{ server: StartedServer; storage: string }> {
  const storage = join(tmp.path, `${name}-storage`);
  const config = writeConfig(tmp.path, `${name}.json`, {
    DicomAet: "ORTHANC",
    DicomPort: await freePort(),
    DicomTlsEnabled: true,
    DicomTlsCertificate: book.orthancCrt,
    DicomTlsPrivateKey: book.orthancKey,
    DicomTlsTrustedCertificates: book.dcmtkCrt,
    StorageDirectory: storage,
    ...extra,
  });
  return { server: await startServer(config, { built: true }), storage };
}

/** storescu -> the Java client (dcm4che's TLS options) -> the server; the sample file and storescu's result. */
async function storeThroughDcm4che(
  server: StartedServer,
  tlsOptions: readonly string[],
  trustStore = book.trustP12,
): Promise<{ r: RunResult; proxyOutput: string; sopInstanceUid: string; path: string }> {
  const sample = await writePart10File(join(tmp.path, `sample-${++seq}.dcm`), { ...SyntheticPreset.Ct512k, seed: 4000 + seq, sequences: false });
  const proxy = await startDcm4cheProxy({
    classPath: book.classPath,
    connect: { host: "127.0.0.1", port: server.port },
    keyStore: book.dcm4cheP12,
    keyStorePass: "",
    trustStore,
    trustStorePass: "",
    tlsOptions,
  });
  const r = await runProcess("storescu", ["-v", "-aet", "DCM4CHE", "-aec", "ORTHANC", "127.0.0.1", String(proxy.port), sample.path], { env: dcmtkEnv(), timeoutMs: 60_000 });
  await proxy.process.waitFor(/HANDSHAKE(-FAILED)? /, 30_000);
  await proxy.process.stop();
  return { r, proxyOutput: proxy.process.output(), sopInstanceUid: sample.spec.sopInstanceUid, path: sample.path };
}

async function assertStored(storage: string, sent: { sopInstanceUid: string; path: string }): Promise<void> {
  for (const file of storedFiles(storage)) {
    if ((await readPart10Dataset(file)).mediaStorageSopInstanceUid !== sent.sopInstanceUid) continue;
    assert.equal(await datasetSha256(file), await datasetSha256(sent.path), `${file}: dataset differs from what was sent`);
    return;
  }
  assert.fail(`${sent.sopInstanceUid} is not in ${storage}`);
}

describe('"DicomTlsProfile" : "bcp195": dcm4che\'s default suite is accepted', () => {
  let node: { server: StartedServer; storage: string };
  before(async () => (node = await startBookServer("bcp195", { DicomTlsProfile: "bcp195" })));
  after(() => node.server.stop());

  test("storescu --tls (TLSv1.2, TLS_RSA_WITH_AES_128_CBC_SHA) stores the instance", async () => {
    const sent = await storeThroughDcm4che(node.server, ["--tls"]);
    assert.match(sent.proxyOutput, /HANDSHAKE TLSv1\.2 TLS_RSA_WITH_AES_128_CBC_SHA/, sent.proxyOutput);
    assert.match(sent.r.output, /Received Store Response \(Success\)/, sent.r.output);
    assert.equal(sent.r.code, 0, sent.r.output);
    await assertStored(node.storage, sent);
  });
});

describe("the default profile (PS3.15 B.12)", () => {
  let node: { server: StartedServer; storage: string };
  before(async () => (node = await startBookServer("default")));
  after(() => node.server.stop());

  test("storescu --tls is refused; the record names what it offered and the profile that would accept it", async () => {
    const sent = await storeThroughDcm4che(node.server, ["--tls"]);
    assert.match(sent.proxyOutput, /HANDSHAKE-FAILED /, sent.proxyOutput);
    assert.doesNotMatch(sent.r.output, /Received Store Response/, sent.r.output);
    assert.notEqual(sent.r.code, 0);
    const rec = await node.server.waitForRecord((x) => x["event"] === "connection-refused" && x["reason"] === "NO_SHARED_CIPHER");
    const offered = rec["offered"] as { legacyVersion: string; supportedVersions: string[]; cipherSuites: string[] };
    assert.equal(offered.legacyVersion, "TLSv1.2");
    assert.deepEqual(offered.supportedVersions, ["TLSv1.2"]);
    assert.deepEqual(offered.cipherSuites, ["TLS_RSA_WITH_AES_128_CBC_SHA"]);
    assert.deepEqual(rec["acceptedBy"], ["bcp195"]);
    assert.match(String(rec["msg"]), /offered TLSv1\.2 with TLS_RSA_WITH_AES_128_CBC_SHA; the "bcp195" profile would accept it/);
    assert.equal(rec["level"], "warn");
  });

  test("storescu --tls13 --tls-cipher TLS_AES_128_GCM_SHA256 stores the instance", async () => {
    const sent = await storeThroughDcm4che(node.server, ["--tls13", "--tls-cipher", "TLS_AES_128_GCM_SHA256"]);
    assert.match(sent.proxyOutput, /HANDSHAKE TLSv1\.3 TLS_AES_128_GCM_SHA256/, sent.proxyOutput);
    assert.equal(sent.r.code, 0, sent.r.output);
    await assertStored(node.storage, sent);
  });

  test("storescu --tls-cipher TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.2, forward secret, AEAD) stores the instance", async () => {
    const sent = await storeThroughDcm4che(node.server, ["--tls-cipher", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
    assert.match(sent.proxyOutput, /HANDSHAKE TLSv1\.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/, sent.proxyOutput);
    assert.equal(sent.r.code, 0, sent.r.output);
    await assertStored(node.storage, sent);
  });

  test("a TLS 1.1-only client: UNSUPPORTED_PROTOCOL, and the record names TLSv1.1 and the one profile that speaks it", async () => {
    const r = await runProcess(
      "openssl",
      ["s_client", "-connect", `127.0.0.1:${node.server.port}`, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-cert", book.dcmtkCrt, "-key", book.dcmtkKey],
      { timeoutMs: 30_000 },
    );
    assert.notEqual(r.code, 0, r.output);
    const rec = await node.server.waitForRecord((x) => x["event"] === "connection-refused" && x["reason"] === "UNSUPPORTED_PROTOCOL");
    const offered = rec["offered"] as { legacyVersion: string; supportedVersions: string[]; cipherSuites: string[] };
    assert.equal(offered.legacyVersion, "TLSv1.1");
    assert.deepEqual(offered.supportedVersions, []);
    assert.ok(offered.cipherSuites.includes("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), offered.cipherSuites.join());
    assert.deepEqual(rec["acceptedBy"], ["bcp195"]);
    assert.match(String(rec["msg"]), /offered TLSv1\.1 with .*; the "bcp195" profile would accept it/);
  });

  test("the trust store is what Java checks: one without Orthanc's certificate refuses the server", async () => {
    const other = join(tmp.path, "dcmtk-only-trust.p12");
    const ts = await runCli(["cert", "trust-store", book.dcmtkCrt, "--out", other], { built: true, timeoutMs: 60_000 });
    assert.equal(ts.code, 0, ts.output);
    const sent = await storeThroughDcm4che(node.server, ["--tls13", "--tls-cipher", "TLS_AES_128_GCM_SHA256"], other);
    assert.match(sent.proxyOutput, /HANDSHAKE-FAILED .*(PKIX|certification path|trust)/i, sent.proxyOutput);
    assert.notEqual(sent.r.code, 0);
  });
});
