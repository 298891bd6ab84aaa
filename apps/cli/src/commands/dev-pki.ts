import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDevPki } from "@dicomtls/tls-context";

export interface DevPkiFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * A development PKI so a new user has working DICOM TLS in one command: a CA, a node certificate for
 * localhost / 127.0.0.1 / ::1 (server and client use, as a DICOM node is both), and a client certificate.
 * Never for production: the CA key sits next to the certificates.
 */
export async function writeDevPki(dirArg: string, opts: { force?: boolean } = {}): Promise<DevPkiFiles> {
  const dir = resolve(dirArg);
  const files: DevPkiFiles = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    nodeCert: join(dir, "node.crt"),
    nodeKey: join(dir, "node.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
  };
  if (!opts.force && existsSync(files.nodeCert)) {
    throw new Error(`cert dev-pki: ${files.nodeCert} already exists; pass --force to replace the development PKI in ${dir}`);
  }
  const pki = await createDevPki();
  mkdirSync(dir, { recursive: true });
  // Keys readable by their owner only, as ssh and openssl users expect.
  const write = (path: string, pem: string, mode: number): void => writeFileSync(path, pem, { mode });
  write(files.caCert, pki.caCert, 0o644);
  write(files.caKey, pki.caKey, 0o600);
  write(files.nodeCert, pki.nodeCert, 0o644);
  write(files.nodeKey, pki.nodeKey, 0o600);
  write(files.clientCert, pki.clientCert, 0o644);
  write(files.clientKey, pki.clientKey, 0o600);
  return files;
}
