import { chooseContext, groupContexts, type Association } from "@dicomtls/association";
import { type CodecRunner } from "@dicomtls/dataset";
import { cMoveRsp } from "@dicomtls/pdu-codec";
import type { ServiceHandler } from "../types.js";
import { RetrieveRequestError } from "./retrieve-identifier.js";
import { runRetrieve } from "./retrieve-run.js";
import { RetrieveSopClass, RetrieveStatus, type MoveDestination, type RetrieveInstance, type RetrieveSource, type RetrieveSummary } from "./retrieve-types.js";
import { PrepareAhead, sendInstance, type SubOperationOutcome } from "./sub-operations.js";

export interface MoveServiceOptions {
  readonly source: RetrieveSource;
  /** Reads each file and cuts it into PDUs for the destination's accepted context (converting LE Implicit/Explicit). */
  readonly codec: CodecRunner;
  /** The Move Destination AE title -> how to reach it (our DicomModalities); undefined: unknown, answered 0xA801. */
  readonly resolveDestination: (aeTitle: string, association: Association) => MoveDestination | undefined | Promise<MoveDestination | undefined>;
  /** Called once per C-MOVE with its outcome (for the log and audit trail). */
  readonly onFinished?: (summary: RetrieveSummary) => void;
}

/** A C-MOVE SCP: register() serves Patient Root and Study Root MOVE on an Scp. */
export interface MoveService {
  readonly handler: ServiceHandler;
  register(scp: { handle(sopClassUid: string, handler: ServiceHandler): unknown }): void;
}

type Outcome = { readonly instance: RetrieveInstance; readonly outcome: SubOperationOutcome };

/**
 * PS3.4 C.4.2 C-MOVE SCP: the identifier's instances are sent to the Move Destination on a new association (one per
 * group of at most 128 presentation contexts), each C-STORE-RQ carrying Move Originator AE Title and Message ID.
 * An unknown destination is 0xA801 with no sub-operation; a destination that cannot be reached fails every
 * sub-operation (counted, listed in the final response: 0xA702). C-CANCEL stops between sub-operations (0xFE00).
 */
export function createMoveService(options: MoveServiceOptions): MoveService {
  const handler: ServiceHandler = (message, { association }) => {
    const rq = message.command;
    const aeTitle = (rq.moveDestination ?? "").trim();
    let destination: MoveDestination | undefined;
    let reached: { readonly address: string; readonly encrypted: boolean } | undefined;
    const originator = { aeTitle: association.callingAeTitle.trim(), messageId: rq.messageId ?? 0 };

    async function* subOperations(instances: readonly RetrieveInstance[], stop: AbortSignal): AsyncGenerator<Outcome> {
      const target = destination!;
      for (const group of groupContexts(instances.map((i) => ({ sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid })))) {
        const members = instances.filter((i) => group.sopClasses.has(i.sopClassUid));
        if (stop.aborted) return;
        let sub: Association;
        try {
          sub = await target.open(group.contexts);
          reached = { address: sub.peer.address, encrypted: sub.peer.tls !== undefined };
        } catch (err) {
          const reason = `cannot associate with ${target.label}: ${(err as Error).message}`;
          for (const instance of members) yield { instance, outcome: { kind: "failed", reason } };
          continue;
        }
        const ahead = new PrepareAhead(options.codec);
        const current = sub;
        try {
          for (let i = 0; i < members.length; i++) {
            const instance = members[i] as RetrieveInstance;
            if (stop.aborted) return;
            const context = chooseContext(sub.contexts, instance);
            const next = members[i + 1];
            const onQueued = (): void => {
              const nextContext = next === undefined ? undefined : chooseContext(current.contexts, next);
              if (next !== undefined && nextContext !== undefined) ahead.start(current, nextContext, next, stop);
            };
            const outcome: SubOperationOutcome =
              context === undefined
                ? { kind: "failed", reason: `${target.label} accepted no presentation context for ${instance.sopClassUid} in ${instance.transferSyntaxUid} or a syntax it converts to` }
                : await sendInstance(sub, context, instance, { codec: options.codec, moveOriginator: originator, prepared: ahead.take(instance), onQueued });
            yield { instance, outcome };
          }
        } finally {
          ahead.close();
          if (sub.isEstablished) await sub.release().catch(() => undefined);
        }
      }
    }

    return runRetrieve({
      kind: "C-MOVE",
      message,
      association,
      source: options.source,
      destination: aeTitle,
      destinationReached: () => reached,
      respond: (status, counts, extras) => cMoveRsp(rq, status, counts, extras),
      before: async () => {
        destination = aeTitle === "" ? undefined : await options.resolveDestination(aeTitle, association);
        if (destination === undefined) {
          throw new RetrieveRequestError(RetrieveStatus.MoveDestinationUnknown, `Move Destination "${aeTitle}" is not a known modality`);
        }
      },
      subOperations,
      ...(options.onFinished !== undefined && { onFinished: options.onFinished }),
    });
  };
  return {
    handler,
    register(scp) {
      scp.handle(RetrieveSopClass.PatientRootMove, handler);
      scp.handle(RetrieveSopClass.StudyRootMove, handler);
    },
  };
}
