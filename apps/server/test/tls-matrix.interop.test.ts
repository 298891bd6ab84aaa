/**
 * The security matrix of issue 4 (dicom-tls-facts.md §8, 26 cases) against the running node: dicomtls-server
 * started from its configuration, real peers on 127.0.0.1 (DCMTK echoscu for certificates, openssl s_client for
 * protocol and cipher downgrades, our SCU against DCMTK storescp +tls for the SCU-side cases 12 and 13).
 *
 * The matrix is the data table `MATRIX` below; one test per row is generated from it, grouped by the node
 * configuration the row needs (one server per group). Each refusal is checked twice: the peer got nothing
 * through, and the node wrote exactly one refusal record with the reason code the matrix names.
 * The operability checks of the issue that need the same servers (PKCS#12, encrypted key, certificate-bound AE
 * titles, stalled clients, ALPN, DicomPlainPort, own-certificate expiry) follow each group's matrix rows.
 */
import { strict as assert } from "node:assert";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestPki, concatPem, writeCert, writePem, type TestPki, type WrittenCert } from "@dicomtls/test-pki";
import {
  dcmtkEnv,
  freePort,
  requireTool,
  runCli,
  runProcess,
  startProcess,
  startServer,
  stopAll,
  tempDir,
  type RunResult,
  type StartedServer,
  waitListening,
  writePart10File,
} from "@dicomtls/test-peers";

for (const tool of ["echoscu", "storescp", "openssl"]) requireTool(tool);

const tmp = tempDir("dicomtls-matrix-");
const DAY_MS = 86_400_000;
/** Short, so the stalled-client cases end quickly; long enough for an echo to complete meanwhile. */
const HANDSHAKE_TIMEOUT_S = 4;
/** Every record the node writes when it turns a peer away (listener, TLS policy, access control). */
const REFUSAL_EVENTS = new Set(["connection-refused", "tls-peer-refused", "association-refused"]);
const KEY_PASSWORD_ENV = "DICOMTLS_MATRIX_KEY_PASSWORD";
const KEY_PASSWORD = "matrix-key-s3cret";
/** Bound on one CLI run (started from sources through tsx). */
const CLI_TIMEOUT_MS = 120_000;

after(async () => {
  await stopAll();
  tmp.remove();
});

// ---------------------------------------------------------------------------------------------------------------
// Certificates: one test PKI (root, intermediate), the node's certificates, and one client certificate per case.

interface Files {
  pki: TestPki;
  ca: string;
  /** Root CA + the pinned self-signed client certificate (case 1b). */
  trusted: string;
  nodeRsa: WrittenCert;
  nodeEc: WrittenCert;
  /** Encrypted PKCS#8 copy of nodeRsa's key (case 26). */
  nodeRsaEncryptedKey: string;
  /** nodeRsa's chain and key in a password-protected PKCS#12 file. */
  nodeP12: string;
  /** Expires in 20 days: the expiry warning at start-up. */
  nodeExpiringSoon: WrittenCert;
  clients: Record<ClientName, WrittenCert>;
  modalityA: WrittenCert;
  modalityB: WrittenCert;
  /** storescp certificates for the SCU-side cases. */
  scpGood: WrittenCert;
  scpWrongSan: WrittenCert;
  scpOtherCa: WrittenCert;
  /** A small CT instance for the storescu rows. */
  ct: string;
}

type ClientName =
  | "ec"
  | "rsa"
  | "chained"
  | "pinned"
  | "otherCa"
  | "expired"
  | "notYetValid"
  | "serverAuthOnly"
  | "keyCertSignOnly"
  | "selfSigned"
  | "rsa1024"
  | "sha1";

async function openssl(args: readonly string[]): Promise<RunResult> {
  const r = await runProcess("openssl", args, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `openssl ${args.join(" ")}\n${r.output}`);
  return r;
}

async function makeFiles(dir: string): Promise<Files> {
  const pki = await createTestPki({ name: "matrix " });
  const v = pki.variants;
  const [rsaNode, expiring, pinned, rsaClient, chained, otherCa, expired, notYetValid, serverAuthOnly, keyCertSignOnly, selfSigned, rsa1024, sha1] = await Promise.all([
    pki.issue({ commonName: "localhost", key: "rsa-2048" }),
    pki.issue({ commonName: "expiring-node", notAfter: new Date(pki.now.getTime() + 20 * DAY_MS) }),
    pki.issue({ commonName: "pinned", issuer: "self" }),
    v.rsa2048(),
    v.chained(),
    v.otherCa(),
    v.expired(),
    v.notYetValid(),
    v.serverAuthOnly(),
    v.keyCertSignOnly(),
    v.selfSigned(),
    v.rsa1024(),
    v.sha1Signed(),
  ]);
  const [modA, modB, scpWrongSan, scpOtherCa] = await Promise.all([
    pki.issue({ commonName: "modality-a", issuer: "self" }),
    pki.issue({ commonName: "modality-b" }),
    v.wrongSan(),
    pki.issue({ commonName: "localhost", issuer: "other-root" }),
  ]);
  const nodeRsa = writeCert(dir, "node-rsa", rsaNode);
  const ct = join(dir, "ct.dcm");
  await writePart10File(ct, { rows: 64, columns: 64 });
  const files: Files = {
    ct,
    pki,
    ca: writePem(dir, "ca.crt", pki.trustedBundle),
    trusted: writePem(dir, "trusted.crt", concatPem(pki.trustedBundle, pinned.cert)),
    nodeRsa,
    nodeEc: writeCert(dir, "node-ec", pki.server),
    nodeRsaEncryptedKey: join(dir, "node-rsa-encrypted.key"),
    nodeP12: join(dir, "node.p12"),
    nodeExpiringSoon: writeCert(dir, "node-expiring", expiring),
    clients: {
      ec: writeCert(dir, "client-ec", pki.client),
      rsa: writeCert(dir, "client-rsa", rsaClient),
      chained: writeCert(dir, "client-chained", chained),
      pinned: writeCert(dir, "client-pinned", pinned),
      otherCa: writeCert(dir, "client-other-ca", otherCa),
      expired: writeCert(dir, "client-expired", expired),
      notYetValid: writeCert(dir, "client-not-yet-valid", notYetValid),
      serverAuthOnly: writeCert(dir, "client-server-auth-only", serverAuthOnly),
      keyCertSignOnly: writeCert(dir, "client-key-cert-sign-only", keyCertSignOnly),
      selfSigned: writeCert(dir, "client-self-signed", selfSigned),
      rsa1024: writeCert(dir, "client-rsa1024", rsa1024),
      sha1: writeCert(dir, "client-sha1", sha1),
    },
    modalityA: writeCert(dir, "modality-a", modA),
    modalityB: writeCert(dir, "modality-b", modB),
    scpGood: writeCert(dir, "scp-good", pki.server),
    scpWrongSan: writeCert(dir, "scp-wrong-san", scpWrongSan),
    scpOtherCa: writeCert(dir, "scp-other-ca", scpOtherCa),
  };
  // What administrators have: an encrypted PKCS#8 key (openssl pkcs8 -topk8 -v2 aes-256-cbc) and a .p12 export.
  await openssl(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", nodeRsa.keyFile, "-out", files.nodeRsaEncryptedKey, "-passout", `pass:${KEY_PASSWORD}`]);
  await openssl(["pkcs12", "-export", "-in", nodeRsa.chainFile, "-inkey", nodeRsa.keyFile, "-out", files.nodeP12, "-passout", `pass:${KEY_PASSWORD}`]);
  return files;
}

// ---------------------------------------------------------------------------------------------------------------
// Node configurations: each group of rows runs against one of these.

const ServerIds = {
  /** Defaults (B.12, certificate required), RSA node certificate, root + pinned bundle, DicomPlainPort, short handshake timeout. */
  Default: "default",
  /** DicomTlsRemoteCertificateRequired false, profile B.13, encrypted key with its password from ${ENV}. */
  NoCertB13: "no-cert-required+b13+encrypted-key",
  /** DicomTlsProfile bcp195 (Orthanc's B.9), node certificate from a PKCS#12 file. */
  Legacy: "bcp195+pkcs12",
  /** DicomTlsMinimumProtocolVersion 3 (Orthanc 1.12.4: TLS 1.1+). */
  MinVersion3: "minimum-version-3",
  /** DicomTlsCheckModalityCertificate with modalities A (self-signed, pinned by TlsCertificate) and B (CA-issued). */
  Binding: "check-modality-certificate",
} as const;
type ServerId = (typeof ServerIds)[keyof typeof ServerIds];

interface NodeUnderTest {
  readonly server: StartedServer;
  readonly port: number;
  readonly plainPort: number | undefined;
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(tmp.path, `${name}.json`);
  // HTTP off: the default HttpPort 8042 would be shared by every server of every test.
  writeFileSync(path, `${JSON.stringify({ HttpServerEnabled: false, ...config }, null, 2)}\n`);
  return path;
}

async function startNode(id: ServerId, f: Files): Promise<NodeUnderTest> {
  const port = await freePort();
  const base = {
    DicomAet: "DICOMTLS",
    DicomPort: port,
    DicomTlsEnabled: true,
    DicomTlsTrustedCertificates: f.trusted,
    DicomTlsHandshakeTimeout: HANDSHAKE_TIMEOUT_S,
    StorageDirectory: join(tmp.path, `storage-${id}`),
  };
  const rsa = { DicomTlsCertificate: f.nodeRsa.chainFile, DicomTlsPrivateKey: f.nodeRsa.keyFile };
  let config: Record<string, unknown>;
  let plainPort: number | undefined;
  let env: NodeJS.ProcessEnv = {};
  switch (id) {
    case ServerIds.Default:
      plainPort = await freePort();
      config = { ...base, ...rsa, DicomPlainPort: plainPort };
      break;
    case ServerIds.NoCertB13:
      config = {
        ...base,
        DicomTlsCertificate: f.nodeRsa.chainFile,
        DicomTlsPrivateKey: f.nodeRsaEncryptedKey,
        DicomTlsPrivateKeyPassword: `\${${KEY_PASSWORD_ENV}}`,
        DicomTlsRemoteCertificateRequired: false,
        DicomTlsProfile: "bcp195-rfc8996-modified",
      };
      env = { [KEY_PASSWORD_ENV]: KEY_PASSWORD };
      break;
    case ServerIds.Legacy:
      config = {
        ...base,
        // The key is inside the .p12: no DicomTlsPrivateKey.
        DicomTlsCertificate: f.nodeP12,
        DicomTlsPrivateKeyPassword: `\${${KEY_PASSWORD_ENV}}`,
        DicomTlsProfile: "bcp195",
      };
      env = { [KEY_PASSWORD_ENV]: KEY_PASSWORD };
      break;
    case ServerIds.MinVersion3:
      config = { ...base, ...rsa, DicomTlsMinimumProtocolVersion: 3 };
      break;
    case ServerIds.Binding:
      config = {
        ...base,
        DicomTlsCertificate: f.nodeExpiringSoon.chainFile,
        DicomTlsPrivateKey: f.nodeExpiringSoon.keyFile,
        DicomTlsTrustedCertificates: f.ca,
        DicomTlsCheckModalityCertificate: true,
        DicomModalities: {
          A: { AET: "MODA", Host: "127.0.0.1", Port: 104, TlsCertificate: f.modalityA.certFile },
          B: { AET: "MODB", Host: "127.0.0.1", Port: 104, TlsCertificate: f.modalityB.certFile },
        },
      };
      break;
  }
  const server = await startServer(writeConfig(id, config), { env });
  return { server, port, plainPort };
}

// ---------------------------------------------------------------------------------------------------------------
// Peers: each attempt reports whether the peer got through, and what it printed.

interface Attempt {
  readonly accepted: boolean;
  readonly output: string;
  /** TLS version and suite the peer negotiated (s_client). */
  readonly protocol?: string | undefined;
  readonly cipher?: string | undefined;
  readonly alpn?: string | undefined;
  /** The calling AE title the peer used (echoscu rows): an accepted association must carry it. */
  readonly aet?: string | undefined;
}

interface Ctx {
  readonly f: Files;
  /** The node the row runs against; undefined for the storescp rows. */
  readonly node: NodeUnderTest | undefined;
}

/** A row's context with its node started. */
interface NodeCtx extends Ctx {
  readonly node: NodeUnderTest;
}

function nodeOf(c: Ctx): NodeUnderTest {
  assert.ok(c.node !== undefined, "this row needs a node");
  return c.node;
}

async function echoscu(args: readonly string[]): Promise<Attempt> {
  const r = await runProcess("echoscu", ["-v", ...args], { env: dcmtkEnv(), timeoutMs: 30_000 });
  const accepted = /Received Echo Response \(Success\)/.test(r.output) && r.code === 0;
  if (!accepted) assert.notEqual(r.code, 0, `echoscu printed no echo response but exited 0:\n${r.output}`);
  const i = args.indexOf("-aet");
  return { accepted, output: r.output, aet: i >= 0 ? args[i + 1] : "ECHOSCU" };
}

/** echoscu +tls with a client certificate (its chain file, as DCMTK sends it), trusting the test root. */
function tlsEcho(client: ClientName, aet: string): (c: Ctx) => Promise<Attempt> {
  return (c) => {
    const cert = c.f.clients[client];
    return echoscu(["-aet", aet, "127.0.0.1", String(nodeOf(c).port), "+tls", cert.keyFile, cert.chainFile, "+cf", c.f.ca]);
  };
}

/** storescu +tls with a client certificate (its chain file), sending one small CT: a C-STORE, not only a C-ECHO. */
function tlsStore(client: ClientName, aet: string): (c: Ctx) => Promise<Attempt> {
  return async (c) => {
    const cert = c.f.clients[client];
    const r = await runProcess("storescu", ["-v", "-aet", aet, "127.0.0.1", String(nodeOf(c).port), "+tls", cert.keyFile, cert.chainFile, "+cf", c.f.ca, c.f.ct], {
      env: dcmtkEnv(),
      timeoutMs: 30_000,
    });
    const accepted = /Received Store Response \(Success\)/.test(r.output) && r.code === 0;
    if (!accepted) assert.notEqual(r.code, 0, `storescu printed no success but exited 0:\n${r.output}`);
    return { accepted, output: r.output, aet };
  };
}

/** openssl s_client with the EC client certificate; extra args choose versions, suites and ALPN. */
function sClient(args: readonly string[]): (c: Ctx) => Promise<Attempt> {
  return async (c) => {
    const cert = c.f.clients.ec;
    const r = await runProcess("openssl", ["s_client", "-connect", `127.0.0.1:${nodeOf(c).port}`, "-CAfile", c.f.ca, "-cert", cert.certFile, "-key", cert.keyFile, ...args], {
      input: "",
      timeoutMs: 15_000,
    });
    // "New, V, Cipher is C" names the suite's own version (TLSv1.0 for AES128-SHA on TLS 1.1), so the protocol comes
    // from the SSL-Session block when there is one (TLS <= 1.2); for TLS 1.3 suites V is the protocol.
    const neu = /^New, (\S+), Cipher is (\S+)/m.exec(r.output);
    const accepted = neu !== null && neu[1] !== "(NONE)";
    const protocol = /^\s*Protocol\s*: (\S+)/m.exec(r.output)?.[1] ?? neu?.[1];
    const cipher = neu?.[2];
    return { accepted, output: r.output, protocol: accepted ? protocol : undefined, cipher: accepted ? cipher : undefined, alpn: /ALPN protocol: (\S+)/.exec(r.output)?.[1] };
  };
}

/** Our SCU: `dicomtls echo --config scu.json MODALITY` (the node's certificate, the modality's TLS settings). */
function ourScu(modality: string): (c: Ctx) => Promise<Attempt> {
  return async () => {
    // Generous: the CLI starts from its TypeScript sources, which takes long on a loaded machine.
    const r = await runCli(["echo", "--config", scuConfigPath, modality], { timeoutMs: CLI_TIMEOUT_MS });
    const accepted = r.code === 0 && /: Success \(1\/1\) over DICOM TLS/.test(r.stdout);
    if (!accepted) assert.equal(r.code, 1, `a refused echo exits 1:\n${r.output}`);
    return { accepted, output: r.output };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// THE MATRIX (dicom-tls-facts.md §8). `server` picks the node configuration; "storescp" rows run our SCU against
// DCMTK storescp +tls and their `reason` is matched against what the CLI prints (there is no node log on that side).

type Expected = "accepted" | "refused";

interface MatrixRow {
  readonly case: string;
  readonly description: string;
  readonly server: ServerId | "storescp";
  /** The peer and its setup, in words (the attempt below does exactly this). */
  readonly setup: string;
  readonly expected: Expected;
  /** For refusals: the node's log reason code (for storescp rows: what our CLI prints, Node's ERR_TLS_* text). */
  readonly reason?: string;
  readonly attempt: (c: Ctx) => Promise<Attempt>;
  /** Further facts about an accepted attempt (negotiated version/suite, log fields). */
  readonly check?: (a: Attempt, c: Ctx, opened: Record<string, unknown> | undefined) => void;
}

const S = ServerIds;

export const MATRIX: readonly MatrixRow[] = [
  // --- certificates presented by clients (DCMTK echoscu +tls KEY CERT +cf CA) ---
  {
    case: "1",
    description: "valid mutual TLS, CA-signed EC client certificate",
    server: S.Default,
    setup: "echoscu +tls client-ec (EC P-256, issued by the trusted root)",
    expected: "accepted",
    attempt: tlsEcho("ec", "M1EC"),
    check: (_a, _c, opened) => {
      assert.equal(opened?.["tls"], "TLSv1.3");
      assert.equal(opened?.["cipher"], "TLS_AES_256_GCM_SHA384");
      assert.match(String(opened?.["certSubject"]), /CN=matrix\s*client/);
      assert.match(String(opened?.["certFingerprint256"]), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    },
  },
  {
    case: "1",
    description: "valid mutual TLS, CA-signed RSA-2048 client certificate",
    server: S.Default,
    setup: "echoscu +tls client-rsa (RSA 2048, issued by the trusted root)",
    expected: "accepted",
    attempt: tlsEcho("rsa", "M1RSA"),
  },
  {
    case: "1",
    description: "valid mutual TLS, client certificate issued by an intermediate CA (chain presented)",
    server: S.Default,
    setup: "echoscu +tls client-chained.key client-chained-chain.crt (leaf + intermediate; only the root is trusted)",
    expected: "accepted",
    attempt: tlsEcho("chained", "M1CHAIN"),
  },
  {
    case: "1",
    description: "valid mutual TLS, C-STORE with a CA-signed RSA-2048 client certificate",
    server: S.Default,
    setup: "storescu +tls client-rsa ct.dcm (RSA 2048, issued by the trusted root)",
    expected: "accepted",
    attempt: tlsStore("rsa", "M1STORE"),
  },
  {
    case: "1",
    description: "valid mutual TLS, C-STORE with a client certificate issued by an intermediate CA (chain presented)",
    server: S.Default,
    setup: "storescu +tls client-chained.key client-chained-chain.crt ct.dcm",
    expected: "accepted",
    attempt: tlsStore("chained", "M1CHAINSTORE"),
  },
  {
    case: "1b",
    description: "self-signed client certificate pinned in the trusted bundle",
    server: S.Default,
    setup: "echoscu +tls client-pinned (self-signed; trusted.crt = root + this certificate, the seed's cat model)",
    expected: "accepted",
    attempt: tlsEcho("pinned", "M1B"),
  },
  {
    case: "2",
    description: "no client certificate, DicomTlsRemoteCertificateRequired true (default)",
    server: S.Default,
    setup: "echoscu --anonymous-tls +cf CA",
    expected: "refused",
    reason: "NO_PEER_CERTIFICATE",
    attempt: (c) => echoscu(["-aet", "M2", "127.0.0.1", String(nodeOf(c).port), "--anonymous-tls", "+cf", c.f.ca]),
  },
  {
    case: "3",
    description: "no client certificate, DicomTlsRemoteCertificateRequired false",
    server: S.NoCertB13,
    setup: "echoscu --anonymous-tls +cf CA",
    expected: "accepted",
    attempt: (c) => echoscu(["-aet", "M3", "127.0.0.1", String(nodeOf(c).port), "--anonymous-tls", "+cf", c.f.ca]),
    check: (_a, _c, opened) => assert.equal(opened?.["certSubject"], undefined, "no certificate was presented"),
  },
  {
    case: "4",
    description: "client certificate from an untrusted CA",
    server: S.Default,
    setup: "echoscu +tls client-other-ca (issued by a root not in the bundle)",
    expected: "refused",
    reason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    attempt: tlsEcho("otherCa", "M4"),
  },
  {
    case: "4",
    description: "client certificate from an untrusted CA, DicomTlsRemoteCertificateRequired false: presented, so still verified",
    server: S.NoCertB13,
    setup: "echoscu +tls client-other-ca against the node that does not require certificates",
    expected: "refused",
    reason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    attempt: tlsEcho("otherCa", "M4NOREQ"),
  },
  {
    case: "5",
    description: "expired client certificate",
    server: S.Default,
    setup: "echoscu +tls client-expired (notAfter yesterday, trusted root)",
    expected: "refused",
    reason: "CERT_HAS_EXPIRED",
    attempt: tlsEcho("expired", "M5"),
  },
  {
    case: "5",
    description: "expired client certificate, C-STORE",
    server: S.Default,
    setup: "storescu +tls client-expired ct.dcm",
    expected: "refused",
    reason: "CERT_HAS_EXPIRED",
    attempt: tlsStore("expired", "M5STORE"),
  },
  {
    case: "6",
    description: "not-yet-valid client certificate",
    server: S.Default,
    setup: "echoscu +tls client-not-yet-valid (notBefore tomorrow)",
    expected: "refused",
    reason: "CERT_NOT_YET_VALID",
    attempt: tlsEcho("notYetValid", "M6"),
  },
  {
    case: "7",
    description: "client certificate with EKU serverAuth only",
    server: S.Default,
    setup: "echoscu +tls client-server-auth-only",
    expected: "refused",
    reason: "INVALID_PURPOSE",
    attempt: tlsEcho("serverAuthOnly", "M7"),
  },
  {
    case: "8",
    description: "client certificate with KeyUsage keyCertSign only",
    server: S.Default,
    setup: "echoscu +tls client-key-cert-sign-only",
    expected: "refused",
    reason: "INVALID_PURPOSE",
    attempt: tlsEcho("keyCertSignOnly", "M8"),
  },
  {
    case: "9",
    description: "self-signed client certificate not in the bundle",
    server: S.Default,
    setup: "echoscu +tls client-self-signed (not pinned)",
    expected: "refused",
    reason: "DEPTH_ZERO_SELF_SIGNED_CERT",
    attempt: tlsEcho("selfSigned", "M9"),
  },
  {
    case: "10",
    description: "RSA-1024 client certificate under the strict default profile (B.12)",
    server: S.Default,
    setup: "echoscu +tls client-rsa1024 (issued by the trusted root)",
    expected: "refused",
    reason: "WEAK_KEY",
    attempt: tlsEcho("rsa1024", "M10"),
  },
  {
    case: "11",
    description: "SHA-1-signed client certificate",
    server: S.Default,
    setup: "echoscu +tls client-sha1 (sha1WithRSAEncryption by an RSA intermediate; chain presented)",
    expected: "refused",
    reason: "WEAK_SIGNATURE",
    attempt: tlsEcho("sha1", "M11"),
  },
  // --- our SCU against DCMTK storescp +tls (server certificates) ---
  {
    case: "12",
    description: "SCU control: server certificate SAN has the modality's IP 127.0.0.1 (IP-SAN aware)",
    server: "storescp",
    setup: "storescp +tls scp-good (SAN localhost, 127.0.0.1); modality GOOD, Host 127.0.0.1",
    expected: "accepted",
    attempt: ourScu("GOOD"),
  },
  {
    case: "12",
    description: "SCU: server certificate SAN does not match the host: refused by default",
    server: "storescp",
    setup: "storescp +tls scp-wrong-san (SAN wrong.example, 192.0.2.1; CA-issued); modality WRONGSAN, no TlsServerName",
    expected: "refused",
    reason: "Hostname/IP does not match certificate's altnames",
    attempt: ourScu("WRONGSAN"),
  },
  {
    case: "12",
    description: "SCU: same server, TlsServerName false: name check off, chain still verified",
    server: "storescp",
    setup: "modality WRONGSAN_NOCHECK, TlsServerName: false",
    expected: "accepted",
    attempt: ourScu("WRONGSAN_NOCHECK"),
  },
  {
    case: "12",
    description: "SCU: same server, TlsServerName \"wrong.example\": checked against that name",
    server: "storescp",
    setup: "modality WRONGSAN_NAMED, TlsServerName: \"wrong.example\"",
    expected: "accepted",
    attempt: ourScu("WRONGSAN_NAMED"),
  },
  {
    case: "12",
    description: "SCU: same server, TlsServerName \"other.example\": the name the certificate lacks is refused",
    server: "storescp",
    setup: "modality WRONGSAN_OTHER, TlsServerName: \"other.example\"",
    expected: "refused",
    reason: "Hostname/IP does not match certificate's altnames",
    attempt: ourScu("WRONGSAN_OTHER"),
  },
  {
    case: "13",
    description: "SCU: server certificate from an untrusted CA",
    server: "storescp",
    setup: "storescp +tls scp-other-ca; modality UNTRUSTED",
    expected: "refused",
    reason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    attempt: ourScu("UNTRUSTED"),
  },
  {
    case: "13",
    description: "SCU: untrusted server even with TlsServerName false (server authentication is never switched off)",
    server: "storescp",
    setup: "modality UNTRUSTED_NOCHECK, TlsServerName: false",
    expected: "refused",
    reason: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    attempt: ourScu("UNTRUSTED_NOCHECK"),
  },
  // --- protocol and cipher downgrades (openssl s_client, RSA node certificate so static-RSA suites are possible) ---
  {
    case: "14",
    description: "TLS 1.0 ClientHello, default profile",
    server: S.Default,
    setup: "s_client -tls1 -cipher DEFAULT@SECLEVEL=0",
    expected: "refused",
    reason: "UNSUPPORTED_PROTOCOL",
    attempt: sClient(["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]),
  },
  {
    case: "14",
    description: "TLS 1.1 ClientHello, default profile",
    server: S.Default,
    setup: "s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0",
    expected: "refused",
    reason: "UNSUPPORTED_PROTOCOL",
    attempt: sClient(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]),
  },
  {
    case: "14",
    description: "TLS 1.0 with DicomTlsProfile bcp195 (Orthanc parity; start-up warning)",
    server: S.Legacy,
    setup: "s_client -tls1 -cipher AES128-SHA@SECLEVEL=0",
    expected: "accepted",
    attempt: sClient(["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"]),
    check: (a) => assert.deepEqual([a.protocol, a.cipher], ["TLSv1", "AES128-SHA"]),
  },
  {
    case: "14",
    description: "TLS 1.1 with DicomTlsProfile bcp195",
    server: S.Legacy,
    setup: "s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0",
    expected: "accepted",
    attempt: sClient(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]),
    check: (a) => assert.equal(a.protocol, "TLSv1.1"),
  },
  {
    case: "14",
    description: "TLS 1.1 with DicomTlsMinimumProtocolVersion 3 (Orthanc: TLS 1.1+)",
    server: S.MinVersion3,
    setup: "s_client -tls1_1 -cipher DEFAULT@SECLEVEL=0",
    expected: "accepted",
    attempt: sClient(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]),
    check: (a) => assert.equal(a.protocol, "TLSv1.1"),
  },
  {
    case: "14",
    description: "TLS 1.0 with DicomTlsMinimumProtocolVersion 3: below the minimum",
    server: S.MinVersion3,
    setup: "s_client -tls1 -cipher DEFAULT@SECLEVEL=0",
    expected: "refused",
    reason: "UNSUPPORTED_PROTOCOL",
    attempt: sClient(["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]),
  },
  {
    case: "15",
    description: "TLS 1.2 + AES128-SHA (static RSA, CBC, SHA-1)",
    server: S.Default,
    setup: "s_client -tls1_2 -cipher AES128-SHA",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "AES128-SHA"]),
  },
  {
    case: "15",
    description: "TLS 1.2 + AES128-SHA with DicomTlsProfile bcp195 (B.9 lists it)",
    server: S.Legacy,
    setup: "s_client -tls1_2 -cipher AES128-SHA",
    expected: "accepted",
    attempt: sClient(["-tls1_2", "-cipher", "AES128-SHA"]),
    check: (a) => assert.deepEqual([a.protocol, a.cipher], ["TLSv1.2", "AES128-SHA"]),
  },
  {
    case: "16",
    description: "TLS 1.2 + ECDHE-RSA-AES128-SHA256 (CBC)",
    server: S.Default,
    setup: "s_client -tls1_2 -cipher ECDHE-RSA-AES128-SHA256",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"]),
  },
  {
    case: "17",
    description: "TLS 1.2 + AES128-GCM-SHA256 (static RSA)",
    server: S.Default,
    setup: "s_client -tls1_2 -cipher AES128-GCM-SHA256",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "AES128-GCM-SHA256"]),
  },
  {
    case: "18",
    description: "TLS 1.2 + NULL-SHA",
    server: S.Default,
    setup: "s_client -tls1_2 -cipher NULL-SHA@SECLEVEL=0",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "NULL-SHA@SECLEVEL=0"]),
  },
  {
    case: "18",
    description: "TLS 1.2 + NULL-SHA, even with DicomTlsProfile bcp195",
    server: S.Legacy,
    setup: "s_client -tls1_2 -cipher NULL-SHA@SECLEVEL=0",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "NULL-SHA@SECLEVEL=0"]),
  },
  {
    case: "19",
    description: "TLS 1.2 + ECDHE-RSA-CHACHA20-POLY1305 under B.12 (not in its list)",
    server: S.Default,
    setup: "s_client -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305",
    expected: "refused",
    reason: "NO_SHARED_CIPHER",
    attempt: sClient(["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]),
  },
  {
    case: "19",
    description: "TLS 1.2 + ECDHE-RSA-CHACHA20-POLY1305 under B.13 (bcp195-rfc8996-modified permits it)",
    server: S.NoCertB13,
    setup: "s_client -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305",
    expected: "accepted",
    attempt: sClient(["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]),
    check: (a) => assert.deepEqual([a.protocol, a.cipher], ["TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"]),
  },
  {
    case: "20",
    description: "TLS 1.3 is negotiated when the client offers 1.2 and 1.3 (the server prefers 1.3)",
    server: S.Default,
    setup: "s_client (no version flag: offers TLS 1.2 and 1.3)",
    expected: "accepted",
    attempt: sClient([]),
    check: (a) => assert.deepEqual([a.protocol, a.cipher], ["TLSv1.3", "TLS_AES_256_GCM_SHA384"]),
  },
  {
    case: "20",
    description: "TLS 1.2 with an ECDHE AEAD suite still works (B.12 requires 1.2 support); the server's order wins",
    server: S.Default,
    setup: "s_client -tls1_2",
    expected: "accepted",
    attempt: sClient(["-tls1_2"]),
    check: (a) => assert.deepEqual([a.protocol, a.cipher], ["TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"]),
  },
  // --- protocol confusion, stalls, binding, ALPN, own key ---
  {
    case: "21",
    description: "plain DICOM to the TLS port",
    server: S.Default,
    setup: "echoscu (no +tls) to DicomPort",
    expected: "refused",
    reason: "PLAIN_DICOM_ON_TLS_PORT",
    attempt: (c) => echoscu(["-aet", "M21", "127.0.0.1", String(nodeOf(c).port)]),
  },
  {
    case: "22",
    description: "TLS ClientHello to the plain port (DicomPlainPort)",
    server: S.Default,
    setup: "echoscu +tls client-ec to DicomPlainPort",
    expected: "refused",
    reason: "TLS_CLIENT_ON_PLAIN_PORT",
    attempt: ({ f, node }) => echoscu(["-aet", "M22", "127.0.0.1", String(node?.plainPort), "+tls", f.clients.ec.keyFile, f.clients.ec.chainFile, "+cf", f.ca]),
  },
  {
    case: "23",
    description: "stalled handshake (TCP open, nothing sent) is dropped after DicomTlsHandshakeTimeout",
    server: S.Default,
    setup: `net.connect to DicomPort, send nothing; DicomTlsHandshakeTimeout ${HANDSHAKE_TIMEOUT_S}`,
    expected: "refused",
    reason: "HANDSHAKE_TIMEOUT",
    attempt: async (c) => {
      const s = await openTcp(nodeOf(c).port);
      await once(s, "close");
      return { accepted: false, output: `closed by the server (local port ${s.localPort ?? "?"})` };
    },
  },
  {
    case: "24",
    description: "valid certificate of modality A calling with modality B's AE title (DicomTlsCheckModalityCertificate)",
    server: S.Binding,
    setup: "echoscu -aet MODB +tls modality-a (A's TlsCertificate)",
    expected: "refused",
    reason: "CALLING_AE_NOT_RECOGNIZED",
    attempt: ({ f, node }) => echoscu(["-aet", "MODB", "127.0.0.1", String(node?.port), "+tls", f.modalityA.keyFile, f.modalityA.certFile, "+cf", f.ca]),
  },
  {
    case: "24",
    description: "modality A's certificate calling as A (DicomTlsCheckModalityCertificate)",
    server: S.Binding,
    setup: "echoscu -aet MODA +tls modality-a; A's self-signed certificate is trusted through its TlsCertificate alone",
    expected: "accepted",
    attempt: ({ f, node }) => echoscu(["-aet", "MODA", "127.0.0.1", String(node?.port), "+tls", f.modalityA.keyFile, f.modalityA.certFile, "+cf", f.ca]),
  },
  {
    case: "25",
    description: "client offers ALPN http/1.1 only",
    server: S.Default,
    setup: "s_client -alpn http/1.1",
    expected: "refused",
    reason: "ALPN_MISMATCH",
    attempt: sClient(["-alpn", "http/1.1"]),
  },
  {
    case: "25",
    description: "client offers ALPN \"dicom\"",
    server: S.Default,
    setup: "s_client -alpn dicom",
    expected: "accepted",
    attempt: sClient(["-alpn", "dicom"]),
    check: (a) => assert.equal(a.alpn, "dicom"),
  },
  {
    case: "25",
    description: "client offers no ALPN (DCMTK 3.6.7, Orthanc)",
    server: S.Default,
    setup: "s_client without -alpn",
    expected: "accepted",
    attempt: sClient([]),
    check: (a) => assert.equal(a.alpn, undefined, a.output),
  },
  {
    case: "26",
    description: "own key password-protected (encrypted PKCS#8, DicomTlsPrivateKeyPassword from ${ENV})",
    server: S.NoCertB13,
    setup: "node started with node-rsa-encrypted.key; echoscu +tls client-ec +cf CA (the seed's echo flow)",
    expected: "accepted",
    attempt: tlsEcho("ec", "M26"),
  },
];

// ---------------------------------------------------------------------------------------------------------------

async function openTcp(port: number): Promise<Socket> {
  const s = connect({ host: "127.0.0.1", port });
  s.on("error", () => undefined);
  await once(s, "connect");
  return s;
}

/** The first record written after `mark` (a count of records) that matches. */
async function waitSince(server: StartedServer, mark: number, match: (r: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = server.records().slice(mark).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching log record within ${timeoutMs} ms; log:\n${server.process.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function refusalsSince(server: StartedServer, mark: number): Array<Record<string, unknown>> {
  return server
    .records()
    .slice(mark)
    .filter((r) => REFUSAL_EVENTS.has(String(r["event"])));
}

/** The node's record of a refusal: the expected reason, the peer as ip:port, and exactly one record for it. */
async function assertOneRefusal(server: StartedServer, mark: number, reason: string): Promise<Record<string, unknown>> {
  const rec = await waitSince(server, mark, (r) => REFUSAL_EVENTS.has(String(r["event"]))).catch(() => undefined);
  const since = (): Array<Record<string, unknown>> => refusalsSince(server, mark);
  assert.ok(rec !== undefined, `no refusal record; expected reason ${reason}; log:\n${server.process.output()}`);
  // A second record for the same refusal would come right after the first one.
  await new Promise((r) => setTimeout(r, 150));
  const records = since();
  assert.equal(records.length, 1, `exactly one refusal record expected:\n${records.map((r) => JSON.stringify(r)).join("\n")}`);
  const only = records[0]!;
  assert.equal(only["reason"], reason, JSON.stringify(only));
  assert.match(String(only["peer"]), /^127\.0\.0\.1:\d{1,5}$/, JSON.stringify(only));
  assert.equal(only["level"], "warn");
  return only;
}

function title(row: MatrixRow): string {
  return `#${row.case} ${row.description} -> ${row.expected}${row.reason !== undefined ? ` (${row.reason})` : ""}`;
}

async function runRow(row: MatrixRow, c: Ctx): Promise<void> {
  const server = nodeOf(c).server;
  const mark = server.records().length;
  const a = await row.attempt(c);
  if (row.expected === "accepted") {
    assert.ok(a.accepted, `expected the peer to get through (${row.setup}):\n${a.output}`);
    // Give a refusal that would follow the handshake (post-handshake policy) the chance to show.
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(refusalsSince(server, mark), [], "an accepted peer has no refusal record");
    // DCMTK rows: the association the node accepted is this peer's (its calling AE title is unique per row).
    const opened =
      a.aet === undefined ? undefined : await waitSince(server, mark, (r) => r["event"] === "association-opened" && r["callingAet"] === a.aet);
    row.check?.(a, c, opened);
  } else {
    assert.ok(!a.accepted, `expected a refusal (${row.setup}):\n${a.output}`);
    assert.ok(row.reason !== undefined, "a refused row names its reason");
    await assertOneRefusal(server, mark, row.reason);
  }
}

describe("DICOM TLS security matrix against dicomtls-server and real peers", () => {
  let f: Files;
  before(async () => {
    f = await makeFiles(tmp.path);
  });

  test("the table covers every case of the matrix (1-26 and 1b)", () => {
    const cases = new Set(MATRIX.map((r) => r.case));
    const want = ["1", "1b", ...Array.from({ length: 25 }, (_, i) => String(i + 2))];
    assert.deepEqual(
      want.filter((c) => !cases.has(c)),
      [],
    );
    for (const r of MATRIX) assert.equal(r.expected === "refused", r.reason !== undefined, `#${r.case} ${r.description}: a reason exactly for refusals`);
  });

  for (const id of Object.values(ServerIds)) {
    describe(`node: ${id}`, () => {
      let node: NodeUnderTest;
      before(async () => {
        node = await startNode(id, f);
      });
      after(() => node.server.stop());

      for (const row of MATRIX.filter((r) => r.server === id)) {
        test(title(row), async () => {
          await runRow(row, { f, node });
        });
      }

      if (id === ServerIds.Default) defaultNodeChecks(() => ({ f, node }));
      if (id === ServerIds.NoCertB13) encryptedKeyChecks(() => ({ f, node }));
      if (id === ServerIds.Legacy) legacyNodeChecks(() => ({ f, node }));
      if (id === ServerIds.Binding) bindingNodeChecks(() => ({ f, node }));
    });
  }

  // The CLI starts from its sources (seconds each): the SCU rows run side by side.
  describe("our SCU against DCMTK storescp +tls (cases 12, 13)", { concurrency: true }, () => {
    before(async () => {
      const ports = { good: await freePort(), wrongSan: await freePort(), otherCa: await freePort() };
      const scps: Array<[WrittenCert, number]> = [
        [f.scpGood, ports.good],
        [f.scpWrongSan, ports.wrongSan],
        [f.scpOtherCa, ports.otherCa],
      ];
      for (const [cert, port] of scps) {
        await startProcess("storescp", ["-v", "+tls", cert.keyFile, cert.chainFile, "+cf", f.ca, "-od", tmp.path, String(port)], { env: dcmtkEnv() });
        await waitListening(port);
      }
      const m = (port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ AET: "STORESCP", Host: "127.0.0.1", Port: port, UseDicomTls: true, ...extra });
      writeFileSync(
        scuConfigPath,
        JSON.stringify({
          DicomAet: "DICOMTLS",
          DicomTlsEnabled: true,
          DicomTlsCertificate: f.nodeEc.chainFile,
          DicomTlsPrivateKey: f.nodeEc.keyFile,
          DicomTlsTrustedCertificates: f.ca,
          DicomModalities: {
            GOOD: m(ports.good),
            WRONGSAN: m(ports.wrongSan),
            WRONGSAN_NOCHECK: m(ports.wrongSan, { TlsServerName: false }),
            WRONGSAN_NAMED: m(ports.wrongSan, { TlsServerName: "wrong.example" }),
            WRONGSAN_OTHER: m(ports.wrongSan, { TlsServerName: "other.example" }),
            UNTRUSTED: m(ports.otherCa),
            UNTRUSTED_NOCHECK: m(ports.otherCa, { TlsServerName: false }),
          },
        }),
      );
    });

    for (const row of MATRIX.filter((r) => r.server === "storescp")) {
      test(title(row), async () => {
        const a = await row.attempt({ f, node: undefined });
        if (row.expected === "accepted") {
          assert.ok(a.accepted, a.output);
        } else {
          assert.ok(!a.accepted, a.output);
          assert.ok(a.output.includes(row.reason ?? "?"), `the CLI names ${row.reason}:\n${a.output}`);
        }
      });
    }
  });
});

const scuConfigPath = join(tmp.path, "scu.json");


// ---------------------------------------------------------------------------------------------------------------
// Operability checks that share the matrix's nodes.

function defaultNodeChecks(ctx: () => NodeCtx): void {
  test("DicomPlainPort: with TLS on, plain echoscu to the plain port is served", async () => {
    const { node } = ctx();
    const mark = node.server.records().length;
    const a = await echoscu(["-aet", "PLAINOK", "127.0.0.1", String(node.plainPort)]);
    assert.ok(a.accepted, a.output);
    const opened = await node.server.waitForRecord((r) => r["event"] === "association-opened" && r["callingAet"] === "PLAINOK");
    assert.equal(opened["tls"], false);
    assert.deepEqual(refusalsSince(node.server, mark), []);
  });

  test("a client that sends nothing, and one that sends half a ClientHello, delay nobody: an echo completes while both are connected; both are dropped after the handshake timeout", async () => {
    const { f, node } = ctx();
    const mark = node.server.records().length;
    const silent = await openTcp(node.port);
    const half = await openTcp(node.port);
    const peers = [`127.0.0.1:${silent.localPort}`, `127.0.0.1:${half.localPort}`].sort();
    // A TLS record header announcing a 512-byte ClientHello, then only the first bytes of it.
    half.write(Buffer.from("160301020001000200fc0303", "hex"));
    const closed = { silent: false, half: false };
    const silentClosed = once(silent, "close").then(() => (closed.silent = true));
    const halfClosed = once(half, "close").then(() => (closed.half = true));

    const a = await tlsEcho("ec", "LIVE")({ f, node });
    assert.ok(a.accepted, a.output);
    assert.deepEqual(closed, { silent: false, half: false }, "the echo completed while both stalled clients were still connected");

    await Promise.all([silentClosed, halfClosed]);
    const timeouts = refusalsSince(node.server, mark).filter((r) => r["reason"] === "HANDSHAKE_TIMEOUT");
    assert.deepEqual(timeouts.map((r) => r["peer"]).sort(), peers);
  });

  test("our SCU offers ALPN \"dicom\" (openssl s_server reports what the client advertised)", async () => {
    const { f } = ctx();
    const port = await freePort();
    const sServer = await startProcess("openssl", ["s_server", "-accept", String(port), "-cert", f.nodeEc.chainFile, "-key", f.nodeEc.keyFile, "-alpn", "dicom", "-naccept", "1", "-www"]);
    await sServer.waitFor(/ACCEPT/);
    const cli = runCli(["echo", "127.0.0.1", String(port), "--anonymous-tls", "--trusted", f.ca, "--timeout", "5"], { timeoutMs: CLI_TIMEOUT_MS });
    const m = await sServer.waitFor(/ALPN protocols advertised by the client: (.*)/, CLI_TIMEOUT_MS);
    assert.equal(m[1]?.trim(), "dicom", sServer.output());
    await sServer.stop();
    const r = await cli;
    assert.notEqual(r.code, 0, "s_server is no DICOM peer: the echo itself cannot succeed");
  });
}

function encryptedKeyChecks(ctx: () => NodeCtx): void {
  test("encrypted PEM key with DicomTlsPrivateKeyPassword \"${ENV}\": the password never reaches the log", () => {
    const { node } = ctx();
    const listening = node.server.records().find((r) => r["event"] === "listening");
    assert.equal(listening?.["tls"], true);
    assert.ok(!node.server.process.output().includes(KEY_PASSWORD), "the key password appears in the server's output");
  });
}

function legacyNodeChecks(ctx: () => NodeCtx): void {
  test("PKCS#12 node certificate (DicomTlsCertificate: node.p12): the seed's echo flow (echoscu +tls ... +cf) passes", async () => {
    const c = ctx();
    const a = await tlsEcho("ec", "P12ECHO")(c);
    assert.ok(a.accepted, a.output);
    await c.node.server.waitForRecord((r) => r["event"] === "association-opened" && r["callingAet"] === "P12ECHO");
  });

  test("DicomTlsProfile bcp195 is warned about at start-up (LEGACY_PROTOCOLS)", () => {
    const { node } = ctx();
    const w = node.server.records().find((r) => r["event"] === "tls-warning" && r["code"] === "LEGACY_PROTOCOLS");
    assert.ok(w !== undefined, node.server.process.output());
    assert.equal(w["level"], "warn");
  });
}

function bindingNodeChecks(ctx: () => NodeCtx): void {
  test("DicomTlsCheckModalityCertificate: the refusal record says which certificate claimed which AE title; DCMTK sees A-ASSOCIATE-RJ calling AE not recognized", async () => {
    const { f, node } = ctx();
    const mark = node.server.records().length;
    const a = await echoscu(["-aet", "MODB", "127.0.0.1", String(node.port), "+tls", f.modalityA.keyFile, f.modalityA.certFile, "+cf", f.ca]);
    assert.ok(!a.accepted);
    assert.match(a.output, /Association Rejected/, a.output);
    assert.match(a.output, /Calling AE Title Not Recognized/i, a.output);
    const rec = await assertOneRefusal(node.server, mark, "CALLING_AE_NOT_RECOGNIZED");
    assert.equal(rec["event"], "association-refused");
    assert.equal(rec["callingAet"], "MODB");
    assert.match(String(rec["certSubject"]), /modality-a/);
    assert.match(String(rec["msg"]), /certificate of modality "A".*"MODB"/);
  });

  test("DicomTlsCheckModalityCertificate: B's CA-issued certificate as MODB is accepted; a certificate of no modality is refused", async () => {
    const { f, node } = ctx();
    const b = await echoscu(["-aet", "MODB", "127.0.0.1", String(node.port), "+tls", f.modalityB.keyFile, f.modalityB.certFile, "+cf", f.ca]);
    assert.ok(b.accepted, b.output);
    const mark = node.server.records().length;
    const stranger = await tlsEcho("ec", "MODA")({ f, node });
    assert.ok(!stranger.accepted);
    const rec = await assertOneRefusal(node.server, mark, "CALLING_AE_NOT_RECOGNIZED");
    assert.match(String(rec["msg"]), /belongs to no configured modality/);
  });

  test("own certificate expiring within 30 days is warned at start-up (OWN_CERTIFICATE_EXPIRES_SOON)", () => {
    const { node } = ctx();
    const w = node.server.records().find((r) => r["event"] === "tls-warning" && r["code"] === "OWN_CERTIFICATE_EXPIRES_SOON");
    assert.ok(w !== undefined, node.server.process.output());
    assert.match(String(w["msg"]), /node-expiring/);
  });
}
