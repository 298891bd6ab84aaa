import type { AAbort, AAssociateAc, AAssociateRj, AAssociateRq, PDataTf, Pdu } from "@dicomtls/pdu-codec";

/** Service primitives the provider issues to its local user (PS3.8 §7, Tables 9-6 to 9-9 "issue ... primitive"). */
export type Indication =
  | { readonly primitive: "A-ASSOCIATE-indication"; readonly pdu: AAssociateRq }
  | { readonly primitive: "A-ASSOCIATE-confirm-accept"; readonly pdu: AAssociateAc }
  | { readonly primitive: "A-ASSOCIATE-confirm-reject"; readonly pdu: AAssociateRj }
  | { readonly primitive: "P-DATA-indication"; readonly pdu: PDataTf }
  | { readonly primitive: "A-RELEASE-indication"; readonly collision: boolean }
  | { readonly primitive: "A-RELEASE-confirm" }
  /** The peer's user aborted (A-ABORT PDU with source 0). */
  | { readonly primitive: "A-ABORT-indication"; readonly pdu: AAbort }
  /** The provider aborted: the peer's provider (A-ABORT source 2), ours (AA-8), or the transport closed (AA-4). */
  | { readonly primitive: "A-P-ABORT-indication"; readonly source: number; readonly reason: number; readonly cause: string };

/** What an action asks the driver to do, in order. The driver is the only place with sockets and timers. */
export type Effect =
  | { readonly kind: "connect" }
  | { readonly kind: "send"; readonly pdu: Pdu }
  | { readonly kind: "send-bytes"; readonly bytes: readonly Uint8Array[]; readonly written?: () => void }
  /** Start, or restart when already running (PS3.8 AA-1). */
  | { readonly kind: "start-artim" }
  | { readonly kind: "stop-artim" }
  | { readonly kind: "close-transport" }
  | { readonly kind: "indicate"; readonly indication: Indication };
