import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { splitPemCertificates } from "./certificate-info.js";
import { looksLikeDer } from "./pkcs12.js";

/** RFC 7292 §4.2.3 certBag; §4.2.5 x509Certificate certValue. */
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const X509_CERTIFICATE = "1.2.840.113549.1.9.22.1";
/** PKCS #9 (RFC 2985 §5.5.1) friendlyName: the alias Java's keystore shows. */
const FRIENDLY_NAME = "1.2.840.113549.1.9.20";
/**
 * Oracle's "trusted key usage" bag attribute: a certBag carrying it is a `trustedCertEntry` to Java's PKCS12
 * KeyStore; without it Java ignores the certificate. Its value lists the purposes, anyExtendedKeyUsage for all.
 */
const ORACLE_TRUSTED_KEY_USAGE = "2.16.840.1.113894.746875.1.1";
/** RFC 5280 §4.2.1.12 anyExtendedKeyUsage. */
const ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
/** RFC 8018 / NIST SP 800-132 scale; Java 17 and OpenSSL 3 both read an HMAC-SHA-256 MAC. */
const MAC_ITERATIONS = 10_000;

/** A trust store could not be written: names the file or certificate at fault. */
export class TrustStoreError extends Error {
  readonly code = "ERR_DICOM_TRUST_STORE";
  constructor(message: string) {
    super(message);
    this.name = "TrustStoreError";
  }
}

export interface TrustedCertificate {
  readonly certificate: X509Certificate;
  /** The alias (friendlyName); default: the subject's CN (or the whole subject), lower-cased, made unique. */
  readonly alias?: string;
}

function defaultAlias(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return (cn ?? cert.subject.replace(/\n/g, ",")).trim().toLowerCase() || cert.fingerprint256.slice(0, 11).toLowerCase();
}

/** Java's keystore keys entries by alias: the second "localhost" becomes "localhost-2". */
function uniqueAliases(entries: readonly TrustedCertificate[]): string[] {
  const seen = new Set<string>();
  return entries.map((e) => {
    const base = e.alias ?? defaultAlias(e.certificate);
    let alias = base;
    for (let n = 2; seen.has(alias); n++) alias = `${base}-${n}`;
    seen.add(alias);
    return alias;
  });
}

function certBag(cert: X509Certificate, alias: string): pkijs.SafeBag {
  const parsed = pkijs.Certificate.fromBER(cert.raw);
  return new pkijs.SafeBag({
    bagId: CERT_BAG,
    bagValue: new pkijs.CertBag({ certId: X509_CERTIFICATE, certValue: new asn1js.OctetString({ valueHex: parsed.toSchema().toBER(false) }), parsedValue: parsed }),
    bagAttributes: [
      new pkijs.Attribute({ type: FRIENDLY_NAME, values: [new asn1js.BmpString({ value: alias })] }),
      new pkijs.Attribute({ type: ORACLE_TRUSTED_KEY_USAGE, values: [new asn1js.ObjectIdentifier({ value: ANY_EXTENDED_KEY_USAGE })] }),
    ],
  });
}

/**
 * A PKCS#12 trust store (RFC 7292) holding only certificates, each marked trusted for Java (`keytool -list` shows
 * `trustedCertEntry`), so dcm4che's `--trust-store` needs no private key of anyone. Certificates are public: the
 * SafeContents is not encrypted; the password (may be empty) keys the integrity MAC, as Java and OpenSSL expect.
 */
export async function writeTrustStore(entries: readonly TrustedCertificate[], password: string): Promise<Uint8Array> {
  if (entries.length === 0) throw new TrustStoreError("a trust store needs at least one certificate");
  const aliases = uniqueAliases(entries);
  const bags = entries.map((e, i) => certBag(e.certificate, aliases[i]!));
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0,
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: { safeContents: [{ privacyMode: 0, value: new pkijs.SafeContents({ safeBags: bags }) }] },
      }),
    },
  });
  const safe = pfx.parsedValue?.authenticatedSafe;
  if (safe === undefined) throw new TrustStoreError("internal: no authenticated safe");
  await safe.makeInternalValues({ safeContents: [{}] });
  const pw = new TextEncoder().encode(password);
  await pfx.makeInternalValues({
    password: pw.buffer.slice(pw.byteOffset, pw.byteOffset + pw.byteLength),
    iterations: MAC_ITERATIONS,
    pbkdf2HashAlgorithm: "SHA-256",
    hmacHashAlgorithm: "SHA-256",
  });
  return new Uint8Array(pfx.toSchema().toBER(false));
}

/** Certificates from PEM (one or more) or DER files; every error names the file. */
export function readCertificateFiles(files: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new TrustStoreError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const pems = splitPemCertificates(bytes.toString("latin1"));
    const blobs: Array<string | Buffer> = pems.length > 0 ? pems : looksLikeDer(bytes) ? [bytes] : [];
    if (blobs.length === 0) {
      const hint = /PRIVATE KEY-----/.test(bytes.toString("latin1")) ? " (it holds a private key, which a trust store must not)" : "";
      throw new TrustStoreError(`${file} holds no certificate (expected PEM "BEGIN CERTIFICATE" blocks or one DER certificate)${hint}`);
    }
    blobs.forEach((blob, i) => {
      try {
        out.push(new X509Certificate(blob));
      } catch (err) {
        throw new TrustStoreError(`${file}: certificate ${i + 1} cannot be parsed: ${(err as Error).message}`);
      }
    });
  }
  return out;
}
