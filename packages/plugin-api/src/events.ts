/** What the hooks of a plugin are given: plain facts about peers, associations and instances. */

import type { X509Certificate } from "node:crypto";
import type { DatasetHeader } from "@dicomtls/pdu-codec";

/** The other end of a connection, as a plugin sees it. */
export interface PeerFacts {
  /** IP address (IPv4-mapped IPv6 shown as IPv4). */
  readonly address: string;
  readonly port: number;
  /** undefined on plain TCP. */
  readonly tls: TlsFacts | undefined;
}

/** The TLS session of a peer, after the node's own certificate policy accepted it. */
export interface TlsFacts {
  /** "TLSv1.3", "TLSv1.2". */
  readonly protocol: string | null;
  readonly cipher: string | undefined;
  /** The peer's certificate, when it presented one (DicomTlsRemoteCertificateRequired false allows none). */
  readonly certificate: CertificateFacts | undefined;
}

export interface CertificateFacts {
  /** One RDN per line, as Node's X509Certificate shows it. */
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** subjectAltName as Node shows it ("DNS:ct1.example, IP Address:10.0.0.5"). */
  readonly subjectAltName: string | undefined;
  /** The parsed certificate, for anything the fields above do not say. */
  readonly x509: X509Certificate;
}

/** An A-ASSOCIATE-RQ that the node's access control (DicomModalities, Dicom*Allow*) already accepted. */
export interface AssociationRequest {
  /** Trimmed of padding. */
  readonly callingAet: string;
  readonly calledAet: string;
  readonly peer: PeerFacts;
  /** Abstract syntaxes (SOP class UIDs) proposed, in the order of the request. */
  readonly abstractSyntaxes: readonly string[];
}

/** An association that ended. */
export interface AssociationClosed {
  readonly callingAet: string;
  readonly calledAet: string;
  readonly peer: PeerFacts;
  /** "released" (A-RELEASE), "aborted" (A-ABORT, either side, or the connection lost). */
  readonly how: "released" | "aborted";
  /** The abort's code (ERR_DICOM_*) and message when it was aborted. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly durationMs: number;
}

/** A TLS connection the node refused: the handshake failed, or the peer certificate failed the policy. */
export interface TlsRefusal {
  /** Stable reason (CERT_HAS_EXPIRED, NO_SHARED_CIPHER, UNSUPPORTED_PROTOCOL, HANDSHAKE_TIMEOUT, ...). */
  readonly reason: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** What OpenSSL or the policy said. */
  readonly detail: string;
  /** The refused peer certificate, when the handshake got far enough to see one. */
  readonly certificate: CertificateFacts | undefined;
}

/** A C-STORE whose data set arrived complete and parsed, before it is committed to storage. */
export interface ReceivedInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  readonly callingAet: string;
  readonly calledAet: string;
  readonly peer: PeerFacts;
  /** Identifiers parsed from the data set's first bytes. */
  readonly header: Readonly<DatasetHeader>;
}

/** An answer of an instance-received hook that refuses the instance: PS3.4 §B.2.3 status and a why. */
export interface InstanceRefusal {
  readonly refuse: true;
  /** A failure status (A7xx, A9xx, Cxxx); the peer gets it, nothing is stored. */
  readonly status: number;
  /** Sent to the peer as Error Comment (0000,0902, 64 characters at most) and logged. */
  readonly why: string;
}

/** `refuseInstance(0xa900, "not a CT")`: answer a failure status instead of storing. */
export function refuseInstance(status: number, why: string): InstanceRefusal {
  // PS3.4 §B.2.3: Axxx and Cxxx are failures; Bxxx are warnings (the instance is kept), 0000 Success.
  if (!Number.isInteger(status) || status < 0xa000 || status > 0xcfff || (status >= 0xb000 && status <= 0xbfff)) {
    throw new RangeError(`refuseInstance: status 0x${status.toString(16)} is not a C-STORE failure status (Axxx or Cxxx, PS3.4 §B.2.3)`);
  }
  return { refuse: true, status, why };
}

/** An instance made durable (after the fsync and the index commit), with where it lies and who sent it. */
export interface StoredInstanceEvent {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** Identifiers parsed from the data set (PatientID, StudyInstanceUID, SeriesInstanceUID, Modality ...). */
  readonly header: Readonly<DatasetHeader>;
  /** Absolute path of the Part 10 file. */
  readonly path: string;
  /** The instance was already stored and kept as it was (OverwriteInstances false): what arrived was dropped. */
  readonly duplicate: boolean;
  readonly callingAet: string;
  readonly calledAet: string;
  readonly peer: PeerFacts;
  /** Data set bytes received. */
  readonly bytes: number;
}
