// reflect-metadata must load before @peculiar/x509 (its DI container needs the polyfill).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto, X509Certificate } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DicomTlsConfigError } from "./errors.js";

const DAY_MS = 86_400_000;

/** `DicomTlsRevocationCheck`: which certificates of a peer's chain must be covered by a CRL (DCMTK `+crv` / `+cra`). */
export const RevocationCheckModes = {
  /** Only the peer's own certificate (DCMTK `+crv`, OpenSSL X509_V_FLAG_CRL_CHECK). */
  Leaf: "leaf",
  /** Every CA-issued certificate of the chain (DCMTK `+cra`, OpenSSL X509_V_FLAG_CRL_CHECK_ALL). */
  Chain: "chain",
} as const;
export type RevocationCheckMode = (typeof RevocationCheckModes)[keyof typeof RevocationCheckModes];

/** Default `DicomTlsRevocationListGraceDays`: how long past its nextUpdate a list is still used (with a warning). */
export const DEFAULT_REVOCATION_GRACE_DAYS = 7;

/** File names taken from a folder given in `DicomTlsCertificateRevocationLists` (OpenSSL hashed folders use `.r0`). */
const CRL_FILE_NAME = /\.(crl|pem|der|r\d+)$/i;

/** RFC 5280 §5.3.1 CRLReason names. */
const REASON_NAMES: Readonly<Record<number, string>> = {
  0: "unspecified",
  1: "keyCompromise",
  2: "cACompromise",
  3: "affiliationChanged",
  4: "superseded",
  5: "cessationOfOperation",
  6: "certificateHold",
  8: "removeFromCRL",
  9: "privilegeWithdrawn",
  10: "aACompromise",
};

/** One revoked certificate in a list. */
export interface RevokedEntry {
  /** Upper-case hex without leading zeros, as Node prints serial numbers. */
  readonly serialNumber: string;
  readonly revocationDate: Date;
  /** RFC 5280 CRLReason name, when the list gives one. */
  readonly reason: string | undefined;
}

/** A CRL, loaded and its signature verified against a trusted certificate. */
export interface RevocationList {
  readonly file: string;
  /** The issuer's name, as Node prints subjects ("CN=...\nO=..." joined with ", "). */
  readonly issuer: string;
  /** The trusted certificate whose key signed the list: it covers the certificates this CA issued. */
  readonly signer: X509Certificate;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
}

/** What the peer check needs: the lists, the mode and the grace. */
export interface RevocationPolicy {
  readonly mode: RevocationCheckMode;
  readonly graceDays: number;
  readonly lists: readonly RevocationList[];
}

/** `UNABLE_TO_GET_CRL` and `CRL_HAS_EXPIRED` are OpenSSL's verify codes for the same cases, so logs read alike. */
export const RevocationReasons = {
  Revoked: "CERT_REVOKED",
  NoList: "UNABLE_TO_GET_CRL",
  ListExpired: "CRL_HAS_EXPIRED",
} as const;
export type RevocationReason = (typeof RevocationReasons)[keyof typeof RevocationReasons];

/** The certificate and the list behind a refusal, for the refusal record. */
export interface RevocationFinding {
  readonly reason: RevocationReason;
  readonly detail: string;
  readonly certificate: { readonly subject: string; readonly serialNumber: string; readonly issuer: string };
  readonly list?: { readonly file: string; readonly issuer: string; readonly nextUpdate: string | undefined };
  readonly revocationDate?: string;
  readonly revocationReason?: string;
}

export type RevocationVerdict = { readonly ok: true; readonly checked: number } | ({ readonly ok: false } & RevocationFinding);

export function normalizeSerial(hex: string): string {
  const s = hex.replace(/[^0-9a-f]/gi, "").toUpperCase().replace(/^0+/, "");
  return s === "" ? "0" : s;
}

export function oneLine(name: string): string {
  return name.replace(/\n/g, ", ");
}

/** Expand the configured entries (files or folders) into list files, in a stable order. */
export function revocationListFiles(key: string, sources: readonly string[]): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  for (const source of sources) {
    let isDir: boolean;
    try {
      isDir = statSync(source).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DicomTlsConfigError(key, code === "ENOENT" ? "file or folder not found" : `cannot be read (${code ?? (err as Error).message})`, source, { cause: err });
    }
    if (!isDir) {
      files.push(source);
      continue;
    }
    folders.push(source);
    const names = readdirSync(source)
      .filter((n) => !n.startsWith(".") && CRL_FILE_NAME.test(n))
      .sort();
    if (names.length === 0) throw new DicomTlsConfigError(key, "the folder holds no revocation list (*.crl, *.pem, *.der, *.r0)", source);
    files.push(...names.map((n) => join(source, n)));
  }
  return { files: [...new Set(files)], folders };
}

/** The CRLs in one file: PEM ("-----BEGIN X509 CRL-----", several allowed) or one DER list. */
export function parseRevocationFile(key: string, file: string, bytes: Buffer): x509.X509Crl[] {
  const text = bytes.toString("latin1");
  const blocks = text.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g);
  const inputs: Array<string | Buffer> = blocks ?? (text.includes("-----BEGIN") ? [] : [bytes]);
  if (inputs.length === 0) throw new DicomTlsConfigError(key, 'is not a revocation list: no "-----BEGIN X509 CRL-----" block and not DER', file);
  return inputs.map((input, i) => {
    try {
      const der = typeof input === "string" ? x509.PemConverter.decodeFirst(input) : new Uint8Array(input);
      return new x509.X509Crl(der);
    } catch (err) {
      const which = inputs.length > 1 ? `list #${i + 1} in the file` : "the file";
      throw new DicomTlsConfigError(key, `${which} is not a valid X.509 revocation list (${(err as Error).message})`, file, { cause: err });
    }
  });
}

/** The trusted certificate that signed the list: same name as its issuer, and its key verifies the signature. */
async function findSigner(crl: x509.X509Crl, anchors: readonly X509Certificate[]): Promise<X509Certificate | undefined> {
  const issuer = new x509.Name(crl.issuerName.toArrayBuffer()).toString();
  for (const anchor of anchors) {
    if (new x509.X509Certificate(anchor.raw).subject !== issuer) continue;
    try {
      if (await crl.verify({ publicKey: new x509.X509Certificate(anchor.raw) }, webcrypto)) return anchor;
    } catch {
      // An algorithm WebCrypto cannot verify: try the next candidate, then report the list as unverifiable.
    }
  }
  return undefined;
}

export interface LoadRevocationOptions {
  readonly key: string;
  readonly now: Date;
  readonly graceDays: number;
}

/**
 * Load and verify the lists: every list must be signed by a trusted certificate (DicomTlsTrustedCertificates or the
 * node's own chain). A list past its nextUpdate is a warning, and an error once the grace is spent.
 */
export async function loadRevocationLists(
  files: readonly string[],
  read: (file: string) => Buffer,
  anchors: readonly X509Certificate[],
  opts: LoadRevocationOptions,
): Promise<{ lists: RevocationList[]; warnings: string[] }> {
  const lists: RevocationList[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    for (const crl of parseRevocationFile(opts.key, file, read(file))) {
      const signer = await findSigner(crl, anchors);
      if (signer === undefined) {
        throw new DicomTlsConfigError(
          opts.key,
          `the revocation list of ${crl.issuer} is not signed by a trusted CA: add its issuer's certificate to DicomTlsTrustedCertificates, or remove the list`,
          file,
        );
      }
      const nextUpdate = crl.nextUpdate;
      if (nextUpdate !== undefined && nextUpdate < opts.now) {
        const days = (opts.now.getTime() - nextUpdate.getTime()) / DAY_MS;
        const what = `the revocation list of ${oneLine(signer.subject)} was due for renewal on ${nextUpdate.toISOString()} (nextUpdate)`;
        if (days > opts.graceDays) {
          throw new DicomTlsConfigError(opts.key, `${what}, ${Math.floor(days)} days ago, past the ${opts.graceDays}-day grace (DicomTlsRevocationListGraceDays): fetch a current list from the CA`, file);
        }
        warnings.push(`${what}; it stays in use for ${opts.graceDays} days past that (DicomTlsRevocationListGraceDays): fetch a current list (${file})`);
      }
      const revoked = new Map<string, RevokedEntry>();
      for (const e of crl.entries) {
        const serialNumber = normalizeSerial(e.serialNumber);
        revoked.set(serialNumber, { serialNumber, revocationDate: e.revocationDate, reason: e.reason === undefined ? undefined : (REASON_NAMES[e.reason] ?? String(e.reason)) });
      }
      lists.push({ file, issuer: oneLine(signer.subject), signer, thisUpdate: crl.thisUpdate, nextUpdate, revoked });
    }
  }
  return { lists, warnings };
}

/** Whether `list` was signed by the CA that issued `cert` (name and key: a CRL speaks only for its own issuer). */
function covers(list: RevocationList, cert: X509Certificate): boolean {
  return cert.issuer === list.signer.subject && cert.checkIssued(list.signer) && cert.verify(list.signer.publicKey);
}

function certificateOf(c: X509Certificate): RevocationFinding["certificate"] {
  return { subject: oneLine(c.subject), serialNumber: c.serialNumber, issuer: oneLine(c.issuer) };
}

/** The newest list (by thisUpdate) from the CA that issued `cert`, or undefined. */
export function listFor(policy: RevocationPolicy, cert: X509Certificate): RevocationList | undefined {
  let best: RevocationList | undefined;
  for (const l of policy.lists) if (covers(l, cert) && (best === undefined || l.thisUpdate > best.thisUpdate)) best = l;
  return best;
}

/** Check one certificate against its issuer's list. */
export function checkCertificate(policy: RevocationPolicy, cert: X509Certificate, now: Date): RevocationVerdict {
  const who = certificateOf(cert);
  const list = listFor(policy, cert);
  const name = `certificate ${who.subject} (serial ${who.serialNumber})`;
  if (list === undefined) {
    return { ok: false, reason: RevocationReasons.NoList, certificate: who, detail: `${name}: no revocation list from its issuer ${who.issuer} is configured (DicomTlsCertificateRevocationLists, check "${policy.mode}")` };
  }
  const where = { file: list.file, issuer: list.issuer, nextUpdate: list.nextUpdate?.toISOString() };
  if (list.nextUpdate !== undefined && now.getTime() - list.nextUpdate.getTime() > policy.graceDays * DAY_MS) {
    return { ok: false, reason: RevocationReasons.ListExpired, certificate: who, list: where, detail: `${name}: the revocation list ${list.file} of ${list.issuer} expired on ${where.nextUpdate} and the ${policy.graceDays}-day grace is spent` };
  }
  const entry = list.revoked.get(normalizeSerial(cert.serialNumber));
  if (entry === undefined || entry.revocationDate > now) return { ok: true, checked: 1 };
  const why = entry.reason === undefined ? "" : `, reason ${entry.reason}`;
  return {
    ok: false,
    reason: RevocationReasons.Revoked,
    certificate: who,
    list: where,
    revocationDate: entry.revocationDate.toISOString(),
    ...(entry.reason !== undefined && { revocationReason: entry.reason }),
    detail: `${name} was revoked on ${entry.revocationDate.toISOString()}${why}, by the list ${list.file} of ${list.issuer}`,
  };
}

/**
 * Revocation of a peer's chain (leaf first, as OpenSSL built it): "leaf" checks the peer's own certificate, "chain"
 * every certificate issued by a CA, i.e. all but a self-issued trust anchor. A checked certificate whose issuer has
 * no list is refused (UNABLE_TO_GET_CRL), as DCMTK's `+crv` / `+cra` do.
 */
export function checkChainRevocation(policy: RevocationPolicy, chain: readonly X509Certificate[], now: Date = new Date()): RevocationVerdict {
  const targets = policy.mode === RevocationCheckModes.Leaf ? chain.slice(0, 1) : chain.filter((c) => !(c.subject === c.issuer && c.checkIssued(c)));
  for (const cert of targets) {
    const v = checkCertificate(policy, cert, now);
    if (!v.ok) return v;
  }
  return { ok: true, checked: targets.length };
}

/** The chain of a Node peer certificate object (`getPeerCertificate(true)`), leaf first, as X509Certificate. */
export function chainOfPeerCertificate(leaf: { raw?: Buffer; fingerprint256?: string; issuerCertificate?: unknown }): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur = leaf as { raw?: Buffer; fingerprint256?: string; issuerCertificate?: unknown } | undefined;
  while (cur?.raw !== undefined && cur.fingerprint256 !== undefined && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate as typeof cur;
  }
  return out;
}

/** A list past nextUpdate (within or beyond the grace) at `now`: for the daily check of a long-running node. */
export function staleLists(policy: RevocationPolicy, now: Date): RevocationList[] {
  return policy.lists.filter((l) => l.nextUpdate !== undefined && l.nextUpdate < now);
}
