import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProcess } from "./process.js";

/**
 * A certificate authority run by `openssl ca` in a folder (index.txt, serial, crlnumber), as a hospital's CA would
 * be: it issues, revokes (`openssl ca -revoke`) and publishes revocation lists (`openssl ca -gencrl`). Keys are RSA
 * 2048 so that every profile and DCMTK accept them.
 */
export interface OpensslCa {
  readonly name: string;
  readonly dir: string;
  /** PEM certificate of this CA. */
  readonly cert: string;
  readonly key: string;
  /** PEM: this CA followed by its parents (the chain a leaf file carries after the leaf). */
  readonly chain: string;
  /** Issue a leaf: `{dir}/{name}.crt` holds the leaf then this CA's chain, `{dir}/{name}.key` its key. */
  issue(name: string, opts?: IssueOptions): Promise<IssuedCert>;
  /** A subordinate CA issued by this one. */
  subCa(name: string): Promise<OpensslCa>;
  /** `openssl ca -revoke FILE -crl_reason REASON`. */
  revoke(certFile: string, reason?: string): Promise<void>;
  /** `openssl ca -gencrl` to `out` (PEM, or DER when out ends in .der); dates override lastUpdate/nextUpdate. */
  gencrl(out: string, opts?: { lastUpdate?: Date; nextUpdate?: Date }): Promise<string>;
}

export interface IssueOptions {
  /** subjectAltName value (default "DNS:localhost,IP:127.0.0.1"). */
  readonly san?: string;
}

export interface IssuedCert {
  /** Leaf followed by the issuing chain (what DicomTlsCertificate / DCMTK +tls take). */
  readonly certFile: string;
  /** The leaf alone. */
  readonly leafFile: string;
  readonly keyFile: string;
}

async function openssl(args: readonly string[]): Promise<string> {
  const r = await runProcess("openssl", args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.code}): ${r.output}`);
  return r.stdout;
}

/** OpenSSL's ASN.1 time for -crl_lastupdate / -crl_nextupdate. */
function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, "").slice(2, 14)}Z`;
}

function writeConfig(dir: string): string {
  const cnf = join(dir, "openssl.cnf");
  writeFileSync(
    cnf,
    [
      "[ ca ]",
      "default_ca = CA_default",
      "[ CA_default ]",
      `dir = ${dir}`,
      "database = $dir/index.txt",
      "new_certs_dir = $dir/newcerts",
      "certificate = $dir/ca.crt",
      "private_key = $dir/ca.key",
      "serial = $dir/serial",
      "crlnumber = $dir/crlnumber",
      "default_md = sha256",
      "default_days = 365",
      "default_crl_days = 30",
      "policy = policy_any",
      "unique_subject = no",
      "[ policy_any ]",
      "organizationName = optional",
      "commonName = supplied",
      "[ v3_sub_ca ]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid:always",
      "",
    ].join("\n"),
  );
  mkdirSync(join(dir, "newcerts"));
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  writeFileSync(join(dir, "crlnumber"), "01\n");
  return cnf;
}

function caIn(name: string, dir: string, cnf: string): OpensslCa {
  const cert = join(dir, "ca.crt");
  const key = join(dir, "ca.key");
  const chainFile = join(dir, "chain.pem");
  return {
    name,
    dir,
    cert,
    key,
    chain: chainFile,
    async issue(leafName, opts = {}) {
      const keyFile = join(dir, `${leafName}.key`);
      const csr = join(dir, `${leafName}.csr`);
      const leafFile = join(dir, `${leafName}.leaf.crt`);
      const ext = join(dir, `${leafName}.ext`);
      writeFileSync(
        ext,
        [
          "[ leaf ]",
          "basicConstraints = CA:FALSE",
          "keyUsage = critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage = serverAuth,clientAuth",
          `subjectAltName = ${opts.san ?? "DNS:localhost,IP:127.0.0.1"}`,
          "subjectKeyIdentifier = hash",
          "authorityKeyIdentifier = keyid:always",
          "",
        ].join("\n"),
      );
      await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", `/O=dicomtls test/CN=${leafName}`]);
      await openssl(["ca", "-batch", "-config", cnf, "-in", csr, "-out", leafFile, "-extfile", ext, "-extensions", "leaf", "-notext"]);
      const certFile = join(dir, `${leafName}.crt`);
      writeFileSync(certFile, readFileSync(leafFile, "utf8") + readFileSync(chainFile, "utf8"));
      return { certFile, leafFile, keyFile };
    },
    async subCa(subName) {
      const subDir = join(dir, subName);
      mkdirSync(subDir);
      const subCnf = writeConfig(subDir);
      const csr = join(subDir, "ca.csr");
      await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", join(subDir, "ca.key"), "-out", csr, "-subj", `/O=dicomtls test/CN=${subName}`]);
      await openssl(["ca", "-batch", "-config", cnf, "-in", csr, "-out", join(subDir, "ca.crt"), "-extensions", "v3_sub_ca", "-notext"]);
      writeFileSync(join(subDir, "chain.pem"), readFileSync(join(subDir, "ca.crt"), "utf8") + readFileSync(chainFile, "utf8"));
      return caIn(subName, subDir, subCnf);
    },
    async revoke(certFile, reason = "keyCompromise") {
      await openssl(["ca", "-config", cnf, "-revoke", certFile, "-crl_reason", reason]);
    },
    async gencrl(out, opts = {}) {
      const pem = out.endsWith(".der") ? `${out}.pem` : out;
      const dates = [
        ...(opts.lastUpdate !== undefined ? ["-crl_lastupdate", asn1Time(opts.lastUpdate)] : []),
        ...(opts.nextUpdate !== undefined ? ["-crl_nextupdate", asn1Time(opts.nextUpdate)] : []),
      ];
      await openssl(["ca", "-config", cnf, "-gencrl", "-out", pem, ...dates]);
      if (pem !== out) await openssl(["crl", "-in", pem, "-outform", "DER", "-out", out]);
      return out;
    },
  };
}

/** A root CA in `dir` (created), self-signed, valid ten years. */
export async function createOpensslCa(dir: string, name = "Test Root CA"): Promise<OpensslCa> {
  mkdirSync(dir, { recursive: true });
  const cnf = writeConfig(dir);
  await openssl([
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt"), "-days", "3650",
    "-subj", `/O=dicomtls test/CN=${name}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  writeFileSync(join(dir, "chain.pem"), readFileSync(join(dir, "ca.crt"), "utf8"));
  return caIn(name, dir, cnf);
}
