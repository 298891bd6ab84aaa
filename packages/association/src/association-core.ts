import { AbortReason, AbortSource, NO_DATASET, encodeCommandPdus, type DimseCommand } from "@dicomtls/pdu-codec";
import { DEFAULT_MAX_PDU_LENGTH, DEFAULT_RELEASE_TIMEOUT_MS } from "./constants.js";
import type { DatasetStream } from "./dimse/dataset-stream.js";
import type { LazyAbort } from "./dimse/lazy-abort.js";
import type { DimseMessage, OutgoingMessage } from "./dimse/message.js";
import { datasetPdus, isPrebuiltDataset, joinAdjacent, type OutgoingDataset } from "./dimse/outgoing.js";
import type { ResponseWaiter } from "./dimse/response-waiter.js";
import { MessageAssembler } from "./dimse/message-assembler.js";
import { AssociationAbortedError, AssociationError, AssociationErrorCode } from "./errors.js";
import type { AcceptedPresentationContext } from "./negotiation/types.js";
import type { ProgressWatch } from "./progress-watch.js";
import type { PeerInfo } from "./transport/transport.js";
import type { UpperLayer } from "./upper-layer.js";
import type { Association, AssociationEnd, AssociationInit, MessageHandler } from "./association.js";

/**
 * @internal The state of one Association that its parts share (sending, requests, inbound, release/abort): one owner,
 * the Association, which holds it privately. Also the sending of messages, which every part does.
 */
export class AssociationCore {
  readonly association: Association;
  readonly ul: UpperLayer;
  readonly peer: PeerInfo;
  readonly isRequestor: boolean;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly peerMaxPduLength: number;
  readonly contexts: ReadonlyMap<number, AcceptedPresentationContext>;
  readonly assembler: MessageAssembler;
  readonly onMessage: MessageHandler | undefined;
  readonly hwm: number;
  readonly releaseTimeoutMs: number;
  readonly dimseTimeoutMs: number | undefined;
  messageId = 0;
  inboundDataset: DatasetStream | undefined;
  readonly waiters = new Map<number, ResponseWaiter>();
  readonly inbox: DimseMessage[] = [];
  inboxPaused = false;
  handling = false;
  readonly cancels = new Map<number, LazyAbort>();
  writer: Promise<void> = Promise.resolve();
  /** Messages given to send() whose write has not settled; 0: nothing is ahead of the next one. */
  writing = 0;
  end: AssociationEnd | undefined;
  settleClosed!: (end: AssociationEnd) => void;
  abortError: AssociationError | undefined;
  peerReleaseRequested = false;
  progressWatch: ProgressWatch | undefined;

  constructor(association: Association, init: AssociationInit) {
    this.association = association;
    this.ul = init.upperLayer;
    this.peer = init.peer;
    this.isRequestor = init.upperLayer.isRequestor;
    this.callingAeTitle = init.associateRq.callingAeTitle;
    this.calledAeTitle = init.associateRq.calledAeTitle;
    this.peerMaxPduLength = init.peerMaxPduLength;
    this.contexts = new Map(init.accepted.map((c) => [c.id, c]));
    this.assembler = new MessageAssembler(init.accepted);
    this.onMessage = init.onMessage;
    this.hwm = init.datasetHighWaterMark ?? 4 * (init.maxPduLength === 0 ? DEFAULT_MAX_PDU_LENGTH : init.maxPduLength);
    this.releaseTimeoutMs = init.releaseTimeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS;
    this.dimseTimeoutMs = init.dimseTimeoutMs;
  }

  /** A fresh Message ID (PS3.7 §9.1.1.1.1: unique among outstanding requests), 1..65535 then wraps. */
  nextMessageId(): number {
    do {
      this.messageId = (this.messageId % 0xffff) + 1;
    } while (this.waiters.has(this.messageId));
    return this.messageId;
  }

  /**
   * Sends one message; resolves when its last PDU was handed to the socket. Messages queue behind each other so
   * that a message's PDUs are never interleaved with another's.
   */
  send(message: OutgoingMessage): Promise<void> {
    const contextId = message.presentationContextId;
    if (contextId === undefined || !this.contexts.has(contextId)) {
      return Promise.reject(
        new AssociationError(
          AssociationErrorCode.InvalidArgument,
          `presentation context ${String(contextId)} was not accepted on this association (accepted: ${[...this.contexts.keys()].join(", ") || "none"})`,
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
              : `the prebuilt PDUs were cut for a maximum PDU length of ${builtMax || "unlimited"} but ${this.peerName()} accepts at most ${peerMax}`,
          ),
        );
      }
    }
    this.writing++;
    const settled = (): void => {
      this.writing--;
    };
    // Nothing ahead of a message without a data set (a response, a C-ECHO-RQ): its command goes out at once, with no
    // promise chain in front of it (issue 13: per-message overhead). Its PDUs are whole and written in one go.
    const run = this.writing === 1 && message.dataset === undefined ? this.writeCommand(contextId, message.command) : this.writer.then(() => this.write(contextId, message.command, message.dataset));
    this.writer = run.then(settled, settled);
    return run;
  }

  /** The command set's PDUs (whole, usually one) in one P-DATA request; resolves once the socket accepted them. */
  writeCommand(contextId: number, command: DimseCommand): Promise<void> {
    if (this.end !== undefined) return Promise.reject(this.endError());
    let bytes: readonly Uint8Array[];
    try {
      bytes = encodeCommandPdus(contextId, command, this.peerMaxPduLength);
    } catch (err) {
      // encodeCommandPdus throws PduEncodeError only.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.ul.dispatch({ name: "Evt9", bytes });
  }

  async write(contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined): Promise<void> {
    await this.writeCommand(contextId, command);
    if (dataset === undefined) return;
    const max = this.peerMaxPduLength;
    try {
      if (isPrebuiltDataset(dataset)) {
        // One write per batch (whole PDUs, contiguous); the batch buffer goes back for reuse once the socket is done with it.
        for await (const batch of dataset.batches) await this.ul.dispatch({ name: "Evt9", bytes: joinAdjacent(batch.pdus), written: () => batch.release() });
      } else {
        for await (const pdu of datasetPdus(contextId, dataset, max)) await this.ul.dispatch({ name: "Evt9", bytes: pdu });
      }
    } catch (err) {
      // Half a message is on the wire: the only way out PS3.8 leaves is an abort.
      if (this.ul.state === "Sta6") await this.abort().catch(() => undefined);
      throw err;
    }
  }

  /** PS3.8 §7.3 A-ABORT (service-user source); resolves once the A-ABORT PDU was handed to the socket. */
  abort(): Promise<void> {
    return this.abortWith(
      new AssociationAbortedError(`we aborted the association with ${this.peerName()}`, { source: AbortSource.ServiceUser, reason: 0, byPeer: false }),
      AbortSource.ServiceUser,
      AbortReason.NotSpecified,
    );
  }

  async abortWith(error: AssociationError, source: number, reason: number): Promise<void> {
    if (this.end !== undefined || this.ul.state === "Sta1") return;
    this.abortError ??= error;
    this.failAll(error);
    // Callers often do not await (timers): a state that no longer takes an abort must not become an unhandled rejection.
    await this.ul.dispatch({ name: "Evt15", source, reason }).catch((err: unknown) => {
      if (!(err instanceof AssociationError)) this.ul.failInternally(err);
    });
  }

  peerName(): string {
    return `${this.isRequestor ? this.calledAeTitle : this.callingAeTitle} (${this.peer.address}:${this.peer.port})`;
  }

  endError(): AssociationError {
    if (this.end?.kind === "aborted") return this.end.error;
    if (this.abortError !== undefined) return this.abortError;
    return new AssociationError(AssociationErrorCode.ConnectionClosed, `the association with ${this.peerName()} is no longer established (${this.ul.state})`);
  }

  failAll(error: Error): void {
    for (const w of this.waiters.values()) w.fail(error);
    this.waiters.clear();
    this.inboundDataset?.fail(error);
    this.inboundDataset = undefined;
    for (const c of this.cancels.values()) c.abort(error);
    for (const m of this.inbox.splice(0)) m.dataset?.fail(error);
  }
}
