import type { DimseCommand } from "@dicomtls/pdu-codec";
import type { AcceptedPresentationContext } from "../negotiation/types.js";
import type { DatasetStream } from "./dataset-stream.js";
import type { OutgoingDataset } from "./outgoing.js";

/** One received DIMSE message (PS3.7 §6.3). Delivered as soon as its command set is complete. */
export interface DimseMessage {
  readonly context: AcceptedPresentationContext;
  readonly command: DimseCommand;
  /** The data set, still arriving; undefined when the command says none follows. */
  readonly dataset: DatasetStream | undefined;
  /** Aborted when the peer sends C-CANCEL-RQ for this message, or the association ends. */
  readonly signal: AbortSignal;
}

/** A DIMSE message to send. */
export interface OutgoingMessage {
  /** Defaults to the context of the request being answered. */
  readonly presentationContextId?: number;
  readonly command: DimseCommand;
  readonly dataset?: OutgoingDataset;
}

/** What a message handler may return: nothing, one response, or responses as they are produced (C-FIND pending ...). */
export type HandlerResult = OutgoingMessage | Iterable<OutgoingMessage> | AsyncIterable<OutgoingMessage> | undefined | void;
