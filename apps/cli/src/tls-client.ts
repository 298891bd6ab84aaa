import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import {
  DICOM_ALPN,
  buildClientOptions,
  loadTlsContext,
  resolveProtocolPolicy,
  serverIdentityCheck,
  splitPemCertificates,
  type DicomTlsProfile,
  type DicomTlsSettings,
} from "@dicomtls/tls-context";
import { UsageError } from "./errors.js";

export interface ClientTlsFlags {
  readonly key?: string | undefined;
  readonly cert?: string | undefined;
  readonly password?: string | undefined;
  readonly trusted?: string | undefined;
  readonly anonymousTls?: boolean | undefined;
  readonly profile?: DicomTlsProfile | undefined;
  /** A name to check the server certificate against, or false for no name check (the chain is still verified). */
  readonly serverName?: string | false | undefined;
}

/** Whether the flags ask for DICOM TLS at all (DCMTK's +tls / --anonymous-tls). */
export function wantsTls(flags: ClientTlsFlags): boolean {
  return flags.anonymousTls === true || flags.cert !== undefined || flags.key !== undefined;
}

function readTrusted(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--trusted ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (err as Error).message}`);
  }
  const pems = splitPemCertificates(text);
  if (pems.length === 0) throw new UsageError(`--trusted ${file}: no PEM certificate in the file`);
  return pems;
}

/**
 * tls.connect options for the command line's flags, with the server always verified: the chain against --trusted,
 * and the name unless the server's own certificate is pinned in that file (or --server-name says otherwise).
 */
export async function clientTlsOptions(flags: ClientTlsFlags, host: string, port: number): Promise<ConnectionOptions> {
  if (flags.trusted === undefined) {
    throw new UsageError("DICOM TLS needs --trusted FILE (the server's certificate or its CA, PEM): dicomtls never skips verifying the server");
  }
  const checkServerName = flags.serverName;
  if (flags.anonymousTls === true) {
    if (flags.cert !== undefined || flags.key !== undefined) throw new UsageError("--anonymous-tls presents no certificate: drop --key/--cert, or drop --anonymous-tls");
    const policy = resolveProtocolPolicy({ profile: flags.profile });
    const ca = readTrusted(flags.trusted);
    const pinned = new Set(ca.map((pem) => new X509Certificate(pem).fingerprint256));
    return {
      ca,
      minVersion: policy.minVersion,
      maxVersion: policy.maxVersion,
      ciphers: policy.ciphers,
      sigalgs: policy.sigalgs,
      ecdhCurve: policy.ecdhCurve,
      rejectUnauthorized: true,
      ALPNProtocols: [DICOM_ALPN],
      checkServerIdentity: serverIdentityCheck(checkServerName, pinned),
      host,
      port,
      ...(isIP(host) === 0 && { servername: host }),
    };
  }
  if (flags.cert === undefined || flags.key === undefined) throw new UsageError("DICOM TLS with a client certificate needs both --key FILE and --cert FILE (or --anonymous-tls)");
  const settings: DicomTlsSettings = {
    certificateFile: flags.cert,
    privateKeyFile: flags.key,
    privateKeyPassword: flags.password,
    trustedCertificatesFile: flags.trusted,
    remoteCertificateRequired: true,
    profile: flags.profile,
  };
  const ctx = await loadTlsContext(settings);
  return buildClientOptions(ctx, { host, port, ...(checkServerName !== undefined && { checkServerName }) });
}
