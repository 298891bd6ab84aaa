import type { AAssociateAc, AAssociateRq, DimseCommand } from "@dicomtls/pdu-codec";
import { AbortReason, AbortSource } from "@dicomtls/pdu-codec";
import { AssociationCore } from "./association-core.js";
import { ended, indication, pduError } from "./association-inbound.js";
import { request, responses } from "./association-requests.js";
import { diagnostics } from "./diagnostics.js";
import type { DimseMessage, HandlerResult, OutgoingMessage } from "./dimse/message.js";
import type { OutgoingDataset } from "./dimse/outgoing.js";
import { AssociationTimeoutError, type AssociationError } from "./errors.js";
import type { StateName } from "./fsm/states.js";
import { ProgressWatch, StallPhase } from "./progress-watch.js";
import type { AcceptedPresentationContext, PresentationContextOutcome } from "./negotiation/types.js";
import type { PeerInfo } from "./transport/transport.js";
import type { UpperLayer, UpperLayerUser } from "./upper-layer.js";

/** Handles messages the peer sends us that are not responses to our requests (requests, C-CANCEL aside). */
export type MessageHandler = (message: DimseMessage, association: Association) => HandlerResult | Promise<HandlerResult>;

/** How an association ended. */
export type AssociationEnd =
  | { readonly kind: "released" }
  | { readonly kind: "aborted"; readonly error: AssociationError };

export interface RequestOptions {
  /** Bound on the wait for each response (PS3.7 has none; pynetdicom's dimse_timeout). Expiry aborts the association. */
  readonly timeoutMs?: number;
}

/** @internal Everything an Association is built from; made by acceptAssociation / requestAssociation. */
export interface AssociationInit {
  readonly upperLayer: UpperLayer;
  readonly associateRq: AAssociateRq;
  readonly associateAc: AAssociateAc;
  readonly accepted: readonly AcceptedPresentationContext[];
  readonly outcomes: readonly PresentationContextOutcome[];
  readonly maxPduLength: number;
  readonly peerMaxPduLength: number;
  readonly peer: PeerInfo;
  readonly onMessage: MessageHandler | undefined;
  /** Unread data set bytes per message before the socket is paused. Default 4 x our maximum PDU length. */
  readonly datasetHighWaterMark: number | undefined;
  /** Bound on the wait for A-RELEASE-RP. Default DEFAULT_RELEASE_TIMEOUT_MS. */
  readonly releaseTimeoutMs: number | undefined;
  readonly dimseTimeoutMs: number | undefined;
  /** Bound on the time without progress while the peer owes us something (any phase); 0 or absent: none. */
  readonly progressTimeoutMs?: number;
}

/**
 * An established association (PS3.8 §7.1), either end. Sends and receives DIMSE messages on the accepted
 * presentation contexts: `request()` for a request and its final response, `responses()` for every response
 * (C-FIND, C-GET pending ...), `onMessage` (given when it was opened) for what the peer asks of us.
 * Messages go out one after another, each one's PDUs contiguous, each PDU awaited for socket drain.
 * Its parts live beside it, sharing one private AssociationCore: sending (association-core.ts), requests and their
 * responses (association-requests.ts), what the peer sends (association-inbound.ts); release and abort are here.
 */
export class Association {
  readonly isRequestor: boolean;
  readonly associateRq: AAssociateRq;
  readonly associateAc: AAssociateAc;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly peer: PeerInfo;
  /** Accepted presentation contexts only. */
  readonly contexts: readonly AcceptedPresentationContext[];
  /** Every proposed context with its result. */
  readonly outcomes: readonly PresentationContextOutcome[];
  /** Our receive limit (PS3.8 D.1). */
  readonly maxPduLength: number;
  /** The peer's receive limit, our send limit (0 = none announced). */
  readonly peerMaxPduLength: number;
  /** Resolves (never rejects) once the association is over and the machine is back in Sta1. */
  readonly closed: Promise<AssociationEnd>;

  readonly #core: AssociationCore;
  readonly #ul: UpperLayer;
  #releasing: Promise<void> | undefined;

  /** @internal Use acceptAssociation() or requestAssociation(). */
  constructor(init: AssociationInit) {
    this.#ul = init.upperLayer;
    this.isRequestor = init.upperLayer.isRequestor;
    this.associateRq = init.associateRq;
    this.associateAc = init.associateAc;
    this.callingAeTitle = init.associateRq.callingAeTitle;
    this.calledAeTitle = init.associateRq.calledAeTitle;
    this.peer = init.peer;
    this.contexts = init.accepted;
    this.outcomes = init.outcomes;
    this.maxPduLength = init.maxPduLength;
    this.peerMaxPduLength = init.peerMaxPduLength;
    const core = new AssociationCore(this, init);
    this.#core = core;
    this.closed = new Promise<AssociationEnd>((resolve) => {
      core.settleClosed = resolve;
    });
    const user: UpperLayerUser = {
      indication: (ind) => indication(core, ind),
      pduError: (err) => pduError(core, err),
      ended: () => ended(core),
      internalError: (error) => diagnostics.internalError.publish({ association: this, peer: this.peer, error }),
    };
    this.#ul.setUser(user);
    const progressMs = init.progressTimeoutMs ?? 0;
    if (progressMs > 0) {
      const probe = { progress: () => this.#ul.transport?.activity?.progress ?? 0, waitingFor: () => this.#waitingFor() };
      core.progressWatch = new ProgressWatch(progressMs, probe, (phase) => this.#stalled(phase, progressMs));
    }
  }

  /** The PS3.8 state (Sta6 while usable). */
  get state(): StateName {
    return this.#ul.state;
  }

  /** True while messages can be sent (Sta6). */
  get isEstablished(): boolean {
    return this.#ul.state === "Sta6";
  }

  /** The first accepted context for a SOP class (and transfer syntax, when given). */
  findContext(abstractSyntax: string, transferSyntax?: string): AcceptedPresentationContext | undefined {
    return this.contexts.find((c) => c.abstractSyntax === abstractSyntax && (transferSyntax === undefined || c.transferSyntax === transferSyntax));
  }

  /** A fresh Message ID (PS3.7 §9.1.1.1.1: unique among outstanding requests), 1..65535 then wraps. */
  nextMessageId(): number {
    return this.#core.nextMessageId();
  }

  /**
   * Sends one message; resolves when its last PDU was handed to the socket. Messages queue behind each other so
   * that a message's PDUs are never interleaved with another's.
   */
  send(message: OutgoingMessage): Promise<void> {
    return this.#core.send(message);
  }

  /**
   * Sends a request and yields each response as it arrives, ending after the final one (status not Pending).
   * The Message ID is assigned when the command has none.
   */
  responses(contextId: number, command: DimseCommand, dataset?: OutgoingDataset, options: RequestOptions = {}): AsyncGenerator<DimseMessage, void, undefined> {
    return responses(this.#core, contextId, command, dataset, options);
  }

  /**
   * Sends a request and resolves with its final response; pending responses are skipped. The loop of responses()
   * without an async generator around it (one per C-ECHO or C-STORE, issue 13).
   */
  request(contextId: number, command: DimseCommand, dataset?: OutgoingDataset, options: RequestOptions = {}): Promise<DimseMessage> {
    return request(this.#core, contextId, command, dataset, options);
  }

  /**
   * PS3.8 §7.2 A-RELEASE: waits for queued messages to go out, sends A-RELEASE-RQ and resolves when the peer
   * confirmed and the connection closed. Aborts when the peer does not answer within the release timeout.
   */
  release(): Promise<void> {
    this.#releasing ??= this.#release();
    return this.#releasing;
  }

  async #release(): Promise<void> {
    const core = this.#core;
    await core.writer;
    if (core.end !== undefined) {
      if (core.end.kind === "released") return;
      throw core.end.error;
    }
    await this.#ul.dispatch({ name: "Evt11" });
    const timer = setTimeout(() => {
      void core.abortWith(
        new AssociationTimeoutError(`${core.peerName()} did not answer A-RELEASE-RQ within ${core.releaseTimeoutMs} ms; the association was aborted`, "release"),
        AbortSource.ServiceUser,
        AbortReason.NotSpecified,
      );
    }, core.releaseTimeoutMs);
    const end = await this.closed;
    clearTimeout(timer);
    if (end.kind === "aborted") throw end.error;
  }

  /** PS3.8 §7.3 A-ABORT (service-user source); resolves once the A-ABORT PDU was handed to the socket. */
  abort(): Promise<void> {
    return this.#core.abort();
  }

  /**
   * Drops the connection at once, without waiting for the peer to close it (a shutdown after the A-ABORT was sent,
   * where ARTIM would otherwise hold the socket for up to its full period).
   */
  destroy(): void {
    this.#ul.transport?.destroy();
  }

  /** What the peer owes us now; undefined while the wait is ours (a handler at work, reading paused by us). */
  #waitingFor(): StallPhase | undefined {
    const activity = this.#ul.transport?.activity;
    if (activity === undefined) return undefined;
    if (activity.writeBlocked) return StallPhase.Sending;
    if (activity.readPaused) return undefined;
    if (this.#core.inboundDataset !== undefined) return StallPhase.Dataset;
    if (this.#core.handling) return undefined;
    const state = this.#ul.state;
    if (state === "Sta6") return StallPhase.Command;
    // Sta13 (closing after an abort) is ARTIM's; Sta1 is over.
    return state === "Sta13" || state === "Sta1" ? undefined : StallPhase.Release;
  }

  #stalled(phase: StallPhase, timeoutMs: number): void {
    // idleMs: the name subscribers of the SCP's former idle timeout read.
    diagnostics.stalled.publish({ association: this, phase, timeoutMs, idleMs: timeoutMs });
    void this.#core.abortWith(
      new AssociationTimeoutError(`no progress from ${this.#core.peerName()} for ${timeoutMs} ms while waiting for ${phase}; the association was aborted`, "progress"),
      AbortSource.ServiceUser,
      AbortReason.NotSpecified,
    ).catch(() => undefined);
  }
}
