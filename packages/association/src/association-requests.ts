import { AbortReason, AbortSource, type DimseCommand } from "@dicomtls/pdu-codec";
import type { DimseMessage, OutgoingMessage } from "./dimse/message.js";
import type { OutgoingDataset } from "./dimse/outgoing.js";
import { ResponseWaiter } from "./dimse/response-waiter.js";
import { AssociationError, AssociationErrorCode, AssociationTimeoutError } from "./errors.js";
import type { AssociationCore } from "./association-core.js";
import type { RequestOptions } from "./association.js";

// The request -> response side of an Association: a request goes out, its responses come back through a waiter
// (filled by the inbound side), each wait bounded by the DIMSE timeout.

/**
 * Sends a request and yields each response as it arrives, ending after the final one (status not Pending).
 * The Message ID is assigned when the command has none.
 */
export async function* responses(core: AssociationCore, contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined, options: RequestOptions): AsyncGenerator<DimseMessage, void, undefined> {
  const { message, waiter, timeoutMs } = openRequest(core, contextId, command, dataset, options);
  const messageId = message.command.messageId ?? 0;
  let previous: DimseMessage | undefined;
  try {
    await core.send(message);
    for (;;) {
      // A dataset the caller did not read would hold the socket paused and block the next response.
      if (previous?.dataset !== undefined) await previous.dataset.discard();
      const next = await withTimeout(core, waiter.next(), timeoutMs, messageId);
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
export async function request(core: AssociationCore, contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined, options: RequestOptions): Promise<DimseMessage> {
  const { message, waiter, timeoutMs } = openRequest(core, contextId, command, dataset, options);
  const messageId = message.command.messageId ?? 0;
  let last: DimseMessage | undefined;
  try {
    await core.send(message);
    for (;;) {
      if (last?.dataset !== undefined) await last.dataset.discard();
      const next = await withTimeout(core, waiter.next(), timeoutMs, messageId);
      if (next === undefined) break;
      last = next;
    }
  } finally {
    waiter.abandon();
    if (last?.dataset !== undefined && !last.dataset.complete) void last.dataset.discard();
  }
  if (last === undefined) throw core.endError();
  return last;
}

/** The request with its Message ID (assigned when the command has none) and the waiter of its responses. */
function openRequest(core: AssociationCore, contextId: number, command: DimseCommand, dataset: OutgoingDataset | undefined, options: RequestOptions): { message: OutgoingMessage; waiter: ResponseWaiter; timeoutMs: number | undefined } {
  const messageId = command.messageId ?? core.nextMessageId();
  if (core.waiters.has(messageId)) {
    throw new AssociationError(AssociationErrorCode.InvalidArgument, `Message ID ${messageId} is already outstanding on this association`);
  }
  const rq: DimseCommand = command.messageId === messageId ? command : { ...command, messageId };
  const waiter = new ResponseWaiter((pressed) => (pressed ? core.ul.transport?.pause() : core.ul.transport?.resume()));
  core.waiters.set(messageId, waiter);
  const message: OutgoingMessage = dataset === undefined ? { presentationContextId: contextId, command: rq } : { presentationContextId: contextId, command: rq, dataset };
  return { message, waiter, timeoutMs: options.timeoutMs ?? core.dimseTimeoutMs };
}

/** `p`, or its race with the DIMSE timeout when there is one (no async wrapper per response without). */
function withTimeout<T>(core: AssociationCore, p: Promise<T>, timeoutMs: number | undefined, messageId: number): Promise<T> {
  return timeoutMs === undefined ? p : raceTimeout(core, p, timeoutMs, messageId);
}

async function raceTimeout<T>(core: AssociationCore, p: Promise<T>, timeoutMs: number, messageId: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new AssociationTimeoutError(`no response to message ${messageId} from ${core.peerName()} within ${timeoutMs} ms; the association was aborted`, "dimse");
      void core.abortWith(err, AbortSource.ServiceUser, AbortReason.NotSpecified);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
