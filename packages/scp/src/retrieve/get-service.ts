import { chooseContext, localRoles, type Association, type CodecRunner } from "@dicomtls/association";
import { cGetRsp } from "@dicomtls/pdu-codec";
import type { RegisterOptions } from "../service-registry.js";
import type { ServiceHandler } from "../types.js";
import { runRetrieve } from "./retrieve-run.js";
import { RetrieveSopClass, type RetrieveInstance, type RetrieveSource, type RetrieveSummary } from "./retrieve-types.js";
import { sendInstance, type SubOperationOutcome } from "./sub-operations.js";

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
function storageContexts(association: Association, sopClassUid: string): ReturnType<Association["findContext"]>[] {
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
    async function* subOperations(instances: readonly RetrieveInstance[], stop: AbortSignal): AsyncGenerator<{ instance: RetrieveInstance; outcome: SubOperationOutcome }> {
      for (const instance of instances) {
        if (stop.aborted) return;
        const candidates = storageContexts(association, instance.sopClassUid).filter((c) => c !== undefined);
        const context = chooseContext(candidates, instance);
        const outcome: SubOperationOutcome =
          context === undefined
            ? {
                kind: "failed",
                reason:
                  candidates.length === 0
                    ? `no accepted presentation context for ${instance.sopClassUid} with the SCP role for the requestor (PS3.4 C.4.3.3.1)`
                    : `no accepted context for ${instance.sopClassUid} in ${instance.transferSyntaxUid} or a syntax it converts to`,
              }
            : await sendInstance(association, context, instance, { codec: options.codec });
        yield { instance, outcome };
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
