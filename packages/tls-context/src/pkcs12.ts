import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

/** RFC 7292 §4.2 bag types. */
const BagIds = {
  keyBag: "1.2.840.113549.1.12.10.1.1",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
} as const;
/** RFC 7292 §4.1: password-encrypted SafeContents are CMS EncryptedData. */
const ENCRYPTED_DATA = "1.2.840.113549.1.7.6";
/** RFC 7292 Appendix C: pbeWithSHAAnd* schemes that OpenSSL 3 and WebCrypto no longer implement by default. */
const LEGACY_PBE_PREFIX = "1.2.840.113549.1.12.1.";

/** Why a PKCS#12 file could not be opened. */
export type Pkcs12Failure = "not-pkcs12" | "wrong-password" | "legacy-encryption" | "no-key" | "no-certificate";

export class Pkcs12Error extends Error {
  constructor(
    readonly failure: Pkcs12Failure,
    message: string,
  ) {
    super(message);
    this.name = "Pkcs12Error";
  }
}

export interface Pkcs12Contents {
  /** Certificates, the one matching the key first, the others (its chain) after. */
  readonly certificates: readonly X509Certificate[];
  readonly key: KeyObject;
}

function pem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;
}

/** True when the bytes look like DER (a SEQUENCE), i.e. possibly PKCS#12 rather than PEM text. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes.length > 4 && bytes[0] === 0x30 && (bytes[1] ?? 0) >= 0x80;
}

/** Open a PKCS#12 file (RFC 7292) with its password (empty string for none): certificates and the private key. */
export async function readPkcs12(bytes: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const asn = asn1js.fromBER(Uint8Array.from(bytes));
  if (asn.offset === -1) throw new Pkcs12Error("not-pkcs12", "not a DER structure");
  let pfx: pkijs.PFX;
  try {
    pfx = new pkijs.PFX({ schema: asn.result });
  } catch {
    throw new Pkcs12Error("not-pkcs12", "not a PKCS#12 (PFX) structure");
  }
  const pw = new TextEncoder().encode(password);
  const passwordBuffer = pw.buffer.slice(pw.byteOffset, pw.byteOffset + pw.byteLength);
  try {
    await pfx.parseInternalValues({ password: passwordBuffer, checkIntegrity: true });
  } catch (err) {
    const msg = (err as Error).message;
    if (/integrity/i.test(msg)) throw new Pkcs12Error("wrong-password", "the password does not open it (MAC check failed)");
    throw new Pkcs12Error("not-pkcs12", `cannot read the PKCS#12 structure: ${msg}`);
  }
  const safe = (pfx.parsedValue as { authenticatedSafe?: pkijs.AuthenticatedSafe } | undefined)?.authenticatedSafe;
  if (safe === undefined) throw new Pkcs12Error("not-pkcs12", "no authenticated safe inside");
  try {
    await safe.parseInternalValues({ safeContents: safe.safeContents.map((c) => (c.contentType === ENCRYPTED_DATA ? { password: passwordBuffer } : {})) });
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.includes(LEGACY_PBE_PREFIX)) {
      throw new Pkcs12Error("legacy-encryption", "it uses legacy PKCS#12 encryption (RC2/3DES); re-export it with OpenSSL 3 (`openssl pkcs12 -export`, AES-256 by default)");
    }
    throw new Pkcs12Error("wrong-password", `its encrypted content cannot be decrypted: ${msg}`);
  }
  const certs: X509Certificate[] = [];
  let key: KeyObject | undefined;
  const contents = (safe.parsedValue as { safeContents?: Array<{ value: pkijs.SafeContents }> } | undefined)?.safeContents ?? [];
  for (const sc of contents) {
    for (const bag of sc.value.safeBags) {
      if (bag.bagId === BagIds.certBag) {
        const cb = bag.bagValue as pkijs.CertBag;
        if (cb.parsedValue instanceof pkijs.Certificate) certs.push(new X509Certificate(Buffer.from(cb.parsedValue.toSchema().toBER(false))));
      } else if (bag.bagId === BagIds.pkcs8ShroudedKeyBag) {
        const kb = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
        try {
          // pkijs 3 declares this protected although it is the only way to decrypt a shrouded key bag.
          await (kb as unknown as { parseInternalValues(p: { password: ArrayBuffer }): Promise<void> }).parseInternalValues({ password: passwordBuffer });
        } catch (err) {
          const msg = (err as Error).message;
          if (msg.includes(LEGACY_PBE_PREFIX)) throw new Pkcs12Error("legacy-encryption", "its key uses legacy PKCS#12 encryption (RC2/3DES); re-export it with OpenSSL 3");
          throw new Pkcs12Error("wrong-password", `its key cannot be decrypted: ${msg}`);
        }
        const info = kb.parsedValue;
        if (info !== undefined) key = createPrivateKey(pem(info.toSchema().toBER(false), "PRIVATE KEY"));
      } else if (bag.bagId === BagIds.keyBag) {
        key = createPrivateKey(pem((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false), "PRIVATE KEY"));
      }
    }
  }
  if (key === undefined) throw new Pkcs12Error("no-key", "it holds no private key");
  if (certs.length === 0) throw new Pkcs12Error("no-certificate", "it holds no certificate");
  const owner = key;
  const leafIndex = certs.findIndex((c) => c.checkPrivateKey(owner));
  if (leafIndex === -1) throw new Pkcs12Error("no-certificate", "none of its certificates matches its private key");
  const leaf = certs[leafIndex]!;
  return { certificates: [leaf, ...certs.filter((_, i) => i !== leafIndex)], key };
}

/** PEM text of a KeyObject as unencrypted PKCS#8 (kept in memory only, for the TLS context). */
export function keyToPem(key: KeyObject): string {
  return key.export({ format: "pem", type: "pkcs8" }).toString();
}

/** PEM text of a certificate. */
export function certificateToPem(cert: X509Certificate): string {
  return cert.toString();
}
