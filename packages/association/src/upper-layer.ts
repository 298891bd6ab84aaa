import {
  AbortReason,
  AbortSource,
  AssociateRjResult,
  AssociateRjSource,
  DICOM_APPLICATION_CONTEXT,
  PduDecodeError,
  PduErrorCode,
  PduType,
  aeTitleProblem,
  decodePdu,
  decodePDataTfPieces,
  encodePdu,
  type AAssociateRq,
  type Pdu,
  type PduPieces,
} from "@dicomtls/pdu-codec";
import { AssociationError, AssociationErrorCode } from "./errors.js";
import type { Effect, Indication } from "./fsm/effects.js";
import { EVENT_DESCRIPTIONS, type FsmEvent, type ProviderRejection } from "./fsm/events.js";
import { STATE_DESCRIPTIONS, type StateName } from "./fsm/states.js";
import { isLocalUserEvent, transition } from "./fsm/transition-table.js";
import type { Transport, TransportSink } from "./transport/transport.js";

/** Receives what the upper layer has to tell its user (the association). */
export interface UpperLayerUser {
  indication(indication: Indication): void;
  /** The peer sent something undecodable (Evt19 follows). */
  pduError?(error: PduDecodeError): void;
  /** AE-1: open the transport connection, then dispatch Evt2 (or Evt17 when it fails). */
  connect?(): void;
  /** The machine is back in Sta1. */
  ended(): void;
  /** The provider refused an A-ASSOCIATE-RQ itself (AE-6), before the user saw it; `why` names the field at fault. */
  providerRejected?(rq: AAssociateRq, rejection: ProviderRejection, why: string): void;
  /**
   * Our own code threw while handling this connection (a bug, not the peer's fault): the association is being
   * aborted and the connection closed. Called once per connection.
   */
  internalError?(error: unknown): void;
}

export interface UpperLayerOptions {
  readonly isRequestor: boolean;
  /** PS3.8 §9.1.4 ARTIM. */
  readonly artimMs: number;
  /** How long a gracefully ended connection may stay half-open before it is destroyed. */
  readonly closeGraceMs?: number;
}

/** PS3.8 Table 9-21 reasons for the service-user source. */
const APPLICATION_CONTEXT_NOT_SUPPORTED = 2;
const CALLING_AE_NOT_RECOGNIZED = 3;
const CALLED_AE_NOT_RECOGNIZED = 7;

/**
 * PS3.8 §9.3.2 / AE-6: what the provider itself refuses before the user sees the request. An AE title that cannot
 * be one (control bytes, backslash, empty) is "not recognized" (Table 9-21): it is never echoed into the AC.
 */
export function providerCheck(pdu: AAssociateRq): { readonly rejection: ProviderRejection; readonly why: string } | undefined {
  if ((pdu.protocolVersion & 1) === 0) {
    const rejection = { result: AssociateRjResult.RejectedPermanent, source: AssociateRjSource.ServiceProviderAcse, reason: 2 };
    return { rejection, why: `protocol version 0x${pdu.protocolVersion.toString(16)} does not have bit 0 set (PS3.8 §9.3.2)` };
  }
  if (pdu.applicationContextName !== DICOM_APPLICATION_CONTEXT) {
    // PS3.7 Annex A.2.1: the DICOM application context is the only one; the AC could not honour another.
    const rejection = { result: AssociateRjResult.RejectedPermanent, source: AssociateRjSource.ServiceUser, reason: APPLICATION_CONTEXT_NOT_SUPPORTED };
    return { rejection, why: `application context name ${JSON.stringify(pdu.applicationContextName)} is not DICOM's ${DICOM_APPLICATION_CONTEXT}` };
  }
  const called = aeTitleProblem(pdu.calledAeTitle);
  const calling = aeTitleProblem(pdu.callingAeTitle);
  if (called === undefined && calling === undefined) return undefined;
  const reason = calling !== undefined ? CALLING_AE_NOT_RECOGNIZED : CALLED_AE_NOT_RECOGNIZED;
  const field = calling !== undefined ? `calling AE title ${JSON.stringify(pdu.callingAeTitle)}` : `called AE title ${JSON.stringify(pdu.calledAeTitle)}`;
  return {
    rejection: { result: AssociateRjResult.RejectedPermanent, source: AssociateRjSource.ServiceUser, reason },
    why: `the ${field} cannot be an AE title: ${calling ?? called ?? ""}`,
  };
}

function eventForPdu(pdu: Pdu, refused: (rq: AAssociateRq, rejection: ProviderRejection, why: string) => void): FsmEvent {
  switch (pdu.type) {
    case PduType.AAssociateRq: {
      const check = providerCheck(pdu);
      if (check === undefined) return { name: "Evt6", pdu };
      refused(pdu, check.rejection, check.why);
      return { name: "Evt6", pdu, providerRejection: check.rejection };
    }
    case PduType.AAssociateAc:
      return { name: "Evt3", pdu };
    case PduType.AAssociateRj:
      return { name: "Evt4", pdu };
    case PduType.PDataTf:
      return { name: "Evt10", pdu };
    case PduType.AReleaseRq:
      return { name: "Evt12", pdu };
    case PduType.AReleaseRp:
      return { name: "Evt13", pdu };
    case PduType.AAbort:
      return { name: "Evt16", pdu };
  }
}

/** PS3.8 Table 9-26 reason for an undecodable PDU. */
function abortReasonFor(error: PduDecodeError): number {
  return error.code === PduErrorCode.UnknownType ? AbortReason.UnrecognizedPdu : AbortReason.InvalidPduParameterValue;
}

interface Queued {
  readonly event: FsmEvent;
  readonly resolve: (writes: Promise<void>) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The DICOM Upper Layer provider of one connection: feeds events to the table-driven machine and carries out the
 * effects (writes, ARTIM, closing, indications). Events raised while effects run (an indication handler that
 * answers at once) are queued, so every transition sees the state the previous one left.
 */
export class UpperLayer implements TransportSink {
  #state: StateName = "Sta1";
  #transport: Transport | undefined;
  #user: UpperLayerUser;
  readonly #options: UpperLayerOptions;
  #artim: NodeJS.Timeout | undefined;
  readonly #queue: Queued[] = [];
  #running = false;
  #started = false;
  #failed = false;

  constructor(options: UpperLayerOptions, user: UpperLayerUser) {
    this.#options = options;
    this.#user = user;
  }

  get state(): StateName {
    return this.#state;
  }

  get transport(): Transport | undefined {
    return this.#transport;
  }

  get isRequestor(): boolean {
    return this.#options.isRequestor;
  }

  setUser(user: UpperLayerUser): void {
    this.#user = user;
  }

  attach(transport: Transport): void {
    this.#transport = transport;
  }

  /**
   * Runs one event. Resolves once the PDUs its action wrote were accepted by the socket (P-DATA callers await this
   * for backpressure). Rejects with ERR_DICOM_INVALID_STATE when the local user asks for something the current state
   * does not allow.
   */
  dispatch(event: FsmEvent): Promise<void> {
    if (this.#running) {
      return new Promise<Promise<void>>((resolve, reject) => {
        this.#queue.push({ event, resolve, reject });
      }).then((writes) => writes);
    }
    try {
      return this.#runNow(event) ?? Promise.resolve();
    } catch (err) {
      // What #step throws (the invalid-state AssociationError, or a bug's error) rejects, as the queued path does.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Runs `event` at once (nothing else is running: no queue entry and promise around it, issue 13), then the events
   * its effects raised. Throws what the event's own step threw.
   */
  #runNow(event: FsmEvent): Promise<void> | undefined {
    this.#running = true;
    try {
      return this.#step(event);
    } finally {
      try {
        for (let q = this.#queue.shift(); q !== undefined; q = this.#queue.shift()) {
          try {
            q.resolve(this.#step(q.event) ?? Promise.resolve());
          } catch (err) {
            q.reject(err);
          }
        }
      } finally {
        this.#running = false;
      }
    }
  }

  /** One transition and its effects; the promise of the writes to wait for, undefined when there are none. */
  #step(event: FsmEvent): Promise<void> | undefined {
    const from = this.#state;
    const t = transition(from, event, { isRequestor: this.#options.isRequestor });
    if (t.action === undefined) {
      if (isLocalUserEvent(event.name)) {
        throw new AssociationError(
          AssociationErrorCode.InvalidState,
          `cannot do "${EVENT_DESCRIPTIONS[event.name]}" now: the association is in ${from} (${STATE_DESCRIPTIONS[from]})`,
        );
      }
      // PS3.8: an empty cell is no action (e.g. the socket closing after we already went idle).
      return undefined;
    }
    this.#state = t.next;
    if (from === "Sta1") this.#started = true;
    const writes: Array<Promise<void>> = [];
    for (const effect of t.effects) this.#execute(effect, writes);
    if (t.next === "Sta1" && this.#started) {
      this.#stopArtim();
      this.#user.ended();
    }
    return writes.length === 0 ? undefined : writes.length === 1 ? writes[0] : Promise.all(writes).then(() => undefined);
  }

  #execute(effect: Effect, writes: Array<Promise<void>>): void {
    switch (effect.kind) {
      case "connect":
        this.#user.connect?.();
        return;
      case "send":
      case "send-bytes": {
        const transport = this.#transport;
        if (transport === undefined) return;
        const bytes = effect.kind === "send" ? [encodePdu(effect.pdu)] : effect.bytes;
        const written = effect.kind === "send-bytes" && effect.written !== undefined ? transport.write(bytes, effect.written) : transport.write(bytes);
        if (effect.kind === "send") {
          // Control PDUs need no backpressure; a failed write means the connection is gone and Evt17 follows.
          written.catch(() => undefined);
        } else {
          writes.push(written);
        }
        return;
      }
      case "start-artim":
        this.#stopArtim();
        this.#artim = setTimeout(() => {
          this.#artim = undefined;
          this.#dispatchFromProvider({ name: "Evt18" });
        }, this.#options.artimMs);
        return;
      case "stop-artim":
        this.#stopArtim();
        return;
      case "close-transport":
        this.#transport?.close(this.#options.closeGraceMs ?? 2_000);
        return;
      case "indicate":
        this.#user.indication(effect.indication);
        return;
    }
  }

  #stopArtim(): void {
    if (this.#artim !== undefined) clearTimeout(this.#artim);
    this.#artim = undefined;
  }

  // --- TransportSink --------------------------------------------------------------------------

  /**
   * The per-connection error boundary: an exception out of our own code (codec, state machine, the user's
   * indication handlers) aborts this association (A-ABORT, service-provider source, reason not specified), closes
   * the connection and ends the machine, so the process and every other association carry on.
   */
  failInternally(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    const user = this.#user;
    try {
      user.internalError?.(error);
    } catch {
      // Reporting must not stop the clean-up below.
    }
    const wasRunning = this.#state !== "Sta1";
    this.#stopArtim();
    this.#queue.splice(0).forEach((q) => q.reject(error));
    this.#state = "Sta1";
    const transport = this.#transport;
    if (transport !== undefined) {
      const abort = encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceProvider, reason: AbortReason.NotSpecified });
      if (wasRunning) transport.write([abort]).catch(() => undefined);
      transport.close(this.#options.closeGraceMs ?? 2_000);
    }
    if (!wasRunning || !this.#started) return;
    const cause = `internal error: ${error instanceof Error ? error.message : String(error)}`;
    try {
      user.indication({ primitive: "A-P-ABORT-indication", source: AbortSource.ServiceProvider, reason: AbortReason.NotSpecified, cause });
    } catch {
      // The user is told through ended() below either way.
    }
    try {
      user.ended();
    } catch {
      // Nothing is left to tell.
    }
  }

  /** Events from the peer, the transport and ARTIM: nobody awaits them, so a failure goes to the boundary. */
  #dispatchFromProvider(event: FsmEvent): void {
    if (this.#failed) return;
    if (this.#running) {
      this.dispatch(event).catch((err: unknown) => this.failInternally(err));
      return;
    }
    try {
      // Peer and transport events write nothing awaited (only Evt9 does): there is rarely a promise to watch.
      this.#runNow(event)?.catch((err: unknown) => this.failInternally(err));
    } catch (err) {
      this.failInternally(err);
    }
  }

  pdu(bytes: Buffer): void {
    if (this.#failed) return;
    let event: FsmEvent;
    try {
      event = eventForPdu(decodePdu(bytes), (rq, rejection, why) => this.#user.providerRejected?.(rq, rejection, why));
    } catch (err) {
      if (err instanceof PduDecodeError) this.framingError(err);
      else this.failInternally(err);
      return;
    }
    this.#dispatchFromProvider(event);
  }

  /** A P-DATA-TF that spanned socket reads, decoded from its pieces without joining them (issue 13). */
  pduPieces(pdu: PduPieces): void {
    if (this.#failed) return;
    let event: FsmEvent;
    try {
      event = { name: "Evt10", pdu: decodePDataTfPieces(pdu.pieces) };
    } catch (err) {
      if (err instanceof PduDecodeError) this.framingError(err);
      else this.failInternally(err);
      return;
    }
    this.#dispatchFromProvider(event);
  }

  framingError(error: PduDecodeError): void {
    if (this.#failed) return;
    try {
      this.#user.pduError?.(error);
    } catch (err) {
      this.failInternally(err);
      return;
    }
    this.#dispatchFromProvider({ name: "Evt19", reason: abortReasonFor(error), detail: error.message });
  }

  internalError(error: unknown): void {
    this.failInternally(error);
  }

  closed(): void {
    if (this.#failed) return;
    this.#dispatchFromProvider({ name: "Evt17" });
  }
}
