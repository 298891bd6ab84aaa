/** The node's peer descriptions as the plain facts plugin hooks receive. */

import type { X509Certificate } from "node:crypto";
import type { PeerInfo } from "@dicomtls/association";
import type { CertificateFacts, PeerFacts } from "@dicomtls/plugin-api";
import { displayAddress } from "../diagnostics-log.js";

export function certificateFacts(x509: X509Certificate): CertificateFacts {
  return {
    subject: x509.subject,
    issuer: x509.issuer,
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
    validFrom: x509.validFrom,
    validTo: x509.validTo,
    subjectAltName: x509.subjectAltName,
    x509,
  };
}

export function peerFacts(peer: PeerInfo): PeerFacts {
  return {
    address: displayAddress(peer.address),
    port: peer.port,
    tls:
      peer.tls === undefined
        ? undefined
        : { protocol: peer.tls.protocol, cipher: peer.tls.cipher, certificate: peer.tls.certificate === undefined ? undefined : certificateFacts(peer.tls.certificate) },
  };
}
