import { renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { readCertificateFiles, TrustStoreError, writeTrustStore } from "@dicomtls/tls-context";
import { UsageError } from "../errors.js";
import type { CommandContext } from "../options.js";

export interface TrustStoreResult {
  readonly file: string;
  readonly entries: ReadonlyArray<{ readonly subject: string; readonly fingerprint256: string }>;
}

/**
 * Write a PKCS#12 trust store holding only the given certificates, each trusted for Java (dcm4che's
 * `--trust-store`), so no peer's private key has to travel with it (the Orthanc book's `orthanc.p12` holds one).
 */
export async function writeTrustStoreFile(certFiles: readonly string[], out: string, password: string): Promise<TrustStoreResult> {
  if (certFiles.length === 0) throw new UsageError("cert trust-store: name at least one certificate file");
  const file = resolve(out);
  if (certFiles.some((c) => resolve(c) === file)) throw new UsageError(`cert trust-store: --out ${out} is one of the certificate files; choose another output file`);
  const certificates = readCertificateFiles(certFiles);
  const bytes = await writeTrustStore(
    certificates.map((certificate) => ({ certificate })),
    password,
  );
  // Written beside and renamed: a reader never sees half a store.
  const partial = `${file}.partial`;
  try {
    writeFileSync(partial, bytes, { mode: 0o644 });
    renameSync(partial, file);
  } catch (err) {
    throw new TrustStoreError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { file, entries: certificates.map((c) => ({ subject: c.subject.replace(/\n/g, ", "), fingerprint256: c.fingerprint256 })) };
}

/** `dicomtls cert trust-store CERT... --out FILE.p12 [--password P]`. */
export function attachTrustStore(cert: Command, ctx: CommandContext): void {
  cert
    .command("trust-store")
    .description("write a PKCS#12 trust store holding only certificates, trusted for Java/dcm4che (--trust-store), no private key")
    .argument("<cert...>", "PEM (one or more certificates each) or DER certificate files")
    .requiredOption("--out <file>", "the .p12 file to write")
    .option("--password <p>", "store password (keys its integrity check); empty by default, as in the Orthanc book", "")
    .action(async (certs: string[], o: { out: string; password: string }) => {
      const r = await writeTrustStoreFile(certs, o.out, o.password);
      ctx.io.out(`trust store written to ${r.file}: ${r.entries.length} trusted certificate${r.entries.length === 1 ? "" : "s"}, no private key`);
      for (const e of r.entries) ctx.io.out(`  ${e.subject}  SHA-256 ${e.fingerprint256}`);
      ctx.io.out(`  dcm4che: --trust-store ${r.file} --trust-store-pass ${JSON.stringify(o.password)}`);
    });
}
