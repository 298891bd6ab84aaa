// reflect-metadata must load before @peculiar/x509 (its DI container needs the polyfill).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { EkuOids } from "./certificate-info.js";

type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** PEM texts of a development PKI: a CA, the node's certificate, a client certificate, and their keys. */
export interface DevPki {
  readonly caCert: string;
  readonly caKey: string;
  /** CN=localhost, SAN localhost / 127.0.0.1 / ::1, EKU serverAuth + clientAuth (a DICOM node is both). */
  readonly nodeCert: string;
  readonly nodeKey: string;
  /** EKU clientAuth: what an SCU such as DCMTK's echoscu presents. */
  readonly clientCert: string;
  readonly clientKey: string;
}

const DAY_MS = 86_400_000;
/** RSA-2048 with SHA-256: every DICOM TLS peer handles it, and PS3.15 B.12/B.13 accept it. */
const RSA: RsaHashedKeyGenParams = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };

/** RFC 5280 §4.1.2.2: a positive serial of at most 20 octets. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x01;
  return b.toString("hex");
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
}

/**
 * A development PKI, so a new user has working DICOM TLS in one command (`dicomtls cert dev-pki`). Never for
 * production: whoever holds the CA key can mint certificates every node of this PKI trusts.
 */
export async function createDevPki(opts: { name?: string; days?: number; now?: Date } = {}): Promise<DevPki> {
  x509.cryptoProvider.set(webcrypto);
  const name = opts.name ?? "dicomtls dev";
  const now = opts.now ?? new Date();
  const notBefore = new Date(now.getTime() - DAY_MS);
  const notAfter = new Date(now.getTime() + (opts.days ?? 365) * DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name} CA`,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * (opts.days ?? 365) * DAY_MS),
    keys: caKeys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = async (cn: string, ekus: readonly string[], san: x509.JsonGeneralName[]): Promise<{ cert: string; key: string }> => {
    const keys = await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: RSA,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([...ekus], false),
        ...(san.length > 0 ? [new x509.SubjectAlternativeNameExtension(san, false)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { cert: cert.toString("pem"), key: await keyPem(keys) };
  };
  const [node, client] = await Promise.all([
    leaf("localhost", [EkuOids.serverAuth, EkuOids.clientAuth], [
      { type: "dns", value: "localhost" },
      { type: "ip", value: "127.0.0.1" },
      { type: "ip", value: "::1" },
    ]),
    leaf(`${name} client`, [EkuOids.clientAuth], []),
  ]);
  return { caCert: ca.toString("pem"), caKey: await keyPem(caKeys), nodeCert: node.cert, nodeKey: node.key, clientCert: client.cert, clientKey: client.key };
}
