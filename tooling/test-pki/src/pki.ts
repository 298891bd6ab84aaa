// reflect-metadata must load before @peculiar/x509 (its DI container needs the polyfill).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate as NodeX509, randomBytes, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const subtle = webcrypto.subtle;
const DAY_MS = 86_400_000;

/** Key algorithms the factories can produce. EC P-256 is the default because it is fast to generate. */
export const KeySpecs = {
  EcP256: "ec-p256",
  EcP384: "ec-p384",
  Rsa1024: "rsa-1024",
  Rsa2048: "rsa-2048",
} as const;
export type KeySpec = (typeof KeySpecs)[keyof typeof KeySpecs];

/** RFC 5280 §4.2.1.12 purposes used by TLS. */
export const Ekus = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
} as const;
export type EkuName = keyof typeof Ekus;

/** RFC 5280 §4.2.1.3 key usage bits by name. */
export const KeyUsages = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
} as const;
export type KeyUsageName = keyof typeof KeyUsages;

export interface SubjectAltName {
  type: "dns" | "ip" | "url" | "email";
  value: string;
}

/** Which CA signs a leaf. "self" makes a self-signed leaf; "rsa-intermediate" is an RSA-2048 CA under the root. */
export type IssuerName = "root" | "intermediate" | "rsa-intermediate" | "other-root" | "self";

export interface LeafOptions {
  /** Subject CN (default "localhost"). */
  commonName?: string;
  /** Default "root". */
  issuer?: IssuerName;
  /** Default "ec-p256". */
  key?: KeySpec;
  /** Hash of the issuer's signature (default SHA-256). SHA-1 needs an RSA or EC issuer; see `sha1Signed()`. */
  signatureHash?: "SHA-1" | "SHA-256" | "SHA-384";
  notBefore?: Date;
  notAfter?: Date;
  /** Default both serverAuth and clientAuth (DICOM TLS nodes are client and server). null = no EKU extension. */
  extendedKeyUsage?: readonly EkuName[] | null;
  /** Default digitalSignature (+ keyEncipherment for RSA). null = no KeyUsage extension. */
  keyUsage?: readonly KeyUsageName[] | null;
  /** Default dns localhost, ip 127.0.0.1, ip ::1. null = no SAN extension. */
  subjectAltNames?: readonly SubjectAltName[] | null;
}

/** One certificate and its key as PEM text, the way a node would hold it on disk. */
export interface TestCert {
  /** The leaf (or CA) certificate only. */
  readonly cert: string;
  /** PKCS#8 "PRIVATE KEY" PEM, unencrypted. */
  readonly key: string;
  /** What a peer presents: the certificate followed by its intermediate CAs (never the root). */
  readonly chain: string;
  /** The CA certificates above this one, nearest first, root last (empty for roots and self-signed). */
  readonly issuers: readonly string[];
  /** SHA-256 fingerprint as node prints it ("AB:CD:..."). */
  readonly fingerprint256: string;
  readonly subject: string;
  readonly keySpec: KeySpec;
}

/** A CA plus the private key material needed to issue more certificates. */
export interface TestCa extends TestCert {
  readonly signingKey: CryptoKey;
  readonly pkcs8: ArrayBuffer;
  readonly x509: x509.X509Certificate;
}

export interface TestPkiOptions {
  /** Reference time (default: now). Validity windows are computed from it. */
  now?: Date;
  /** Key of the default server and client leaves (default "ec-p256"). */
  leafKey?: KeySpec;
  /** Key of the root and intermediate CAs (default "ec-p256"). */
  caKey?: KeySpec;
  /** A prefix for subject names, so several PKIs in one test stay distinguishable. */
  name?: string;
}

/** Named factories for the security-matrix variants (all EKU serverAuth+clientAuth unless the variant is about EKU). */
export interface TestPkiVariants {
  /** notAfter one day ago. */
  expired(): Promise<TestCert>;
  /** notBefore one day ahead. */
  notYetValid(): Promise<TestCert>;
  /** EKU serverAuth only: must be refused as a client certificate. */
  serverAuthOnly(): Promise<TestCert>;
  /** EKU clientAuth only. */
  clientAuthOnly(): Promise<TestCert>;
  /** KeyUsage keyCertSign only (no digitalSignature). */
  keyCertSignOnly(): Promise<TestCert>;
  /** Self-signed leaf with CA:false (not issued by the test root). */
  selfSigned(): Promise<TestCert>;
  /** Leaf from a different root CA, not in the default trusted bundle. */
  otherCa(): Promise<TestCert>;
  /** RSA-1024 key, SHA-256 signature from the root. */
  rsa1024(): Promise<TestCert>;
  /** RSA-2048 key, SHA-256 signature from the root. */
  rsa2048(): Promise<TestCert>;
  /** EC P-256 key (the default key type). */
  ecP256(): Promise<TestCert>;
  /** sha1WithRSAEncryption signature by the RSA intermediate (chain: leaf, RSA intermediate). */
  sha1Signed(): Promise<TestCert>;
  /** Leaf issued by the intermediate CA (chain: leaf, intermediate). */
  chained(): Promise<TestCert>;
  /** SAN dns wrong.example and ip 192.0.2.1 only: fails a host check for localhost / 127.0.0.1. */
  wrongSan(): Promise<TestCert>;
}

export interface TestPki {
  readonly now: Date;
  readonly root: TestCa;
  readonly intermediate: TestCa;
  /** CN=localhost, SAN localhost/127.0.0.1/::1, EKU serverAuth+clientAuth, issued by the root. */
  readonly server: TestCert;
  /** CN=<name>client, EKU clientAuth, issued by the root. */
  readonly client: TestCert;
  /** PEM bundle of the root CA: what a node puts in its trusted certificates file. */
  readonly trustedBundle: string;
  /** Issue a leaf with explicit options. */
  issue(opts?: LeafOptions): Promise<TestCert>;
  /** A second, unrelated root CA (created on first use). */
  otherRoot(): Promise<TestCa>;
  /** An RSA-2048 intermediate under the root (created on first use), able to sign with SHA-1. */
  rsaIntermediate(): Promise<TestCa>;
  readonly variants: TestPkiVariants;
}

function keyAlgorithm(spec: KeySpec): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (spec) {
    case "ec-p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "ec-p384":
      return { name: "ECDSA", namedCurve: "P-384" };
    case "rsa-1024":
      return { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
    case "rsa-2048":
      return { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
  }
}

async function generateKeys(spec: KeySpec): Promise<CryptoKeyPair> {
  return await subtle.generateKey(keyAlgorithm(spec), true, ["sign", "verify"]);
}

/** The issuer's key as a signing key for the wanted hash (RSASSA keys carry their hash in WebCrypto). */
async function signerFor(ca: TestCa, hash: string): Promise<{ key: CryptoKey; algorithm: Algorithm | EcdsaParams }> {
  if (ca.keySpec.startsWith("rsa")) {
    const key = await subtle.importKey("pkcs8", ca.pkcs8, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["sign"]);
    return { key, algorithm: { name: "RSASSA-PKCS1-v1_5" } };
  }
  return { key: ca.signingKey, algorithm: { name: "ECDSA", hash } as EcdsaParams };
}

/** A positive serial number (RFC 5280 §4.1.2.2: at most 20 octets, non-negative). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f | 0x01;
  return b.toString("hex");
}

async function keyPem(keys: CryptoKeyPair): Promise<{ pem: string; pkcs8: ArrayBuffer }> {
  const pkcs8 = await subtle.exportKey("pkcs8", keys.privateKey);
  return { pem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"), pkcs8 };
}

function fingerprint(pem: string): string {
  return new NodeX509(pem).fingerprint256;
}

function joinPem(parts: readonly string[]): string {
  return parts.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

interface CaSpec {
  cn: string;
  keySpec: KeySpec;
  parent: TestCa | null;
  notBefore: Date;
  notAfter: Date;
  pathLen: number;
}

async function makeCa(spec: CaSpec): Promise<TestCa> {
  const keys = await generateKeys(spec.keySpec);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, spec.pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  let cert: x509.X509Certificate;
  if (spec.parent === null) {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${spec.cn}`,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      keys,
      signingAlgorithm: spec.keySpec.startsWith("rsa") ? { name: "RSASSA-PKCS1-v1_5" } : ({ name: "ECDSA", hash: "SHA-256" } as EcdsaParams),
      extensions,
    });
  } else {
    const signer = await signerFor(spec.parent, "SHA-256");
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(spec.parent.x509, false));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${spec.cn}`,
      issuer: spec.parent.x509.subject,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey: keys.publicKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      extensions,
    });
  }
  const pem = cert.toString("pem");
  const { pem: key, pkcs8 } = await keyPem(keys);
  const issuers = spec.parent === null ? [] : [spec.parent.cert, ...spec.parent.issuers];
  return {
    cert: pem,
    key,
    chain: joinPem([pem, ...issuers.slice(0, -1)]),
    issuers,
    fingerprint256: fingerprint(pem),
    subject: cert.subject,
    keySpec: spec.keySpec,
    signingKey: keys.privateKey,
    pkcs8,
    x509: cert,
  };
}

const DEFAULT_SAN: readonly SubjectAltName[] = [
  { type: "dns", value: "localhost" },
  { type: "ip", value: "127.0.0.1" },
  { type: "ip", value: "::1" },
];

/**
 * Build a small in-process PKI: a root CA, an intermediate CA, a server leaf and a client leaf.
 * Everything is EC P-256 unless asked otherwise, so a PKI takes tens of milliseconds.
 */
export async function createTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const now = opts.now ?? new Date();
  const prefix = opts.name ? `${opts.name} ` : "";
  const caKey = opts.caKey ?? "ec-p256";
  const leafKey = opts.leafKey ?? "ec-p256";
  // CAs start well before "expired" leaves so that only the leaf's dates are ever at fault.
  const caNotBefore = new Date(now.getTime() - 400 * DAY_MS);
  const caNotAfter = new Date(now.getTime() + 3650 * DAY_MS);
  const root = await makeCa({ cn: `${prefix}dicomtls Test Root CA`, keySpec: caKey, parent: null, notBefore: caNotBefore, notAfter: caNotAfter, pathLen: 2 });
  const intermediate = await makeCa({ cn: `${prefix}dicomtls Test Intermediate CA`, keySpec: caKey, parent: root, notBefore: caNotBefore, notAfter: caNotAfter, pathLen: 0 });

  let other: Promise<TestCa> | undefined;
  let rsaInt: Promise<TestCa> | undefined;
  const otherRoot = (): Promise<TestCa> =>
    (other ??= makeCa({ cn: `${prefix}dicomtls Other Root CA`, keySpec: "ec-p256", parent: null, notBefore: caNotBefore, notAfter: caNotAfter, pathLen: 1 }));
  const rsaIntermediate = (): Promise<TestCa> =>
    (rsaInt ??= makeCa({ cn: `${prefix}dicomtls Test RSA Intermediate CA`, keySpec: "rsa-2048", parent: root, notBefore: caNotBefore, notAfter: caNotAfter, pathLen: 0 }));

  async function issuerCa(name: IssuerName): Promise<TestCa | null> {
    switch (name) {
      case "root":
        return root;
      case "intermediate":
        return intermediate;
      case "other-root":
        return await otherRoot();
      case "rsa-intermediate":
        return await rsaIntermediate();
      case "self":
        return null;
    }
  }

  async function issue(o: LeafOptions = {}): Promise<TestCert> {
    const keySpec = o.key ?? leafKey;
    const keys = await generateKeys(keySpec);
    const cn = o.commonName ?? "localhost";
    const notBefore = o.notBefore ?? new Date(now.getTime() - DAY_MS);
    const notAfter = o.notAfter ?? new Date(now.getTime() + 365 * DAY_MS);
    const hash = o.signatureHash ?? "SHA-256";
    const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
    const ku = o.keyUsage === undefined ? (keySpec.startsWith("rsa") ? (["digitalSignature", "keyEncipherment"] as const) : (["digitalSignature"] as const)) : o.keyUsage;
    if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku.reduce((acc, n) => acc | KeyUsages[n], 0), true));
    const eku = o.extendedKeyUsage === undefined ? (["serverAuth", "clientAuth"] as const) : o.extendedKeyUsage;
    if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(eku.map((n) => Ekus[n]), false));
    const san = o.subjectAltNames === undefined ? DEFAULT_SAN : o.subjectAltNames;
    if (san !== null) extensions.push(new x509.SubjectAlternativeNameExtension(san.map((s) => ({ type: s.type, value: s.value }))));
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));

    const parent = await issuerCa(o.issuer ?? "root");
    let cert: x509.X509Certificate;
    if (parent === null) {
      const sigAlg = keySpec.startsWith("rsa") ? { name: "RSASSA-PKCS1-v1_5" } : ({ name: "ECDSA", hash } as EcdsaParams);
      const selfKeys: CryptoKeyPair = keySpec.startsWith("rsa")
        ? { publicKey: keys.publicKey, privateKey: await subtle.importKey("pkcs8", await subtle.exportKey("pkcs8", keys.privateKey), { name: "RSASSA-PKCS1-v1_5", hash }, true, ["sign"]) }
        : keys;
      cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: serial(), name: `CN=${prefix}${cn}`, notBefore, notAfter, keys: selfKeys, signingAlgorithm: sigAlg, extensions });
    } else {
      const signer = await signerFor(parent, hash);
      extensions.push(await x509.AuthorityKeyIdentifierExtension.create(parent.x509, false));
      cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${prefix}${cn}`,
        issuer: parent.x509.subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        signingKey: signer.key,
        signingAlgorithm: signer.algorithm,
        extensions,
      });
    }
    const pem = cert.toString("pem");
    const issuers = parent === null ? [] : [parent.cert, ...parent.issuers];
    return {
      cert: pem,
      key: (await keyPem(keys)).pem,
      chain: joinPem([pem, ...issuers.slice(0, -1)]),
      issuers,
      fingerprint256: fingerprint(pem),
      subject: cert.subject,
      keySpec,
    };
  }

  const [server, client] = await Promise.all([issue({ commonName: "localhost" }), issue({ commonName: "client", extendedKeyUsage: ["clientAuth"] })]);

  const variants: TestPkiVariants = {
    expired: () => issue({ commonName: "expired", notBefore: new Date(now.getTime() - 30 * DAY_MS), notAfter: new Date(now.getTime() - DAY_MS) }),
    notYetValid: () => issue({ commonName: "not-yet-valid", notBefore: new Date(now.getTime() + DAY_MS), notAfter: new Date(now.getTime() + 30 * DAY_MS) }),
    serverAuthOnly: () => issue({ commonName: "server-auth-only", extendedKeyUsage: ["serverAuth"] }),
    clientAuthOnly: () => issue({ commonName: "client-auth-only", extendedKeyUsage: ["clientAuth"] }),
    keyCertSignOnly: () => issue({ commonName: "key-cert-sign-only", keyUsage: ["keyCertSign"] }),
    selfSigned: () => issue({ commonName: "self-signed", issuer: "self" }),
    otherCa: () => issue({ commonName: "other-ca", issuer: "other-root" }),
    rsa1024: () => issue({ commonName: "rsa-1024", key: "rsa-1024" }),
    rsa2048: () => issue({ commonName: "rsa-2048", key: "rsa-2048" }),
    ecP256: () => issue({ commonName: "ec-p256", key: "ec-p256" }),
    sha1Signed: () => issue({ commonName: "sha1-signed", issuer: "rsa-intermediate", key: "rsa-2048", signatureHash: "SHA-1" }),
    chained: () => issue({ commonName: "chained", issuer: "intermediate" }),
    wrongSan: () =>
      issue({ commonName: "wrong.example", subjectAltNames: [{ type: "dns", value: "wrong.example" }, { type: "ip", value: "192.0.2.1" }] }),
  };

  return { now, root, intermediate, server, client, trustedBundle: joinPem([root.cert]), issue, otherRoot, rsaIntermediate, variants };
}

/** Concatenate PEM texts, one newline-terminated block after another (like `cat a.crt b.crt`). */
export function concatPem(...parts: readonly string[]): string {
  return joinPem(parts);
}
