import { NO_DATASET, Status, type CommandFieldCode, type DimseCommand } from "@dicomtls/pdu-codec";
import type { HandlerResult, OutgoingMessage } from "./message.js";

/** What a message handler's result becomes on the wire: helpers of Association's inbound side. */

export function unsupported(command: DimseCommand): OutgoingMessage {
  // PS3.7 Annex C: no handler here for what the peer asked; answer "unrecognized operation" rather than abort.
  const sopClass = command.affectedSopClassUid ?? command.requestedSopClassUid;
  return {
    command: {
      commandField: (command.commandField | 0x8000) as CommandFieldCode,
      messageIdBeingRespondedTo: command.messageId ?? 0,
      // PS3.7 §10.3: an N-service response names as Affected the SOP class its request named as Requested.
      ...(sopClass !== undefined && { affectedSopClassUid: sopClass }),
      commandDataSetType: NO_DATASET,
      status: Status.UnrecognizedOperation,
    },
  };
}

/** A handler's result that is one message, not a sequence of them. */
export function isOneMessage(result: HandlerResult): result is OutgoingMessage {
  if (result === undefined) return false;
  const r = result as Partial<AsyncIterable<OutgoingMessage> & Iterable<OutgoingMessage>>;
  return typeof r[Symbol.asyncIterator] !== "function" && typeof r[Symbol.iterator] !== "function";
}

/** A response goes on the request's context unless it names its own (`{ presentationContextId, ...rsp }`, unspread). */
export function onContext(rsp: OutgoingMessage, contextId: number): OutgoingMessage {
  if (Object.hasOwn(rsp, "presentationContextId")) return rsp;
  return rsp.dataset === undefined ? { presentationContextId: contextId, command: rsp.command } : { presentationContextId: contextId, command: rsp.command, dataset: rsp.dataset };
}

export async function* toIterable(result: HandlerResult): AsyncGenerator<OutgoingMessage> {
  if (result === undefined) return;
  if (typeof (result as Partial<AsyncIterable<OutgoingMessage>>)[Symbol.asyncIterator] === "function") {
    yield* result as AsyncIterable<OutgoingMessage>;
  } else if (typeof (result as Partial<Iterable<OutgoingMessage>>)[Symbol.iterator] === "function") {
    yield* result as Iterable<OutgoingMessage>;
  } else {
    yield result as OutgoingMessage;
  }
}
