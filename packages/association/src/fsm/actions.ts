import { AbortReason, AbortSource, PduType } from "@dicomtls/pdu-codec";
import type { Effect } from "./effects.js";
import type { FsmEvent } from "./events.js";
import type { StateName } from "./states.js";

/** Which end of the association this machine is; only AR-8 looks at it (PS3.8 Table 9-8). */
export interface FsmContext {
  readonly isRequestor: boolean;
}

export interface ActionResult {
  readonly next: StateName;
  readonly effects: readonly Effect[];
}

/** PS3.8 §9.2.3 action names as the standard writes them. */
export type ActionName =
  | "AE-1" | "AE-2" | "AE-3" | "AE-4" | "AE-5" | "AE-6" | "AE-7" | "AE-8"
  | "DT-1" | "DT-2"
  | "AR-1" | "AR-2" | "AR-3" | "AR-4" | "AR-5" | "AR-6" | "AR-7" | "AR-8" | "AR-9" | "AR-10"
  | "AA-1" | "AA-2" | "AA-3" | "AA-4" | "AA-5" | "AA-6" | "AA-7" | "AA-8";

export interface Action {
  readonly name: ActionName;
  /** The standard's wording, shortened. */
  readonly description: string;
  /** Every state this action can lead to (two only for AE-6 and AR-8). */
  readonly nextStates: readonly StateName[];
  readonly run: (event: FsmEvent, context: FsmContext) => ActionResult;
}

function action(name: ActionName, description: string, nextStates: readonly StateName[], run: Action["run"]): Action {
  return Object.freeze({ name, description, nextStates, run });
}

function fixed(name: ActionName, description: string, next: StateName, effects: (event: FsmEvent) => readonly Effect[]): Action {
  return action(name, description, [next], (event) => ({ next, effects: effects(event) }));
}

function unexpected(event: FsmEvent): string {
  return `unexpected ${event.name}`;
}

/** Reason for a provider A-ABORT caused by `event`: Evt19 carries its own, any other PDU was valid but unexpected. */
function providerReason(event: FsmEvent): number {
  return event.name === "Evt19" ? event.reason : AbortReason.UnexpectedPdu;
}

function abortPdu(source: number, reason: number): Effect {
  return { kind: "send", pdu: { type: PduType.AAbort, source, reason } };
}

function pduOf<N extends FsmEvent["name"]>(event: FsmEvent, name: N): Extract<FsmEvent, { name: N }> {
  if (event.name !== name) throw new TypeError(`state machine: action expected ${name}, got ${event.name}`);
  return event as Extract<FsmEvent, { name: N }>;
}

function sendBytes(e: Extract<FsmEvent, { name: "Evt9" }>): Effect {
  return e.written === undefined ? { kind: "send-bytes", bytes: e.bytes } : { kind: "send-bytes", bytes: e.bytes, written: e.written };
}

// --- PS3.8 Table 9-6: Association establishment related actions -----------------------------------

export const AE_1 = fixed("AE-1", "Issue TRANSPORT CONNECT request primitive to local transport service", "Sta4", () => [
  { kind: "connect" },
]);

export const AE_2 = fixed("AE-2", "Send A-ASSOCIATE-RQ PDU", "Sta5", (e) => [{ kind: "send", pdu: pduOf(e, "Evt2").pdu }]);

export const AE_3 = fixed("AE-3", "Issue A-ASSOCIATE confirmation (accept) primitive", "Sta6", (e) => [
  { kind: "indicate", indication: { primitive: "A-ASSOCIATE-confirm-accept", pdu: pduOf(e, "Evt3").pdu } },
]);

export const AE_4 = fixed("AE-4", "Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection", "Sta1", (e) => [
  { kind: "indicate", indication: { primitive: "A-ASSOCIATE-confirm-reject", pdu: pduOf(e, "Evt4").pdu } },
  { kind: "close-transport" },
]);

/** The connection is already accepted by the time the driver sees it, so the "transport connection response" is implicit. */
export const AE_5 = fixed("AE-5", "Issue transport connection response primitive; start ARTIM timer", "Sta2", () => [
  { kind: "start-artim" },
]);

export const AE_6 = action(
  "AE-6",
  "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider issue A-ASSOCIATE indication primitive, " +
    "otherwise issue A-ASSOCIATE-RJ-PDU and start ARTIM timer",
  ["Sta3", "Sta13"],
  (e) => {
    const evt = pduOf(e, "Evt6");
    if (evt.providerRejection === undefined) {
      return {
        next: "Sta3",
        effects: [{ kind: "stop-artim" }, { kind: "indicate", indication: { primitive: "A-ASSOCIATE-indication", pdu: evt.pdu } }],
      };
    }
    const { result, source, reason } = evt.providerRejection;
    return {
      next: "Sta13",
      effects: [{ kind: "stop-artim" }, { kind: "send", pdu: { type: PduType.AAssociateRj, result, source, reason } }, { kind: "start-artim" }],
    };
  },
);

export const AE_7 = fixed("AE-7", "Send A-ASSOCIATE-AC PDU", "Sta6", (e) => [{ kind: "send", pdu: pduOf(e, "Evt7").pdu }]);

export const AE_8 = fixed("AE-8", "Send A-ASSOCIATE-RJ PDU and start ARTIM timer", "Sta13", (e) => [
  { kind: "send", pdu: pduOf(e, "Evt8").pdu },
  { kind: "start-artim" },
]);

// --- PS3.8 Table 9-7: Data transfer related actions ----------------------------------------------

export const DT_1 = fixed("DT-1", "Send P-DATA-TF PDU", "Sta6", (e) => [sendBytes(pduOf(e, "Evt9"))]);

export const DT_2 = fixed("DT-2", "Send P-DATA indication primitive", "Sta6", (e) => [
  { kind: "indicate", indication: { primitive: "P-DATA-indication", pdu: pduOf(e, "Evt10").pdu } },
]);

// --- PS3.8 Table 9-8: Association release related actions ----------------------------------------

export const AR_1 = fixed("AR-1", "Send A-RELEASE-RQ PDU", "Sta7", () => [{ kind: "send", pdu: { type: PduType.AReleaseRq } }]);

export const AR_2 = fixed("AR-2", "Issue A-RELEASE indication primitive", "Sta8", () => [
  { kind: "indicate", indication: { primitive: "A-RELEASE-indication", collision: false } },
]);

export const AR_3 = fixed("AR-3", "Issue A-RELEASE confirmation primitive, and close transport connection", "Sta1", () => [
  { kind: "indicate", indication: { primitive: "A-RELEASE-confirm" } },
  { kind: "close-transport" },
]);

export const AR_4 = fixed("AR-4", "Issue A-RELEASE-RP PDU and start ARTIM timer", "Sta13", () => [
  { kind: "send", pdu: { type: PduType.AReleaseRp } },
  { kind: "start-artim" },
]);

export const AR_5 = fixed("AR-5", "Stop ARTIM timer", "Sta1", () => [{ kind: "stop-artim" }]);

export const AR_6 = fixed("AR-6", "Issue P-DATA indication", "Sta7", (e) => [
  { kind: "indicate", indication: { primitive: "P-DATA-indication", pdu: pduOf(e, "Evt10").pdu } },
]);

export const AR_7 = fixed("AR-7", "Issue P-DATA-TF PDU", "Sta8", (e) => [sendBytes(pduOf(e, "Evt9"))]);

export const AR_8 = action(
  "AR-8",
  "Issue A-RELEASE indication (release collision): if association-requestor, next state is Sta9, if not Sta10",
  ["Sta9", "Sta10"],
  (_e, context) => ({
    next: context.isRequestor ? "Sta9" : "Sta10",
    effects: [{ kind: "indicate", indication: { primitive: "A-RELEASE-indication", collision: true } }],
  }),
);

export const AR_9 = fixed("AR-9", "Send A-RELEASE-RP PDU", "Sta11", () => [{ kind: "send", pdu: { type: PduType.AReleaseRp } }]);

export const AR_10 = fixed("AR-10", "Issue A-RELEASE confirmation primitive", "Sta12", () => [
  { kind: "indicate", indication: { primitive: "A-RELEASE-confirm" } },
]);

// --- PS3.8 Table 9-9: Association abort related actions ------------------------------------------

/**
 * The standard says "service-user source". We keep that for the local user's abort (Evt15), but when AA-1 answers a
 * peer's PDU in Sta2 the fault is the peer's protocol, so the A-ABORT says source 2 with a Table 9-26 reason (which
 * only exists for source 2), as pynetdicom and DCMTK also do.
 */
export const AA_1 = fixed("AA-1", "Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer", "Sta13", (e) => {
  const send =
    e.name === "Evt15"
      ? abortPdu(e.source ?? AbortSource.ServiceUser, e.reason ?? AbortReason.NotSpecified)
      : abortPdu(AbortSource.ServiceProvider, providerReason(e));
  return [send, { kind: "start-artim" }];
});

export const AA_2 = fixed("AA-2", "Stop ARTIM timer if running. Close transport connection", "Sta1", () => [
  { kind: "stop-artim" },
  { kind: "close-transport" },
]);

export const AA_3 = fixed(
  "AA-3",
  "If (service-user initiated abort) issue A-ABORT indication and close transport connection, otherwise " +
    "(service-provider initiated abort) issue A-P-ABORT indication and close transport connection",
  "Sta1",
  (e) => {
    const pdu = pduOf(e, "Evt16").pdu;
    return [
      {
        kind: "indicate",
        indication:
          pdu.source === AbortSource.ServiceUser
            ? { primitive: "A-ABORT-indication", pdu }
            : { primitive: "A-P-ABORT-indication", source: pdu.source, reason: pdu.reason, cause: "the peer's provider sent A-ABORT" },
      },
      { kind: "close-transport" },
    ];
  },
);

export const AA_4 = fixed("AA-4", "Issue A-P-ABORT indication primitive", "Sta1", () => [
  {
    kind: "indicate",
    indication: { primitive: "A-P-ABORT-indication", source: AbortSource.ServiceProvider, reason: AbortReason.NotSpecified, cause: "the transport connection closed" },
  },
]);

export const AA_5 = fixed("AA-5", "Stop ARTIM timer", "Sta1", () => [{ kind: "stop-artim" }]);

export const AA_6 = fixed("AA-6", "Ignore PDU", "Sta13", () => []);

export const AA_7 = fixed("AA-7", "Send A-ABORT PDU", "Sta13", (e) => [abortPdu(AbortSource.ServiceProvider, providerReason(e))]);

export const AA_8 = fixed(
  "AA-8",
  "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer",
  "Sta13",
  (e) => {
    const reason = providerReason(e);
    const cause = e.name === "Evt19" ? `invalid PDU: ${e.detail}` : unexpected(e);
    return [
      abortPdu(AbortSource.ServiceProvider, reason),
      { kind: "indicate", indication: { primitive: "A-P-ABORT-indication", source: AbortSource.ServiceProvider, reason, cause } },
      { kind: "start-artim" },
    ];
  },
);

/** Every action by its standard name. */
export const ACTIONS: Readonly<Record<ActionName, Action>> = {
  "AE-1": AE_1,
  "AE-2": AE_2,
  "AE-3": AE_3,
  "AE-4": AE_4,
  "AE-5": AE_5,
  "AE-6": AE_6,
  "AE-7": AE_7,
  "AE-8": AE_8,
  "DT-1": DT_1,
  "DT-2": DT_2,
  "AR-1": AR_1,
  "AR-2": AR_2,
  "AR-3": AR_3,
  "AR-4": AR_4,
  "AR-5": AR_5,
  "AR-6": AR_6,
  "AR-7": AR_7,
  "AR-8": AR_8,
  "AR-9": AR_9,
  "AR-10": AR_10,
  "AA-1": AA_1,
  "AA-2": AA_2,
  "AA-3": AA_3,
  "AA-4": AA_4,
  "AA-5": AA_5,
  "AA-6": AA_6,
  "AA-7": AA_7,
  "AA-8": AA_8,
};
