import * as pkijs from "pkijs";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { certificateFacts, EkuOids, splitPemCertificates, weakness, type CertificateFacts } from "./certificate-info.js";
import { DicomTlsConfigError } from "./errors.js";
import { EXPIRY_WARNING_DAYS, loadOwnCredentials, parseCertificates, readConfigFile } from "./load.js";
import { resolveProtocolPolicy, type KeyRules, type ResolvedProtocolPolicy } from "./profiles.js";
import { revocationRows } from "./revocation-doctor.js";
import { modalityKey, SettingKeys, type DicomTlsProfile, type DicomTlsSettings } from "./settings.js";

const DAY_MS = 86_400_000;

export type DoctorVerdict = "ok" | "warn" | "error";

/** One finding of the certificate doctor; the CLI prints these as a table. */
export interface DoctorRow {
  /** Subject of the certificate concerned ("" when the file could not be read). */
  readonly subject: string;
  readonly file: string;
  /**
   * What was checked: "load", "key-match", "validity", "chain", "usage-server", "usage-client", "key-size", "signature",
   * "trusted", "crl" (one revocation list), "revocation" (the node's own certificate against the lists).
   */
  readonly check: string;
  readonly verdict: DoctorVerdict;
  readonly detail: string;
}

export interface DoctorOptions {
  /** Reference time (default: now). */
  now?: Date;
}

function toPkijs(cert: X509Certificate): pkijs.Certificate {
  return pkijs.Certificate.fromBER(cert.raw);
}

/** Path validation (RFC 5280 §6) of leaf + intermediates against trust anchors, with pkijs. */
async function chainRow(subject: string, file: string, chain: readonly X509Certificate[], trusted: readonly X509Certificate[], now: Date): Promise<DoctorRow> {
  if (trusted.length === 0) return { subject, file, check: "chain", verdict: "warn", detail: "no trusted certificates to validate against" };
  const leaf = chain[0]!;
  // Pinned: the certificate itself is a trust anchor (the Orthanc `cat a.crt b.crt > trusted.crt` model).
  if (trusted.some((t) => t.fingerprint256 === leaf.fingerprint256)) {
    return { subject, file, check: "chain", verdict: "ok", detail: "pinned: the certificate itself is in the trusted set" };
  }
  try {
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: trusted.map(toPkijs),
      // pkijs takes the end-entity certificate last.
      certs: [...chain.slice(1).map(toPkijs), toPkijs(leaf)],
      checkDate: now,
    });
    const r = await engine.verify();
    if (r.result) return { subject, file, check: "chain", verdict: "ok", detail: "chains to a trusted certificate" };
    return { subject, file, check: "chain", verdict: "error", detail: `does not chain to a trusted certificate: ${r.resultMessage}` };
  } catch (err) {
    const msg = (err as { resultMessage?: string }).resultMessage ?? (err as Error).message;
    return { subject, file, check: "chain", verdict: "error", detail: `does not chain to a trusted certificate: ${msg}` };
  }
}

function validityRow(f: CertificateFacts, file: string, now: Date): DoctorRow {
  const base = { subject: f.subject, file, check: "validity" };
  if (now < f.validFrom) return { ...base, verdict: "error", detail: `not valid before ${f.validFrom.toISOString()}` };
  if (now > f.validTo) return { ...base, verdict: "error", detail: `expired on ${f.validTo.toISOString()}` };
  const days = Math.floor((f.validTo.getTime() - now.getTime()) / DAY_MS);
  return { ...base, verdict: days < EXPIRY_WARNING_DAYS ? "warn" : "ok", detail: `valid until ${f.validTo.toISOString()} (${days} days left)` };
}

/** RFC 5280 §4.2.1.3/§4.2.1.12 as OpenSSL applies them to TLS peers: digitalSignature and the role's EKU. */
function usageRows(f: CertificateFacts, file: string, severity: Readonly<Record<"server" | "client", DoctorVerdict>>): DoctorRow[] {
  return (["server", "client"] as const).map((role) => {
    const eku = role === "server" ? EkuOids.serverAuth : EkuOids.clientAuth;
    const problems: string[] = [];
    if (f.keyUsage !== undefined && !f.keyUsage.includes("digitalSignature") && !(f.keyType.startsWith("rsa") && f.keyUsage.includes("keyEncipherment"))) {
      problems.push(`KeyUsage (${f.keyUsage.join(", ")}) lacks digitalSignature`);
    }
    if (f.extendedKeyUsage !== undefined && !f.extendedKeyUsage.includes(eku) && !f.extendedKeyUsage.includes(EkuOids.anyExtendedKeyUsage)) {
      problems.push(`ExtendedKeyUsage lacks ${role === "server" ? "serverAuth" : "clientAuth"}`);
    }
    const what = role === "server" ? "as TLS server (SCP)" : "as TLS client (SCU)";
    return problems.length === 0
      ? { subject: f.subject, file, check: `usage-${role}`, verdict: "ok" as const, detail: `usable ${what}` }
      : { subject: f.subject, file, check: `usage-${role}`, verdict: severity[role], detail: `peers refuse it ${what} (INVALID_PURPOSE): ${problems.join("; ")}` };
  });
}

function strengthRows(f: CertificateFacts, file: string, policy: ResolvedProtocolPolicy): DoctorRow[] {
  const rules: KeyRules = policy.keyRules;
  const weak = weakness(f, rules);
  const bad: DoctorVerdict = rules.weakPeer === "refuse" ? "error" : "warn";
  const keyDetail = `${f.keyType.toUpperCase()} ${f.keyBits ?? "?"} bits`;
  return [
    weak?.reason === "WEAK_KEY"
      ? { subject: f.subject, file, check: "key-size", verdict: bad, detail: `${weak.detail} under the "${policy.profile}" profile` }
      : { subject: f.subject, file, check: "key-size", verdict: "ok", detail: keyDetail },
    weak?.reason === "WEAK_SIGNATURE"
      ? { subject: f.subject, file, check: "signature", verdict: bad, detail: `${weak.detail}, refused under the "${policy.profile}" profile` }
      : { subject: f.subject, file, check: "signature", verdict: "ok", detail: f.signatureAlgorithm },
  ];
}

async function certificateRows(
  chain: readonly X509Certificate[],
  file: string,
  trusted: readonly X509Certificate[],
  policy: ResolvedProtocolPolicy,
  usageSeverity: Readonly<Record<"server" | "client", DoctorVerdict>>,
  now: Date,
): Promise<DoctorRow[]> {
  const f = certificateFacts(chain[0]!);
  return [validityRow(f, file, now), await chainRow(f.subject, file, chain, trusted, now), ...usageRows(f, file, usageSeverity), ...strengthRows(f, file, policy)];
}

function errorRow(file: string, check: string, err: unknown): DoctorRow {
  return { subject: "", file, check, verdict: "error", detail: err instanceof Error ? err.message : String(err) };
}

/**
 * Check a node's TLS configuration offline, without stopping at the first problem: own certificate and key,
 * chain to the trusted bundle (pkijs), dates, usages for both roles, key size and signature for the profile, and
 * every modality certificate.
 */
export async function checkCertificates(settings: DicomTlsSettings, opts: DoctorOptions = {}): Promise<DoctorRow[]> {
  const now = opts.now ?? new Date();
  const rows: DoctorRow[] = [];
  let policy: ResolvedProtocolPolicy;
  try {
    policy = resolveProtocolPolicy(settings);
  } catch (err) {
    rows.push(errorRow("", "profile", err));
    policy = resolveProtocolPolicy({});
  }

  let trusted: X509Certificate[] = [];
  const tf = settings.trustedCertificatesFile;
  if (tf !== undefined && tf !== "") {
    try {
      trusted = parseCertificates(SettingKeys.trustedCertificatesFile, tf, readConfigFile(SettingKeys.trustedCertificatesFile, tf).toString("utf8"));
      rows.push({ subject: "", file: tf, check: "trusted", verdict: trusted.length > 0 ? "ok" : "error", detail: `${trusted.length} trusted certificate(s)` });
      for (const t of trusted) {
        const v = validityRow(certificateFacts(t), tf, now);
        if (v.verdict === "error") rows.push(v);
      }
    } catch (err) {
      rows.push(errorRow(tf, "trusted", err));
    }
  }

  const modalities: Array<{ name: string; file: string; certs: X509Certificate[] }> = [];
  for (const m of settings.modalityCertificates ?? []) {
    try {
      const certs = parseCertificates(modalityKey(m.name), m.file, readConfigFile(modalityKey(m.name), m.file).toString("utf8"));
      if (certs.length === 0) throw new DicomTlsConfigError(modalityKey(m.name), "contains no PEM certificate", m.file);
      modalities.push({ name: m.name, file: m.file, certs });
    } catch (err) {
      rows.push(errorRow(m.file, "load", err));
    }
  }
  const trustAnchors = [...trusted, ...modalities.map((m) => m.certs[0]!)];

  let ownChain: X509Certificate[] | undefined;
  try {
    const own = await loadOwnCredentials(settings);
    ownChain = own.certificates;
    const file = settings.certificateFile;
    const subject = certificateFacts(own.certificates[0]!).subject;
    rows.push({ subject, file: settings.privateKeyFile ?? file, check: "key-match", verdict: "ok", detail: "the private key matches the certificate" });
    // The node is SCP first: a certificate unusable as TLS server is an error, as TLS client a warning.
    rows.push(...(await certificateRows(own.certificates, file, trustAnchors, policy, { server: "error", client: "warn" }, now)));
  } catch (err) {
    const check = err instanceof DicomTlsConfigError && /does not match/.test(err.message) ? "key-match" : "load";
    rows.push(errorRow(err instanceof DicomTlsConfigError ? (err.file ?? settings.certificateFile) : settings.certificateFile, check, err));
  }

  for (const m of modalities) {
    // A modality connects to us (client role) and we connect to it (server role): both matter, neither is ours to fix.
    rows.push(...(await certificateRows(m.certs, m.file, trustAnchors, policy, { server: "warn", client: "warn" }, now)));
  }
  rows.push(...(await revocationRows(settings, [...trustAnchors, ...(ownChain ?? []).slice(1)], ownChain, now)));
  return rows;
}

export interface CheckFilesOptions extends DoctorOptions {
  /** Trusted bundle to validate chains against; default: the CA and self-signed certificates among the files. */
  trustedCertificatesFile?: string;
  profile?: DicomTlsProfile;
}

/** Check arbitrary PEM certificate files (e.g. before deploying them): one block of rows per file. */
export async function checkFiles(paths: readonly string[], opts: CheckFilesOptions = {}): Promise<DoctorRow[]> {
  const now = opts.now ?? new Date();
  const policy = resolveProtocolPolicy({ profile: opts.profile });
  const rows: DoctorRow[] = [];
  const loaded: Array<{ file: string; certs: X509Certificate[] }> = [];
  for (const file of paths) {
    try {
      const certs = splitPemCertificates(readFileSync(file, "utf8")).map((pem) => new X509Certificate(pem));
      if (certs.length === 0) throw new Error("no PEM certificate in the file (PKCS#12 files are checked with checkCertificates and their password)");
      loaded.push({ file, certs });
    } catch (err) {
      rows.push(errorRow(file, "load", err));
    }
  }
  let trusted: X509Certificate[];
  if (opts.trustedCertificatesFile !== undefined) {
    trusted = splitPemCertificates(readFileSync(opts.trustedCertificatesFile, "utf8")).map((pem) => new X509Certificate(pem));
  } else {
    trusted = loaded.flatMap((l) => l.certs).filter((c) => c.ca || certificateFacts(c).selfSigned);
  }
  for (const l of loaded) {
    rows.push(...(await certificateRows(l.certs, l.file, trusted, policy, { server: "warn", client: "warn" }, now)));
  }
  return rows;
}
