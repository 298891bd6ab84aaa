// reflect-metadata must load before @peculiar/x509 (its DI container needs the polyfill).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate } from "node:crypto";
import type { KeyRules } from "./profiles.js";

/** RFC 5280 §4.2.1.12 key purposes used by TLS. */
export const EkuOids = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  anyExtendedKeyUsage: "2.5.29.37.0",
} as const;

/** Signature algorithm OIDs whose hash is too weak (RFC 3279 §2.2, RFC 5758 §3.2). */
const WEAK_SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10040.4.3": "dsa-with-sha1",
  "1.3.14.3.2.29": "sha1WithRSASignature",
};

const SIGNATURE_NAMES: Readonly<Record<string, string>> = {
  ...WEAK_SIGNATURE_OIDS,
  "1.2.840.113549.1.1.10": "RSASSA-PSS",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
};

/** Curve sizes for the names Node reports in `asymmetricKeyDetails.namedCurve`. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/** What the policy and the doctor need to know about one certificate. */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  /** SHA-256 fingerprint, "AB:CD:..." as Node prints it. */
  readonly fingerprint256: string;
  /** SAN entries as Node prints them, e.g. ["DNS:localhost", "IP Address:127.0.0.1"]. */
  readonly subjectAltNames: readonly string[];
  readonly validFrom: Date;
  readonly validTo: Date;
  /** "rsa", "rsa-pss", "ec", "ed25519", ... */
  readonly keyType: string;
  /** RSA modulus bits or EC field bits; undefined when unknown. */
  readonly keyBits: number | undefined;
  readonly signatureAlgorithm: string;
  /** True when the signature uses SHA-1 or MD5. */
  readonly weakSignature: boolean;
  readonly isCa: boolean;
  readonly selfSigned: boolean;
  /** KeyUsage bit names, or undefined when the extension is absent (then any usage is allowed). */
  readonly keyUsage: readonly string[] | undefined;
  /** EKU OIDs, or undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
}

const KU_NAMES: ReadonlyArray<readonly [number, string]> = [
  [x509.KeyUsageFlags.digitalSignature, "digitalSignature"],
  [x509.KeyUsageFlags.nonRepudiation, "nonRepudiation"],
  [x509.KeyUsageFlags.keyEncipherment, "keyEncipherment"],
  [x509.KeyUsageFlags.dataEncipherment, "dataEncipherment"],
  [x509.KeyUsageFlags.keyAgreement, "keyAgreement"],
  [x509.KeyUsageFlags.keyCertSign, "keyCertSign"],
  [x509.KeyUsageFlags.cRLSign, "cRLSign"],
  [x509.KeyUsageFlags.encipherOnly, "encipherOnly"],
  [x509.KeyUsageFlags.decipherOnly, "decipherOnly"],
];

function keyBitsOf(cert: X509Certificate): { keyType: string; keyBits: number | undefined } {
  const key = cert.publicKey;
  const keyType = key.asymmetricKeyType ?? "unknown";
  const d = key.asymmetricKeyDetails;
  if (d?.modulusLength !== undefined) return { keyType, keyBits: d.modulusLength };
  if (d?.namedCurve !== undefined) return { keyType, keyBits: CURVE_BITS[d.namedCurve] };
  if (keyType === "ed25519") return { keyType, keyBits: 256 };
  if (keyType === "ed448") return { keyType, keyBits: 456 };
  return { keyType, keyBits: undefined };
}

/** Node prints SANs as one comma-separated string; split it without breaking quoted values. */
function splitSan(san: string | undefined): string[] {
  if (san === undefined || san === "") return [];
  return san.split(/, (?=[A-Za-z ]+:)/).map((s) => s.trim());
}

/** Facts already worked out, by SHA-256 fingerprint (the same peers connect again and again); least recently used out. */
const factsCache = new Map<string, CertificateFacts>();
const FACTS_CACHE_SIZE = 256;

/**
 * Facts about one certificate (DER bytes or PEM text). Key usage, extended key usage and basic constraints are parsed
 * (with @peculiar/x509, ~2 ms per certificate) only when first read: the per-connection peer check needs none of them.
 * Results are cached by fingerprint; `fingerprint256`, when the caller has it (Node's peer certificate object does),
 * finds a cached certificate without parsing it at all.
 */
export function certificateFacts(cert: X509Certificate | Buffer | string, fingerprint256?: string): CertificateFacts {
  if (fingerprint256 !== undefined) {
    const hit = cachedFacts(fingerprint256);
    if (hit !== undefined) return hit;
  }
  const node = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const hit = cachedFacts(node.fingerprint256);
  if (hit !== undefined) return hit;
  const facts = computeFacts(node);
  factsCache.set(facts.fingerprint256, facts);
  if (factsCache.size > FACTS_CACHE_SIZE) factsCache.delete(factsCache.keys().next().value as string);
  return facts;
}

function cachedFacts(fingerprint256: string): CertificateFacts | undefined {
  const hit = factsCache.get(fingerprint256);
  if (hit !== undefined) {
    factsCache.delete(fingerprint256);
    factsCache.set(fingerprint256, hit);
  }
  return hit;
}

interface ExtensionFacts {
  readonly isCa: boolean;
  readonly keyUsage: readonly string[] | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
}

function extensionFacts(raw: Buffer): ExtensionFacts {
  const parsed = new x509.X509Certificate(raw);
  const ku = parsed.getExtension(x509.KeyUsagesExtension);
  const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension);
  const bc = parsed.getExtension(x509.BasicConstraintsExtension);
  return {
    isCa: bc?.ca ?? false,
    keyUsage: ku === null ? undefined : KU_NAMES.filter(([flag]) => (ku.usages & flag) !== 0).map(([, name]) => name),
    // Array.from: map() on the library's array subclass would return that subclass, not a plain array.
    extendedKeyUsage: eku === null ? undefined : Array.from(eku.usages, String),
  };
}

function computeFacts(node: X509Certificate): CertificateFacts {
  const sigOid = signatureOid(node.raw);
  const { keyType, keyBits } = keyBitsOf(node);
  let extensions: ExtensionFacts | undefined;
  const ext = (): ExtensionFacts => (extensions ??= extensionFacts(node.raw));
  return Object.freeze({
    subject: node.subject.replace(/\n/g, ", "),
    issuer: node.issuer.replace(/\n/g, ", "),
    serialNumber: node.serialNumber,
    fingerprint256: node.fingerprint256,
    subjectAltNames: Object.freeze(splitSan(node.subjectAltName)),
    validFrom: new Date(node.validFrom),
    validTo: new Date(node.validTo),
    keyType,
    keyBits,
    signatureAlgorithm: SIGNATURE_NAMES[sigOid] ?? sigOid,
    weakSignature: sigOid in WEAK_SIGNATURE_OIDS,
    selfSigned: node.subject === node.issuer && node.verify(node.publicKey),
    get isCa(): boolean {
      return ext().isCa;
    },
    get keyUsage(): readonly string[] | undefined {
      return ext().keyUsage;
    },
    get extendedKeyUsage(): readonly string[] | undefined {
      return ext().extendedKeyUsage;
    },
  });
}

/** The signature algorithm OID from the outer Certificate.signatureAlgorithm (RFC 5280 §4.1.1.2). */
function signatureOid(der: Uint8Array): string {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
  let p = 0;
  const readLen = (): number => {
    const first = der[p++] ?? 0;
    if (first < 0x80) return first;
    let n = 0;
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + (der[p++] ?? 0);
    return n;
  };
  p++; // outer SEQUENCE tag
  readLen();
  p++; // tbsCertificate SEQUENCE tag
  const tbsLength = readLen(); // read first: `p += readLen()` would add to the old p
  p += tbsLength;
  p++; // AlgorithmIdentifier SEQUENCE tag
  readLen();
  p++; // OID tag
  const len = readLen();
  return decodeOid(der.subarray(p, p + len));
}

function decodeOid(bytes: Uint8Array): string {
  const out: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (out.length === 0) out.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else out.push(v);
      v = 0;
    }
  }
  return out.join(".");
}

/** Why a certificate is weak under a profile's key rules, or undefined when it is not. */
export function weakness(facts: CertificateFacts, rules: KeyRules): { reason: "WEAK_KEY" | "WEAK_SIGNATURE"; detail: string } | undefined {
  if ((facts.keyType === "rsa" || facts.keyType === "rsa-pss" || facts.keyType === "dsa") && facts.keyBits !== undefined && facts.keyBits < rules.minRsaBits) {
    return { reason: "WEAK_KEY", detail: `${facts.keyType.toUpperCase()} key of ${facts.keyBits} bits (at least ${rules.minRsaBits} required)` };
  }
  if (facts.keyType === "ec" && (facts.keyBits === undefined || facts.keyBits < rules.minEcBits)) {
    return { reason: "WEAK_KEY", detail: `EC key of ${facts.keyBits ?? "unknown"} bits (at least ${rules.minEcBits} required)` };
  }
  // A self-signed trust anchor's own signature is never relied on (RFC 5280 §6.1), so only issued certificates count.
  if (rules.refuseSha1 && facts.weakSignature && !facts.selfSigned) {
    return { reason: "WEAK_SIGNATURE", detail: `signed with ${facts.signatureAlgorithm}` };
  }
  return undefined;
}

/** Parse every "CERTIFICATE" block of a PEM text; text outside the blocks (comments, bag attributes) is ignored. */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}
