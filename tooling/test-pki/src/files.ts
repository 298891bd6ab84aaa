import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestCert } from "./pki.js";

/** Write one PEM text to `<dir>/<name>` (the folder is created) and return the path. Keys get mode 0600. */
export function writePem(dir: string, name: string, pem: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, pem, { mode: pem.includes("PRIVATE KEY") ? 0o600 : 0o644 });
  return path;
}

export interface WrittenCert {
  /** `<name>.crt`: the certificate alone. */
  certFile: string;
  /** `<name>.key`: the unencrypted PKCS#8 key. */
  keyFile: string;
  /** `<name>-chain.crt`: the certificate followed by its intermediates. */
  chainFile: string;
}

/** Write a certificate, its key and its presented chain as `<name>.crt`, `<name>.key`, `<name>-chain.crt`. */
export function writeCert(dir: string, name: string, cert: TestCert): WrittenCert {
  return {
    certFile: writePem(dir, `${name}.crt`, cert.cert),
    keyFile: writePem(dir, `${name}.key`, cert.key),
    chainFile: writePem(dir, `${name}-chain.crt`, cert.chain),
  };
}
