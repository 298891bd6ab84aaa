import { chooseContext, localRoles, type AcceptedPresentationContext, type Association } from "@dicomtls/association";
import { type CodecRunner } from "@dicomtls/dataset";
import { cGetRsp } from "@dicomtls/pdu-codec";
import type { RegisterOptions } from "../service-registry.js";
import type { ServiceHandler } from "../types.js";
import { runRetrieve } from "./retrieve-run.js";
import { RetrieveSopClass, type RetrieveInstance, type RetrieveSource, type RetrieveSummary } from "./retrieve-types.js";
import { PrepareAhead, sendInstance, type SubOperationOutcome } from "./sub-operations.js";

export interface GetServiceOptions {
  readonly source: RetrieveSource;
  /** Reads each file and cuts it into PDUs for the accepted context (converting LE Implicit/Explicit). */
  readonly codec: CodecRunner;
  /** Called once per C-GET with its outcome (for the log and audit trail). */
  readonly onFinished?: (summary: RetrieveSummary) => void;
}

/** A C-GET SCP: register() serves Patient Root and Study Root GET on an Scp, with storage role selection. */
export interface GetService {
  readonly handler: ServiceHandler;
  register(scp: { handle(sopClassUid: string, handler: ServiceHandler, options?: RegisterOptions): unknown }): void;
}

/** The accepted contexts of a SOP class on which we may send C-STORE: the requestor took the SCP role (PS3.7 D.3.3.4). */
function storageContexts(association: Association, sopClassUid: string): AcceptedPresentationContext[] {
  return association.contexts.filter((c) => c.abstractSyntax === sopClassUid && localRoles(c, association.isRequestor).scu);
}

/**
 * PS3.4 C.4.3 C-GET SCP: the identifier's instances go back as C-STORE sub-operations on the same association, on a
 * context of the instance's SOP class for which the requestor proposed, and we granted, the SCP role. An instance
 * without one is a failed sub-operation and the others go on (C.4.3.3.1; Orthanc stops with 0xC000 instead).
 * C-CANCEL stops between sub-operations (0xFE00).
 */
export function createGetService(options: GetServiceOptions): GetService {
  const handler: ServiceHandler = (message, { association }) => {
    const rq = message.command;
    const contextFor = (instance: RetrieveInstance): AcceptedPresentationContext | undefined => chooseContext(storageContexts(association, instance.sopClassUid), instance);
    /** One sub-operation; `onQueued` starts the next instance's preparation once this C-STORE is on its way. */
    const getOne = async (instance: RetrieveInstance, ahead: PrepareAhead, onQueued: () => void): Promise<SubOperationOutcome> => {
      const context = contextFor(instance);
      if (context !== undefined) return await sendInstance(association, context, instance, { codec: options.codec, prepared: ahead.take(instance), onQueued });
      return {
        kind: "failed",
        reason:
          storageContexts(association, instance.sopClassUid).length === 0
            ? `no accepted presentation context for ${instance.sopClassUid} with the SCP role for the requestor (PS3.4 C.4.3.3.1)`
            : `no accepted context for ${instance.sopClassUid} in ${instance.transferSyntaxUid} or a syntax it converts to`,
      };
    };
    async function* subOperations(instances: readonly RetrieveInstance[], stop: AbortSignal): AsyncGenerator<{ instance: RetrieveInstance; outcome: SubOperationOutcome }> {
      const ahead = new PrepareAhead(options.codec);
      try {
        for (let i = 0; i < instances.length; i++) {
          const instance = instances[i] as RetrieveInstance;
          if (stop.aborted) return;
          const outcome = await getOne(instance, ahead, () => {
            const next = instances[i + 1];
            const nextContext = next === undefined ? undefined : contextFor(next);
            if (next !== undefined && nextContext !== undefined) ahead.start(association, nextContext, next, stop);
          });
          yield { instance, outcome };
        }
      } finally {
        ahead.close();
      }
    }
    return runRetrieve({
      kind: "C-GET",
      message,
      association,
      source: options.source,
      respond: (status, counts, extras) => cGetRsp(rq, status, counts, extras),
      subOperations,
      ...(options.onFinished !== undefined && { onFinished: options.onFinished }),
    });
  };
  return {
    handler,
    register(scp) {
      scp.handle(RetrieveSopClass.PatientRootGet, handler, { storesOnSameAssociation: true });
      scp.handle(RetrieveSopClass.StudyRootGet, handler, { storesOnSameAssociation: true });
    },
  };
}
