import { join, resolve } from "node:path";
import { createTestPki, writePem } from "@dicomtls/test-pki";

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
 * The same PKI `dicomtls cert dev-pki` writes (RSA-2048 CA and leaves; node certificate for localhost / 127.0.0.1 /
 * ::1 with server and client use), made in-process so a benchmark does not depend on the CLI being built.
 * Every side of a benchmark (DCMTK and dicomtls) uses these files, so the TLS work compared is the same.
 */
export async function makeDevPki(dirArg: string): Promise<DevPki> {
  const dir = resolve(dirArg);
  const pki = await createTestPki({ name: "dicomtls bench", caKey: "rsa-2048", leafKey: "rsa-2048" });
  writePem(dir, "ca.key", pki.root.key);
  return {
    dir,
    caCert: writePem(dir, "ca.crt", pki.root.cert),
    nodeCert: writePem(dir, "node.crt", pki.server.cert),
    nodeKey: writePem(dir, "node.key", pki.server.key),
    clientCert: writePem(dir, "client.crt", pki.client.cert),
    clientKey: writePem(dir, "client.key", pki.client.key),
  };
}

/** A path inside the PKI folder (for extra files a benchmark writes next to it). */
export function pkiPath(pki: DevPki, name: string): string {
  return join(pki.dir, name);
}
