import { AbortReason, AbortSource, CommandField, Status, type DimseCommand, type PduDecodeError } from "@dicomtls/pdu-codec";
import { describeAbort } from "./describe.js";
import { diagnostics } from "./diagnostics.js";
import { DatasetStream } from "./dimse/dataset-stream.js";
import { isOneMessage, onContext, toIterable, unsupported } from "./dimse/handler-result.js";
import { LazyAbort } from "./dimse/lazy-abort.js";
import type { MessageAssembler } from "./dimse/message-assembler.js";
import type { DimseMessage } from "./dimse/message.js";
import { AssociationAbortedError, AssociationError, AssociationErrorCode, DimseProtocolError } from "./errors.js";
import type { Indication } from "./fsm/effects.js";
import type { AssociationCore } from "./association-core.js";
import type { AssociationEnd } from "./association.js";

// The inbound side of an Association: indications from the upper layer, PDVs assembled into messages, responses
// routed to their waiters, requests queued for the message handler and its results sent back, the peer's release
// answered once every request got its responses, and the end of the association.

const PENDING = new Set<number>([Status.Pending, Status.PendingWarning]);
/** Bound on requests waiting for the handler before the socket is paused (the peer ignores the async window). */
const MAX_QUEUED_REQUESTS = 8;

function isResponse(command: DimseCommand): boolean {
  return (command.commandField & 0x8000) !== 0;
}

export function indication(core: AssociationCore, ind: Indication): void {
  switch (ind.primitive) {
    case "P-DATA-indication":
      for (const p of ind.pdu.pdvs) {
        if (!pdv(core, p)) return;
      }
      return;
    case "A-RELEASE-indication":
      if (ind.collision) {
        // PS3.8 §9.2.3 AR-8: the requestor answers at once (Sta9 -> AR-9); the acceptor after its own confirmation.
        if (core.isRequestor) void core.ul.dispatch({ name: "Evt14" }).catch(() => undefined);
      } else {
        core.peerReleaseRequested = true;
        void answerRelease(core);
      }
      return;
    case "A-RELEASE-confirm":
      if (core.ul.state === "Sta12") void core.ul.dispatch({ name: "Evt14" }).catch(() => undefined);
      return;
    case "A-ABORT-indication":
      core.abortError ??= new AssociationAbortedError(`${core.peerName()} aborted the association (A-ABORT, service user)`, {
        source: ind.pdu.source,
        reason: ind.pdu.reason,
        byPeer: true,
      });
      core.failAll(core.abortError);
      return;
    case "A-P-ABORT-indication": {
      const ours = ind.cause.startsWith("unexpected") || ind.cause.startsWith("invalid PDU");
      core.abortError ??= new AssociationAbortedError(
        ours
          ? `the association with ${core.peerName()} was aborted because the peer broke the protocol: ${ind.cause}`
          : `the association with ${core.peerName()} ended abruptly: ${ind.cause} (${describeAbort(ind.source, ind.reason)})`,
        { source: ind.source, reason: ind.reason, byPeer: !ours },
      );
      core.failAll(core.abortError);
      return;
    }
    default:
      return;
  }
}

/** One PDV; false when it broke the protocol (the association is being aborted). */
function pdv(core: AssociationCore, p: Parameters<MessageAssembler["push"]>[0]): boolean {
  let out;
  try {
    out = core.assembler.push(p);
  } catch (err) {
    if (!(err instanceof DimseProtocolError)) throw err;
    diagnostics.pduError.publish({ peer: core.peer, error: err });
    void core.abortWith(
      new AssociationAbortedError(`aborted the association with ${core.peerName()}: ${err.message}`, {
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
    const dataset = out.hasDataset ? new DatasetStream(core.hwm, (pressed) => (pressed ? core.ul.transport?.pause() : core.ul.transport?.resume())) : undefined;
    core.inboundDataset = dataset;
    const message: DimseMessage = {
      context: out.context,
      command: out.command,
      dataset,
      get signal() {
        return abort.signal;
      },
    };
    route(core, message, abort);
  } else if (out.kind === "dataset") {
    const ds = core.inboundDataset;
    if (ds !== undefined) {
      ds.push(out.data);
      if (out.isLast) {
        ds.end();
        core.inboundDataset = undefined;
      }
    }
  }
  return true;
}

function route(core: AssociationCore, message: DimseMessage, abort: LazyAbort): void {
  const { command } = message;
  if (isResponse(command)) {
    const id = command.messageIdBeingRespondedTo ?? -1;
    const waiter = core.waiters.get(id);
    if (waiter === undefined) {
      diagnostics.pduError.publish({ peer: core.peer, error: new Error(`response to unknown message ${id} from ${core.peerName()} ignored`) });
      void message.dataset?.discard();
      return;
    }
    waiter.push(message);
    if (command.status === undefined || !PENDING.has(command.status)) {
      core.waiters.delete(id);
      waiter.finish();
    }
    return;
  }
  if (command.commandField === CommandField.CCancelRq) {
    // PS3.7 §9.3.2.3: C-CANCEL is not queued behind the request it cancels.
    core.cancels.get(command.messageIdBeingRespondedTo ?? -1)?.abort(new Error("C-CANCEL-RQ received"));
    return;
  }
  core.cancels.set(command.messageId ?? -1, abort);
  core.inbox.push(message);
  if (core.inbox.length > MAX_QUEUED_REQUESTS && !core.inboxPaused) {
    core.inboxPaused = true;
    core.ul.transport?.pause();
  }
  if (!core.handling) void handleInbox(core);
}

async function handleInbox(core: AssociationCore): Promise<void> {
  core.handling = true;
  try {
    for (let m = core.inbox.shift(); m !== undefined; m = core.inbox.shift()) {
      if (core.inboxPaused && core.inbox.length <= MAX_QUEUED_REQUESTS / 2) {
        core.inboxPaused = false;
        core.ul.transport?.resume();
      }
      await handle(core, m);
      core.cancels.delete(m.command.messageId ?? -1);
      if (core.end !== undefined) return;
    }
  } finally {
    core.handling = false;
  }
  if (core.peerReleaseRequested) void answerRelease(core);
}

async function handle(core: AssociationCore, message: DimseMessage): Promise<void> {
  try {
    const handled = core.onMessage === undefined ? unsupported(message.command) : core.onMessage(message, core.association);
    const result = handled instanceof Promise ? await handled : handled;
    if (isOneMessage(result)) {
      // One response (C-ECHO, C-STORE): no async iterator around it.
      await core.send(onContext(result, message.context.id));
    } else {
      for await (const rsp of toIterable(result)) await core.send(onContext(rsp, message.context.id));
    }
  } catch (err) {
    if (core.end !== undefined || core.abortError !== undefined) return;
    // The peer went away while we answered (reset before 'close' was emitted): Evt17 ends the association, no bug.
    if (err instanceof AssociationError && err.code === AssociationErrorCode.ConnectionClosed) return;
    // The handler's failure is ours, not the peer's: counted and logged with its stack by the boundary's channel.
    diagnostics.internalError.publish({ association: core.association, peer: core.peer, error: err });
    await core.abortWith(
      new AssociationAbortedError(`aborted the association with ${core.peerName()}: the message handler failed: ${err instanceof Error ? err.message : String(err)}`, {
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
async function answerRelease(core: AssociationCore): Promise<void> {
  if (core.handling || core.inbox.length > 0) return;
  core.peerReleaseRequested = false;
  await core.writer;
  if (core.ul.state === "Sta8") await core.ul.dispatch({ name: "Evt14" }).catch(() => undefined);
}

export function pduError(core: AssociationCore, err: PduDecodeError): void {
  diagnostics.pduError.publish({ peer: core.peer, error: err });
}

export function ended(core: AssociationCore): void {
  core.progressWatch?.stop();
  if (core.end !== undefined) return;
  // Every path to Sta1 other than a release goes through an abort indication or our own abort (AA-1..AA-8).
  const end: AssociationEnd = core.abortError === undefined ? { kind: "released" } : { kind: "aborted", error: core.abortError };
  core.end = end;
  const closedError = end.kind === "aborted" ? end.error : new AssociationError(AssociationErrorCode.ConnectionClosed, `the association with ${core.peerName()} was released`);
  core.failAll(closedError);
  if (end.kind === "released") diagnostics.released.publish({ association: core.association });
  else diagnostics.aborted.publish({ association: core.association, peer: core.peer, error: end.error });
  core.settleClosed(end);
}
