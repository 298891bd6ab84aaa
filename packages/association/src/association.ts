import {
  AbortReason,
  AbortSource,
  CommandField,
  NO_DATASET,
  Status,
  encodeCommandPdus,
  type AAssociateAc,
  type AAssociateRq,
  type DimseCommand,
  type PduDecodeError,
} from "@dicomtls/pdu-codec";
import { DEFAULT_MAX_PDU_LENGTH, DEFAULT_RELEASE_TIMEOUT_MS } from "./constants.js";
import { describeAbort } from "./describe.js";
import { diagnostics } from "./diagnostics.js";
import { DatasetStream } from "./dimse/dataset-stream.js";
import { MessageAssembler } from "./dimse/message-assembler.js";
import { ResponseWaiter } from "./dimse/response-waiter.js";
import type { DimseMessage, HandlerResult, OutgoingMessage } from "./dimse/message.js";
import { isOneMessage, onContext, toIterable, unsupported } from "./dimse/handler-result.js";
import { LazyAbort } from "./dimse/lazy-abort.js";
import { datasetPdus, isPrebuiltDataset, joinAdjacent, type OutgoingDataset } from "./dimse/outgoing.js";
import {
  AssociationAbortedError,
  AssociationError,
  AssociationErrorCode,
  AssociationTimeoutError,
  DimseProtocolError,
} from "./errors.js";
import type { Indication } from "./fsm/effects.js";
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

const PENDING = new Set<number>([Status.Pending, Status.PendingWarning]);
/** Bound on requests waiting for the handler before the socket is paused (the peer ignores the async window). */
const MAX_QUEUED_REQUESTS = 8;

function isResponse(command: DimseCommand): boolean {
  return (command.commandField & 0x8000) !== 0;
}

/**
 * An established association (PS3.8 §7.1), either end. Sends and receives DIMSE messages on the accepted
 * presentation contexts: `request()` for a request and its final response, `responses()` for every response
 * (C-FIND, C-GET pending ...), `onMessage` (given when it was opened) for what the peer asks of us.
 * Messages go out one after another, each one's PDUs contiguous, each PDU awaited for socket drain.
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

  readonly #ul: UpperLayer;
  readonly #contexts: ReadonlyMap<number, AcceptedPresentationContext>;
  readonly #assembler: MessageAssembler;
  readonly #onMessage: MessageHandler | undefined;
  readonly #hwm: number;
  readonly #releaseTimeoutMs: number;
  readonly #dimseTimeoutMs: number | undefined;
  #messageId = 0;
  #inboundDataset: DatasetStream | undefined;
  readonly #waiters = new Map<number, ResponseWaiter>();
  readonly #inbox: DimseMessage[] = [];
  #inboxPaused = false;
  #handling = false;
  readonly #cancels = new Map<number, LazyAbort>();
  #writer: Promise<void> = Promise.resolve();
  /** Messages given to send() whose write has not settled; 0: nothing is ahead of the next one. */
  #writing = 0;
  #end: AssociationEnd | undefined;
  #settleClosed!: (end: AssociationEnd) => void;
  #abortError: AssociationError | undefined;
  #peerReleaseRequested = false;
  #releasing: Promise<void> | undefined;
  #progressWatch: ProgressWatch | undefined;

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
    this.#contexts = new Map(init.accepted.map((c) => [c.id, c]));
    this.#assembler = new MessageAssembler(init.accepted);
    this.#onMessage = init.onMessage;
    this.#hwm = init.datasetHighWaterMark ?? 4 * (init.maxPduLength === 0 ? DEFAULT_MAX_PDU_LENGTH : init.maxPduLength);
    this.#releaseTimeoutMs = init.releaseTimeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS;
    this.#dimseTimeoutMs = init.dimseTimeoutMs;
    this.closed = new Promise<AssociationEnd>((resolve) => {
      this.#settleClosed = resolve;
    });
    const user: UpperLayerUser = {
      indication: (ind) => this.#indication(ind),
      pduError: (err) => this.#pduError(err),
      ended: () => this.#ended(),
      internalError: (error) => diagnostics.internalError.publish({ association: this, peer: this.peer, error }),
    };
    this.#ul.setUser(user);
    const progressMs = init.progressTimeoutMs ?? 0;
    if (progressMs > 0) {
      const probe = { progress: () => this.#ul.transport?.activity?.progress ?? 0, waitingFor: () => this.#waitingFor() };
      this.#progressWatch = new ProgressWatch(progressMs, probe, (phase) => this.#stalled(phase, progressMs));
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
    do {
      this.#messageId = (this.#messageId % 0xffff) + 1;
    } while (this.#waiters.has(this.#messageId));
    return this.#messageId;
  }

  /**
   * Sends one message; resolves when its last PDU was handed to the socket. Messages queue behind each other so
   * that a message's PDUs are never interleaved with another's.
   */
  send(message: OutgoingMessage): Promise<void> {
    const contextId = message.presentationContextId;
    if (contextId === undefined || !this.#contexts.has(contextId)) {
      return Promise.reject(
        new AssociationError(
          AssociationErrorCode.InvalidArgument,
          `presentation context ${String(contextId)} was not accepted on this association (accepted: ${[...this.#contexts.keys()].join(", ") || "none"})`,
        ),
      );
    }
    const wantsDataset = message.command.commandDataSetType !== NO_DATASET;
    if (wantsDataset !== (message.dataset !== undefined)) {
      return Promise.reject(
        new AssociationError(
          AssociationErrorCode.InvalidArgument,
          wantsDataset
            ? "the command says a data set follows (Command Data Set Type is not 0x0101) but no dataset was given"
            : "a dataset was given but the command says none follows (Command Data Set Type 0x0101)",
        ),
      );
    }
    if (message.dataset !== undefined && isPrebuiltDataset(message.dataset)) {
      const { presentationContextId: builtFor, maxPduLength: builtMax } = message.dataset;
      const peerMax = this.peerMaxPduLength;
      if (builtFor !== contextId || (peerMax !== 0 && (builtMax === 0 || builtMax > peerMax))) {
        return Promise.reject(
          new AssociationError(
            AssociationErrorCode.InvalidArgument,
            builtFor !== contextId
              ? `the prebuilt PDUs carry presentation context ${builtFor} but the message goes on context ${contextId}`
              : `the prebuilt PDUs were cut for a maximum PDU length of ${builtMax || "unlimited"} but ${this.#peerName()} accepts at most ${peerMax}`,
          ),
        );
      }
    }
    this.#writing++;
    const settled = (): void => {
      this.#writing--;
    };
    // Nothing ahead of a message without a data set (a response, a C-ECHO-RQ): its command goes out at once, with no
    // promise chain in front of it (issue 13: per-message overhead). Its PDUs are whole and written in one go.
    const run = this.#writing === 1 && message.dataset === undefined ? this.#writeCommand(contextId, message.command) : this.#writer.then(() => this.#write(contextId, message.command, message.dataset));
    this.#writer = run.then(settled, settled);
    return run;
  }

  /** The command set's PDUs (whole, usually one) in one P-DATA request; resolves once the socket accepted them. */
  #writeCommand(contextId: number, command: DimseCommand): Promise<void> {
    if (this.#end !== undefined) return Promise.reject(this.#endError());
    let bytes: readonly Uint8Array[];
    try {
      bytes = encodeCommandPdus(contextId, command, this.peerMaxPduLength);
    } catch (err) {
      // encodeCommandPdus throws PduEncodeError only.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#ul.dispatch({ name: "Evt9", bytes });
  }

  async #write(contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined): Promise<void> {
    await this.#writeCommand(contextId, command);
    if (dataset === undefined) return;
    const max = this.peerMaxPduLength;
    try {
      if (isPrebuiltDataset(dataset)) {
        // One write per batch (whole PDUs, contiguous); the batch buffer goes back for reuse once the socket is done with it.
        for await (const batch of dataset.batches) await this.#ul.dispatch({ name: "Evt9", bytes: joinAdjacent(batch.pdus), written: () => batch.release() });
      } else {
        for await (const pdu of datasetPdus(contextId, dataset, max)) await this.#ul.dispatch({ name: "Evt9", bytes: pdu });
      }
    } catch (err) {
      // Half a message is on the wire: the only way out PS3.8 leaves is an abort.
      if (this.isEstablished) await this.abort().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Sends a request and yields each response as it arrives, ending after the final one (status not Pending).
   * The Message ID is assigned when the command has none.
   */
  async *responses(contextId: number, command: DimseCommand, dataset?: OutgoingDataset, options: RequestOptions = {}): AsyncGenerator<DimseMessage, void, undefined> {
    const { message, waiter, timeoutMs } = this.#openRequest(contextId, command, dataset, options);
    const messageId = message.command.messageId ?? 0;
    let previous: DimseMessage | undefined;
    try {
      await this.send(message);
      for (;;) {
        // A dataset the caller did not read would hold the socket paused and block the next response.
        if (previous?.dataset !== undefined) await previous.dataset.discard();
        const next = await this.#withTimeout(waiter.next(), timeoutMs, messageId);
        if (next === undefined) return;
        previous = next;
        yield next;
      }
    } finally {
      waiter.abandon();
      if (previous?.dataset !== undefined && !previous.dataset.complete) void previous.dataset.discard();
    }
  }

  /**
   * Sends a request and resolves with its final response; pending responses are skipped. The loop of responses()
   * without an async generator around it (one per C-ECHO or C-STORE, issue 13).
   */
  async request(contextId: number, command: DimseCommand, dataset?: OutgoingDataset, options: RequestOptions = {}): Promise<DimseMessage> {
    const { message, waiter, timeoutMs } = this.#openRequest(contextId, command, dataset, options);
    const messageId = message.command.messageId ?? 0;
    let last: DimseMessage | undefined;
    try {
      await this.send(message);
      for (;;) {
        if (last?.dataset !== undefined) await last.dataset.discard();
        const next = await this.#withTimeout(waiter.next(), timeoutMs, messageId);
        if (next === undefined) break;
        last = next;
      }
    } finally {
      waiter.abandon();
      if (last?.dataset !== undefined && !last.dataset.complete) void last.dataset.discard();
    }
    if (last === undefined) throw this.#endError();
    return last;
  }

  /** The request with its Message ID (assigned when the command has none) and the waiter of its responses. */
  #openRequest(contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined, options: RequestOptions): { message: OutgoingMessage; waiter: ResponseWaiter; timeoutMs: number | undefined } {
    const messageId = command.messageId ?? this.nextMessageId();
    if (this.#waiters.has(messageId)) {
      throw new AssociationError(AssociationErrorCode.InvalidArgument, `Message ID ${messageId} is already outstanding on this association`);
    }
    const rq: DimseCommand = command.messageId === messageId ? command : { ...command, messageId };
    const waiter = new ResponseWaiter((pressed) => (pressed ? this.#ul.transport?.pause() : this.#ul.transport?.resume()));
    this.#waiters.set(messageId, waiter);
    const message: OutgoingMessage = dataset === undefined ? { presentationContextId: contextId, command: rq } : { presentationContextId: contextId, command: rq, dataset };
    return { message, waiter, timeoutMs: options.timeoutMs ?? this.#dimseTimeoutMs };
  }

  /** `p`, or its race with the DIMSE timeout when there is one (no async wrapper per response without). */
  #withTimeout<T>(p: Promise<T>, timeoutMs: number | undefined, messageId: number): Promise<T> {
    return timeoutMs === undefined ? p : this.#raceTimeout(p, timeoutMs, messageId);
  }

  async #raceTimeout<T>(p: Promise<T>, timeoutMs: number, messageId: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new AssociationTimeoutError(
          `no response to message ${messageId} from ${this.#peerName()} within ${timeoutMs} ms; the association was aborted`,
          "dimse",
        );
        void this.#abortWith(err, AbortSource.ServiceUser, AbortReason.NotSpecified);
        reject(err);
      }, timeoutMs);
    });
    try {
      return await Promise.race([p, expired]);
    } finally {
      clearTimeout(timer);
    }
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
    await this.#writer;
    if (this.#end !== undefined) {
      if (this.#end.kind === "released") return;
      throw this.#end.error;
    }
    await this.#ul.dispatch({ name: "Evt11" });
    const timer = setTimeout(() => {
      void this.#abortWith(
        new AssociationTimeoutError(`${this.#peerName()} did not answer A-RELEASE-RQ within ${this.#releaseTimeoutMs} ms; the association was aborted`, "release"),
        AbortSource.ServiceUser,
        AbortReason.NotSpecified,
      );
    }, this.#releaseTimeoutMs);
    const end = await this.closed;
    clearTimeout(timer);
    if (end.kind === "aborted") throw end.error;
  }

  /** PS3.8 §7.3 A-ABORT (service-user source); resolves once the A-ABORT PDU was handed to the socket. */
  abort(): Promise<void> {
    return this.#abortWith(
      new AssociationAbortedError(`we aborted the association with ${this.#peerName()}`, { source: AbortSource.ServiceUser, reason: 0, byPeer: false }),
      AbortSource.ServiceUser,
      AbortReason.NotSpecified,
    );
  }

  /**
   * Drops the connection at once, without waiting for the peer to close it (a shutdown after the A-ABORT was sent,
   * where ARTIM would otherwise hold the socket for up to its full period).
   */
  destroy(): void {
    this.#ul.transport?.destroy();
  }

  async #abortWith(error: AssociationError, source: number, reason: number): Promise<void> {
    if (this.#end !== undefined || this.#ul.state === "Sta1") return;
    this.#abortError ??= error;
    this.#failAll(error);
    // Callers often do not await (timers): a state that no longer takes an abort must not become an unhandled rejection.
    await this.#ul.dispatch({ name: "Evt15", source, reason }).catch((err: unknown) => {
      if (!(err instanceof AssociationError)) this.#ul.failInternally(err);
    });
  }

  /** What the peer owes us now; undefined while the wait is ours (a handler at work, reading paused by us). */
  #waitingFor(): StallPhase | undefined {
    const activity = this.#ul.transport?.activity;
    if (activity === undefined) return undefined;
    if (activity.writeBlocked) return StallPhase.Sending;
    if (activity.readPaused) return undefined;
    if (this.#inboundDataset !== undefined) return StallPhase.Dataset;
    if (this.#handling) return undefined;
    const state = this.#ul.state;
    if (state === "Sta6") return StallPhase.Command;
    // Sta13 (closing after an abort) is ARTIM's; Sta1 is over.
    return state === "Sta13" || state === "Sta1" ? undefined : StallPhase.Release;
  }

  #stalled(phase: StallPhase, timeoutMs: number): void {
    // idleMs: the name subscribers of the SCP's former idle timeout read.
    diagnostics.stalled.publish({ association: this, phase, timeoutMs, idleMs: timeoutMs });
    void this.#abortWith(
      new AssociationTimeoutError(`no progress from ${this.#peerName()} for ${timeoutMs} ms while waiting for ${phase}; the association was aborted`, "progress"),
      AbortSource.ServiceUser,
      AbortReason.NotSpecified,
    ).catch(() => undefined);
  }

  #peerName(): string {
    return `${this.isRequestor ? this.calledAeTitle : this.callingAeTitle} (${this.peer.address}:${this.peer.port})`;
  }

  #endError(): AssociationError {
    if (this.#end?.kind === "aborted") return this.#end.error;
    if (this.#abortError !== undefined) return this.#abortError;
    return new AssociationError(AssociationErrorCode.ConnectionClosed, `the association with ${this.#peerName()} is no longer established (${this.#ul.state})`);
  }

  // --- inbound ----------------------------------------------------------------------------------

  #indication(ind: Indication): void {
    switch (ind.primitive) {
      case "P-DATA-indication":
        for (const pdv of ind.pdu.pdvs) {
          if (!this.#pdv(pdv)) return;
        }
        return;
      case "A-RELEASE-indication":
        if (ind.collision) {
          // PS3.8 §9.2.3 AR-8: the requestor answers at once (Sta9 -> AR-9); the acceptor after its own confirmation.
          if (this.isRequestor) void this.#ul.dispatch({ name: "Evt14" }).catch(() => undefined);
        } else {
          this.#peerReleaseRequested = true;
          void this.#answerRelease();
        }
        return;
      case "A-RELEASE-confirm":
        if (this.#ul.state === "Sta12") void this.#ul.dispatch({ name: "Evt14" }).catch(() => undefined);
        return;
      case "A-ABORT-indication":
        this.#abortError ??= new AssociationAbortedError(`${this.#peerName()} aborted the association (A-ABORT, service user)`, {
          source: ind.pdu.source,
          reason: ind.pdu.reason,
          byPeer: true,
        });
        this.#failAll(this.#abortError);
        return;
      case "A-P-ABORT-indication": {
        const ours = ind.cause.startsWith("unexpected") || ind.cause.startsWith("invalid PDU");
        this.#abortError ??= new AssociationAbortedError(
          ours
            ? `the association with ${this.#peerName()} was aborted because the peer broke the protocol: ${ind.cause}`
            : `the association with ${this.#peerName()} ended abruptly: ${ind.cause} (${describeAbort(ind.source, ind.reason)})`,
          { source: ind.source, reason: ind.reason, byPeer: !ours },
        );
        this.#failAll(this.#abortError);
        return;
      }
      default:
        return;
    }
  }

  /** One PDV; false when it broke the protocol (the association is being aborted). */
  #pdv(pdv: Parameters<MessageAssembler["push"]>[0]): boolean {
    let out;
    try {
      out = this.#assembler.push(pdv);
    } catch (err) {
      if (!(err instanceof DimseProtocolError)) throw err;
      diagnostics.pduError.publish({ peer: this.peer, error: err });
      void this.#abortWith(
        new AssociationAbortedError(`aborted the association with ${this.#peerName()}: ${err.message}`, {
          source: AbortSource.ServiceProvider,
          reason: err.abortReason,
          byPeer: false,
        }),
        AbortSource.ServiceProvider,
        err.abortReason,
      );
      return false;
    }
    if (out.kind === "command") {
      const abort = new LazyAbort();
      const dataset = out.hasDataset ? new DatasetStream(this.#hwm, (pressed) => (pressed ? this.#ul.transport?.pause() : this.#ul.transport?.resume())) : undefined;
      this.#inboundDataset = dataset;
      const message: DimseMessage = {
        context: out.context,
        command: out.command,
        dataset,
        get signal() {
          return abort.signal;
        },
      };
      this.#route(message, abort);
    } else if (out.kind === "dataset") {
      const ds = this.#inboundDataset;
      if (ds !== undefined) {
        ds.push(out.data);
        if (out.isLast) {
          ds.end();
          this.#inboundDataset = undefined;
        }
      }
    }
    return true;
  }

  #route(message: DimseMessage, abort: LazyAbort): void {
    const { command } = message;
    if (isResponse(command)) {
      const id = command.messageIdBeingRespondedTo ?? -1;
      const waiter = this.#waiters.get(id);
      if (waiter === undefined) {
        diagnostics.pduError.publish({ peer: this.peer, error: new Error(`response to unknown message ${id} from ${this.#peerName()} ignored`) });
        void message.dataset?.discard();
        return;
      }
      waiter.push(message);
      if (command.status === undefined || !PENDING.has(command.status)) {
        this.#waiters.delete(id);
        waiter.finish();
      }
      return;
    }
    if (command.commandField === CommandField.CCancelRq) {
      // PS3.7 §9.3.2.3: C-CANCEL is not queued behind the request it cancels.
      this.#cancels.get(command.messageIdBeingRespondedTo ?? -1)?.abort(new Error("C-CANCEL-RQ received"));
      return;
    }
    this.#cancels.set(command.messageId ?? -1, abort);
    this.#inbox.push(message);
    if (this.#inbox.length > MAX_QUEUED_REQUESTS && !this.#inboxPaused) {
      this.#inboxPaused = true;
      this.#ul.transport?.pause();
    }
    if (!this.#handling) void this.#handleInbox();
  }

  async #handleInbox(): Promise<void> {
    this.#handling = true;
    try {
      for (let m = this.#inbox.shift(); m !== undefined; m = this.#inbox.shift()) {
        if (this.#inboxPaused && this.#inbox.length <= MAX_QUEUED_REQUESTS / 2) {
          this.#inboxPaused = false;
          this.#ul.transport?.resume();
        }
        await this.#handle(m);
        this.#cancels.delete(m.command.messageId ?? -1);
        if (this.#end !== undefined) return;
      }
    } finally {
      this.#handling = false;
    }
    if (this.#peerReleaseRequested) void this.#answerRelease();
  }

  async #handle(message: DimseMessage): Promise<void> {
    try {
      const handled = this.#onMessage === undefined ? unsupported(message.command) : this.#onMessage(message, this);
      const result = handled instanceof Promise ? await handled : handled;
      if (isOneMessage(result)) {
        // One response (C-ECHO, C-STORE): no async iterator around it.
        await this.send(onContext(result, message.context.id));
      } else {
        for await (const rsp of toIterable(result)) await this.send(onContext(rsp, message.context.id));
      }
    } catch (err) {
      if (this.#end !== undefined || this.#abortError !== undefined) return;
      // The peer went away while we answered (reset before 'close' was emitted): Evt17 ends the association, no bug.
      if (err instanceof AssociationError && err.code === AssociationErrorCode.ConnectionClosed) return;
      // The handler's failure is ours, not the peer's: counted and logged with its stack by the boundary's channel.
      diagnostics.internalError.publish({ association: this, peer: this.peer, error: err });
      await this.#abortWith(
        new AssociationAbortedError(`aborted the association with ${this.#peerName()}: the message handler failed: ${err instanceof Error ? err.message : String(err)}`, {
          source: AbortSource.ServiceUser,
          reason: 0,
          byPeer: false,
        }),
        AbortSource.ServiceUser,
        AbortReason.NotSpecified,
      ).catch(() => undefined);
      return;
    }
    if (message.dataset !== undefined && !message.dataset.complete) await message.dataset.discard();
  }

  /** PS3.8 AR-2 then AR-4: answer the peer's release once every received request got its responses. */
  async #answerRelease(): Promise<void> {
    if (this.#handling || this.#inbox.length > 0) return;
    this.#peerReleaseRequested = false;
    await this.#writer;
    if (this.#ul.state === "Sta8") await this.#ul.dispatch({ name: "Evt14" }).catch(() => undefined);
  }

  #pduError(err: PduDecodeError): void {
    diagnostics.pduError.publish({ peer: this.peer, error: err });
  }

  #failAll(error: Error): void {
    for (const w of this.#waiters.values()) w.fail(error);
    this.#waiters.clear();
    this.#inboundDataset?.fail(error);
    this.#inboundDataset = undefined;
    for (const c of this.#cancels.values()) c.abort(error);
    for (const m of this.#inbox.splice(0)) m.dataset?.fail(error);
  }

  #ended(): void {
    this.#progressWatch?.stop();
    if (this.#end !== undefined) return;
    // Every path to Sta1 other than a release goes through an abort indication or our own abort (AA-1..AA-8).
    const end: AssociationEnd = this.#abortError === undefined ? { kind: "released" } : { kind: "aborted", error: this.#abortError };
    this.#end = end;
    const closedError = end.kind === "aborted" ? end.error : new AssociationError(AssociationErrorCode.ConnectionClosed, `the association with ${this.#peerName()} was released`);
    this.#failAll(closedError);
    if (end.kind === "released") diagnostics.released.publish({ association: this });
    else diagnostics.aborted.publish({ association: this, peer: this.peer, error: end.error });
    this.#settleClosed(end);
  }
}
