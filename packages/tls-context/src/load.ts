import { createHash, createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { certificateFacts, splitPemCertificates, weakness, type CertificateFacts } from "./certificate-info.js";
import { DicomTlsConfigError } from "./errors.js";
import { keyToPem, looksLikeDer, Pkcs12Error, readPkcs12 } from "./pkcs12.js";
import { resolveProtocolPolicy, type KeyRules, type ResolvedProtocolPolicy } from "./profiles.js";
import type { RevocationPolicy } from "./revocation.js";
import { loadRevocationSettings } from "./revocation-settings.js";
import { modalityKey, SettingKeys, TlsWarningCodes, type DicomTlsSettings, type TlsWarning } from "./settings.js";

const DAY_MS = 86_400_000;
/** Own-certificate expiry warning horizon. */
export const EXPIRY_WARNING_DAYS = 30;
/** Default bound on a TLS handshake: a stalled client must not hold a connection slot (facts §1.9). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** What evaluatePeer needs: taken from a loaded context, or built by hand. */
export interface PeerPolicy {
  /** `DicomTlsRemoteCertificateRequired`. */
  readonly remoteCertificateRequired: boolean;
  readonly keyRules: KeyRules;
  /** `DicomTlsCertificateRevocationLists` and `DicomTlsRevocationCheck`; undefined = no revocation check. */
  readonly revocation?: RevocationPolicy | undefined;
}

/** A modality certificate, loaded. */
export interface LoadedModalityCertificate {
  readonly name: string;
  readonly aet: string;
  readonly file: string;
  readonly certificate: X509Certificate;
  readonly fingerprint256: string;
}

/** Everything a node needs to speak DICOM TLS, loaded from files and checked. Immutable: a reload makes a new one. */
export interface TlsContext {
  readonly settings: DicomTlsSettings;
  readonly policy: ResolvedProtocolPolicy;
  readonly peerPolicy: PeerPolicy;
  readonly handshakeTimeoutMs: number;
  /** The own certificate followed by the chain from the file. */
  readonly certificates: readonly X509Certificate[];
  /** Facts about the own leaf certificate. */
  readonly certificate: CertificateFacts;
  /** Own chain as PEM (leaf first), for Node's `cert`. */
  readonly certificatePem: string;
  /** The decrypted private key (kept in memory only). */
  readonly privateKey: KeyObject;
  /** Certificates from `DicomTlsTrustedCertificates`. */
  readonly trustedBundle: readonly X509Certificate[];
  /** Trust anchors handed to OpenSSL: the bundle plus every modality certificate. */
  readonly trustedPem: readonly string[];
  /** SHA-256 fingerprints of every trusted certificate (a server presenting one of these is pinned). */
  readonly trustedFingerprints: ReadonlySet<string>;
  readonly modalities: readonly LoadedModalityCertificate[];
  readonly warnings: readonly TlsWarning[];
  /** Every file the context was built from (what a watcher should watch). */
  readonly files: readonly string[];
  /** Folders whose every change matters (a folder of revocation lists). */
  readonly folders: readonly string[];
  /** The revocation lists and mode, when lists are configured. */
  readonly revocation: RevocationPolicy | undefined;
  readonly loadedAt: Date;
}

export interface LoadOptions {
  /** Reference time for validity checks (default: now). */
  now?: Date;
}

export function readConfigFile(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "file not found" : code === "EACCES" || code === "EPERM" ? "file cannot be read (permission denied)" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? (err as Error).message})`;
    throw new DicomTlsConfigError(key, why, file, { cause: err });
  }
}

export function parseCertificates(key: string, file: string, text: string): X509Certificate[] {
  const blocks = splitPemCertificates(text);
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (err) {
      throw new DicomTlsConfigError(key, `certificate #${i + 1} in the file is not a valid X.509 certificate (${(err as Error).message})`, file, { cause: err });
    }
  });
}

function isPkcs12File(file: string, bytes: Buffer): boolean {
  const ext = extname(file).toLowerCase();
  if (ext === ".p12" || ext === ".pfx") return true;
  return !bytes.toString("latin1").includes("-----BEGIN") && looksLikeDer(bytes);
}

function loadPemKey(file: string, bytes: Buffer, password: string | undefined): KeyObject {
  const key = SettingKeys.privateKeyFile;
  const text = bytes.toString("utf8");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new DicomTlsConfigError(key, "is not a PEM private key (no \"-----BEGIN ... PRIVATE KEY-----\" block)", file);
  }
  const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(text);
  if (encrypted && (password === undefined || password === "")) {
    throw new DicomTlsConfigError(key, `the key is encrypted: set ${SettingKeys.privateKeyPassword} to its password`, file);
  }
  try {
    return createPrivateKey(encrypted ? { key: text, format: "pem", passphrase: password ?? "" } : { key: text, format: "pem" });
  } catch (err) {
    if (encrypted) {
      throw new DicomTlsConfigError(SettingKeys.privateKeyPassword, `the password does not decrypt ${key}`, file, { cause: err });
    }
    throw new DicomTlsConfigError(key, `the private key cannot be parsed (${(err as Error).message})`, file, { cause: err });
  }
}

export async function loadOwnCredentials(settings: DicomTlsSettings): Promise<{ certificates: X509Certificate[]; privateKey: KeyObject; files: string[] }> {
  const certFile = settings.certificateFile;
  if (typeof certFile !== "string" || certFile === "") {
    throw new DicomTlsConfigError(SettingKeys.certificateFile, "is required when DICOM TLS is enabled");
  }
  const certBytes = readConfigFile(SettingKeys.certificateFile, certFile);
  if (isPkcs12File(certFile, certBytes)) {
    try {
      const p12 = await readPkcs12(certBytes, settings.privateKeyPassword ?? "");
      return { certificates: [...p12.certificates], privateKey: p12.key, files: [certFile] };
    } catch (err) {
      if (!(err instanceof Pkcs12Error)) throw err;
      if (err.failure === "wrong-password") {
        const hint = settings.privateKeyPassword === undefined ? `the file is password-protected: set ${SettingKeys.privateKeyPassword}` : `${SettingKeys.privateKeyPassword} does not open it`;
        throw new DicomTlsConfigError(settings.privateKeyPassword === undefined ? SettingKeys.certificateFile : SettingKeys.privateKeyPassword, `PKCS#12: ${hint}`, certFile, { cause: err });
      }
      const why = err.failure === "not-pkcs12" ? `is neither PEM nor PKCS#12 (${err.message})` : `PKCS#12: ${err.message}`;
      throw new DicomTlsConfigError(SettingKeys.certificateFile, why, certFile, { cause: err });
    }
  }
  const certificates = parseCertificates(SettingKeys.certificateFile, certFile, certBytes.toString("utf8"));
  if (certificates.length === 0) {
    throw new DicomTlsConfigError(SettingKeys.certificateFile, "is neither a PEM certificate (no \"-----BEGIN CERTIFICATE-----\" block) nor a PKCS#12 file", certFile);
  }
  const keyFile = settings.privateKeyFile;
  if (typeof keyFile !== "string" || keyFile === "") {
    throw new DicomTlsConfigError(SettingKeys.privateKeyFile, `is required with a PEM ${SettingKeys.certificateFile}`);
  }
  const privateKey = loadPemKey(keyFile, readConfigFile(SettingKeys.privateKeyFile, keyFile), settings.privateKeyPassword);
  const leaf = certificates[0]!;
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new DicomTlsConfigError(SettingKeys.privateKeyFile, `the key does not match ${SettingKeys.certificateFile} (${certFile})`, keyFile);
  }
  return { certificates, privateKey, files: [certFile, keyFile] };
}

/** Own-certificate expiry: an error when outside its validity, a warning within EXPIRY_WARNING_DAYS. */
export function ownExpiryWarning(facts: CertificateFacts, file: string, now: Date): TlsWarning | undefined {
  const daysLeft = Math.floor((facts.validTo.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return {
      code: TlsWarningCodes.OwnCertificateExpiresSoon,
      key: SettingKeys.certificateFile,
      message: `the node's certificate ${facts.subject} (${file}) expires on ${facts.validTo.toISOString()}, in ${daysLeft} day${daysLeft === 1 ? "" : "s"}; renew it before peers refuse it`,
    };
  }
  return undefined;
}

/**
 * Load and check the TLS configuration: own certificate and key (PEM, encrypted PEM or PKCS#12), trusted
 * bundle, modality certificates, profile. Throws DicomTlsConfigError with the key and file at fault.
 */
export async function loadTlsContext(settings: DicomTlsSettings, opts: LoadOptions = {}): Promise<TlsContext> {
  const now = opts.now ?? new Date();
  const warnings: TlsWarning[] = [];
  const policy = resolveProtocolPolicy(settings, warnings);
  const remoteCertificateRequired = settings.remoteCertificateRequired ?? true;
  const handshakeTimeoutMs = settings.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs <= 0) {
    throw new DicomTlsConfigError(SettingKeys.handshakeTimeoutMs, `${String(handshakeTimeoutMs)} is not a positive number of milliseconds`);
  }

  const own = await loadOwnCredentials(settings);
  const leaf = own.certificates[0]!;
  const facts = certificateFacts(leaf);
  if (now < facts.validFrom) {
    throw new DicomTlsConfigError(SettingKeys.certificateFile, `the node's certificate ${facts.subject} is not valid before ${facts.validFrom.toISOString()}`, settings.certificateFile);
  }
  if (now > facts.validTo) {
    throw new DicomTlsConfigError(SettingKeys.certificateFile, `the node's certificate ${facts.subject} expired on ${facts.validTo.toISOString()}`, settings.certificateFile);
  }
  const expiry = ownExpiryWarning(facts, settings.certificateFile, now);
  if (expiry) warnings.push(expiry);
  for (const cert of own.certificates) {
    const weak = weakness(certificateFacts(cert), policy.keyRules);
    if (weak) {
      warnings.push({
        code: weak.reason === "WEAK_KEY" ? TlsWarningCodes.WeakOwnKey : TlsWarningCodes.WeakOwnSignature,
        key: SettingKeys.certificateFile,
        message: `${cert.subject.replace(/\n/g, ", ")}: ${weak.detail}; peers using the "${policy.profile}" profile will refuse it`,
      });
    }
  }

  const files = [...own.files];
  let trustedBundle: X509Certificate[] = [];
  const trustedFile = settings.trustedCertificatesFile;
  if (typeof trustedFile === "string" && trustedFile !== "") {
    const bytes = readConfigFile(SettingKeys.trustedCertificatesFile, trustedFile);
    trustedBundle = parseCertificates(SettingKeys.trustedCertificatesFile, trustedFile, bytes.toString("utf8"));
    files.push(trustedFile);
    if (trustedBundle.length === 0 && remoteCertificateRequired) {
      throw new DicomTlsConfigError(SettingKeys.trustedCertificatesFile, `contains no PEM certificate, but ${SettingKeys.remoteCertificateRequired} is true so every peer would be refused`, trustedFile);
    }
  }

  const modalities: LoadedModalityCertificate[] = [];
  for (const m of settings.modalityCertificates ?? []) {
    const key = modalityKey(m.name);
    const certs = parseCertificates(key, m.file, readConfigFile(key, m.file).toString("utf8"));
    const first = certs[0];
    if (first === undefined) throw new DicomTlsConfigError(key, "contains no PEM certificate", m.file);
    const mf = certificateFacts(first);
    if (now > mf.validTo) {
      warnings.push({ code: TlsWarningCodes.ModalityCertificateExpired, key, message: `${mf.subject} (${m.file}) expired on ${mf.validTo.toISOString()}; modality ${m.aet} will be refused` });
    }
    modalities.push({ name: m.name, aet: m.aet, file: m.file, certificate: first, fingerprint256: first.fingerprint256 });
    files.push(m.file);
  }

  const trustedPem = [...trustedBundle.map((c) => c.toString()), ...modalities.map((m) => m.certificate.toString())];
  if (trustedPem.length === 0) {
    if (remoteCertificateRequired) {
      throw new DicomTlsConfigError(
        SettingKeys.trustedCertificatesFile,
        `is required while ${SettingKeys.remoteCertificateRequired} is true (no trusted certificate and no modality certificate configured)`,
      );
    }
    warnings.push({
      code: TlsWarningCodes.NoTrustedCertificates,
      key: SettingKeys.trustedCertificatesFile,
      message: "no trusted certificates: outgoing DICOM TLS associations cannot verify any server and will fail",
    });
  }

  const anchors = [...trustedBundle, ...modalities.map((m) => m.certificate), ...own.certificates.slice(1)];
  const revocation = await loadRevocationSettings(settings, anchors, now, warnings);
  files.push(...revocation.files);

  const certificatePem = own.certificates.map((c) => c.toString()).join("");
  const ctx: TlsContext = {
    settings,
    policy,
    peerPolicy: { remoteCertificateRequired, keyRules: policy.keyRules, revocation: revocation.policy },
    handshakeTimeoutMs,
    certificates: own.certificates,
    certificate: facts,
    certificatePem,
    privateKey: own.privateKey,
    trustedBundle,
    trustedPem,
    trustedFingerprints: new Set([...trustedBundle.map((c) => c.fingerprint256), ...modalities.map((m) => m.fingerprint256)]),
    modalities,
    warnings,
    files: [...new Set(files)],
    folders: revocation.folders,
    revocation: revocation.policy,
    loadedAt: now,
  };
  // Let OpenSSL itself judge the result (e.g. "ca md too weak" for an own SHA-1 certificate at security level 2).
  try {
    createSecureContext(secureContextOptionsOf(ctx));
  } catch (err) {
    throw new DicomTlsConfigError(
      SettingKeys.certificateFile,
      `OpenSSL refuses the certificate, key or trusted certificates under the "${policy.profile}" profile: ${(err as Error).message}`,
      settings.certificateFile,
      { cause: err },
    );
  }
  return ctx;
}

/** Node SecureContextOptions for a loaded context (shared by servers, clients and setSecureContext). */
export function secureContextOptionsOf(ctx: TlsContext): SecureContextOptions {
  const p = ctx.policy;
  return {
    cert: ctx.certificatePem,
    key: keyToPem(ctx.privateKey),
    ca: [...ctx.trustedPem],
    minVersion: p.minVersion,
    maxVersion: p.maxVersion,
    ciphers: p.ciphers,
    sigalgs: p.sigalgs,
    ecdhCurve: p.ecdhCurve,
    // PS3.15 §B.12: the server prefers TLS 1.3 and its own (strongest-first) suite order.
    honorCipherOrder: true,
    // Sessions resumed across a reload must not skip the new trust decision: the id context follows the trust set.
    sessionIdContext: createHash("sha256")
      .update(ctx.trustedPem.join(""))
      .update(ctx.policy.ciphers)
      // A regenerated revocation list is a new trust decision too: sessions from before it are not resumed.
      .update((ctx.revocation?.lists ?? []).map((l) => `${l.file}:${l.thisUpdate.toISOString()}:${l.revoked.size}`).join("|"))
      .update(ctx.revocation?.mode ?? "")
      .digest("hex")
      .slice(0, 32),
  };
}
