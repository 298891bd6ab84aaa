import type { AAbort, AAssociateAc, AAssociateRj, AAssociateRq, AReleaseRp, AReleaseRq, PDataTf } from "@dicomtls/pdu-codec";

/** PS3.8 §9.2.2, Table 9-2: the state machine's events, numbered as the rows of Table 9-10. */
export const Event = {
  Evt1: "Evt1",
  Evt2: "Evt2",
  Evt3: "Evt3",
  Evt4: "Evt4",
  Evt5: "Evt5",
  Evt6: "Evt6",
  Evt7: "Evt7",
  Evt8: "Evt8",
  Evt9: "Evt9",
  Evt10: "Evt10",
  Evt11: "Evt11",
  Evt12: "Evt12",
  Evt13: "Evt13",
  Evt14: "Evt14",
  Evt15: "Evt15",
  Evt16: "Evt16",
  Evt17: "Evt17",
  Evt18: "Evt18",
  Evt19: "Evt19",
} as const;
export type EventName = (typeof Event)[keyof typeof Event];
export const EVENT_NAMES: readonly EventName[] = Object.values(Event);

/** PS3.8 Table 9-2 descriptions. */
export const EVENT_DESCRIPTIONS: Readonly<Record<EventName, string>> = {
  Evt1: "A-ASSOCIATE request (local user)",
  Evt2: "Transport connection confirm (local transport service)",
  Evt3: "A-ASSOCIATE-AC PDU (received on transport connection)",
  Evt4: "A-ASSOCIATE-RJ PDU (received on transport connection)",
  Evt5: "Transport connection indication (local transport service)",
  Evt6: "A-ASSOCIATE-RQ PDU (received on transport connection)",
  Evt7: "A-ASSOCIATE response primitive (accept)",
  Evt8: "A-ASSOCIATE response primitive (reject)",
  Evt9: "P-DATA request primitive",
  Evt10: "P-DATA-TF PDU",
  Evt11: "A-RELEASE request primitive",
  Evt12: "A-RELEASE-RQ PDU (received on open transport connection)",
  Evt13: "A-RELEASE-RP PDU (received on transport connection)",
  Evt14: "A-RELEASE response primitive",
  Evt15: "A-ABORT request primitive",
  Evt16: "A-ABORT PDU (received on open transport connection)",
  Evt17: "Transport connection closed indication (local transport service)",
  Evt18: "ARTIM timer expired (Association reject/release timer)",
  Evt19: "Unrecognized or invalid PDU received",
};

/** Events raised by the local user (service primitives); an empty cell for these is API misuse, not peer misbehaviour. */
export const LOCAL_USER_EVENTS: ReadonlySet<EventName> = new Set(["Evt1", "Evt7", "Evt8", "Evt9", "Evt11", "Evt14", "Evt15"]);

/** An A-ASSOCIATE-RJ the provider (not the user) decides on, e.g. an unsupported protocol version (PS3.8 §9.2.3 AE-6). */
export interface ProviderRejection {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

/** One event with the data its action needs. Actions are pure, so everything they send travels in here. */
export type FsmEvent =
  | { readonly name: "Evt1" }
  /** The A-ASSOCIATE-RQ to send once the connection is up (AE-2). */
  | { readonly name: "Evt2"; readonly pdu: AAssociateRq }
  | { readonly name: "Evt3"; readonly pdu: AAssociateAc }
  | { readonly name: "Evt4"; readonly pdu: AAssociateRj }
  | { readonly name: "Evt5" }
  /** `providerRejection` set means the provider refuses the RQ itself (AE-6, second branch). */
  | { readonly name: "Evt6"; readonly pdu: AAssociateRq; readonly providerRejection?: ProviderRejection }
  | { readonly name: "Evt7"; readonly pdu: AAssociateAc }
  | { readonly name: "Evt8"; readonly pdu: AAssociateRj }
  /**
   * One encoded P-DATA-TF PDU (header and PDV slices), or several whole PDUs, written in order. `written` runs once
   * the socket no longer needs the bytes (its write callback), so a caller may reuse the buffer.
   */
  | { readonly name: "Evt9"; readonly bytes: readonly Uint8Array[]; readonly written?: () => void }
  | { readonly name: "Evt10"; readonly pdu: PDataTf }
  | { readonly name: "Evt11" }
  | { readonly name: "Evt12"; readonly pdu: AReleaseRq }
  | { readonly name: "Evt13"; readonly pdu: AReleaseRp }
  | { readonly name: "Evt14" }
  /** Source/reason of the A-ABORT to send; a provider-detected DIMSE protocol error aborts with source 2. */
  | { readonly name: "Evt15"; readonly source?: number; readonly reason?: number }
  | { readonly name: "Evt16"; readonly pdu: AAbort }
  | { readonly name: "Evt17" }
  | { readonly name: "Evt18" }
  /** PS3.8 Table 9-26 reason for the A-ABORT this causes, and what was wrong (for logs). */
  | { readonly name: "Evt19"; readonly reason: number; readonly detail: string };
