import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createTestPki, writePem } from "@dicomtls/test-pki";

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
  // RSA-2048 keys: every DICOM TLS peer (DCMTK, Orthanc, dcm4che) handles them, and PS3.15 B.12 accepts them.
  const pki = await createTestPki({ name: "dicomtls dev", caKey: "rsa-2048", leafKey: "rsa-2048" });
  writePem(dir, "ca.crt", pki.root.cert);
  writePem(dir, "ca.key", pki.root.key);
  writePem(dir, "node.crt", pki.server.cert);
  writePem(dir, "node.key", pki.server.key);
  writePem(dir, "client.crt", pki.client.cert);
  writePem(dir, "client.key", pki.client.key);
  return files;
}
