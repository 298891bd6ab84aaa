import { join, resolve } from "node:path";
import { createDevPki } from "@dicomtls/tls-context";
import { writePem } from "@dicomtls/test-pki";

/** The files of a development PKI, named as `dicomtls cert dev-pki DIR` names them. */
export interface DevPki {
  readonly dir: string;
  readonly caCert: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * The PKI `dicomtls cert dev-pki` writes (tls-context's createDevPki: RSA-2048 CA and leaves; node certificate for localhost / 127.0.0.1 /
 * ::1 with server and client use), made in-process so a benchmark does not depend on the CLI being built.
 * Every side of a benchmark (DCMTK and dicomtls) uses these files, so the TLS work compared is the same.
 */
export async function makeDevPki(dirArg: string): Promise<DevPki> {
  const dir = resolve(dirArg);
  const pki = await createDevPki({ name: "dicomtls bench" });
  writePem(dir, "ca.key", pki.caKey);
  return {
    dir,
    caCert: writePem(dir, "ca.crt", pki.caCert),
    nodeCert: writePem(dir, "node.crt", pki.nodeCert),
    nodeKey: writePem(dir, "node.key", pki.nodeKey),
    clientCert: writePem(dir, "client.crt", pki.clientCert),
    clientKey: writePem(dir, "client.key", pki.clientKey),
  };
}

/** A path inside the PKI folder (for extra files a benchmark writes next to it). */
export function pkiPath(pki: DevPki, name: string): string {
  return join(pki.dir, name);
}
