import {
  DICOM_APPLICATION_CONTEXT,
  PduType,
  PresentationContextResult,
  type AAssociateAc,
  type AAssociateRq,
  type RoleSelection,
  type UserIdentityRq,
  type UserInformation,
} from "@dicomtls/pdu-codec";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, PROTOCOL_VERSION } from "../constants.js";
import { AssociationErrorCode, AssociationError, NegotiationError } from "../errors.js";
import { DEFAULT_REQUESTOR_ROLES, type AcceptedPresentationContext, type PresentationContextOutcome, type Roles } from "./types.js";

/** One presentation context to propose. */
export interface ProposedPresentationContext {
  readonly abstractSyntax: string;
  /** In our order of preference (the acceptor may pick any). */
  readonly transferSyntaxes: readonly string[];
  /** Roles WE want for this SOP class; sent as an SCP/SCU role selection item when set (PS3.7 D.3.3.4). */
  readonly roles?: Roles;
}

export interface RequestorIdentity {
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly maxPduLength: number;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly userIdentity?: UserIdentityRq;
}

/** Builds the A-ASSOCIATE-RQ (PS3.8 §9.3.2): context ids 1, 3, 5, ... in the order given. */
export function buildAssociateRq(contexts: readonly ProposedPresentationContext[], identity: RequestorIdentity): AAssociateRq {
  if (contexts.length === 0) throw new AssociationError(AssociationErrorCode.InvalidArgument, "presentationContexts: propose at least one presentation context");
  if (contexts.length > 128) {
    throw new AssociationError(AssociationErrorCode.InvalidArgument, `presentationContexts: ${contexts.length} proposed, PS3.8 allows at most 128 (odd ids 1-255)`);
  }
  const roles = new Map<string, RoleSelection>();
  for (const c of contexts) {
    if (c.roles !== undefined) roles.set(c.abstractSyntax, { sopClassUid: c.abstractSyntax, scuRole: c.roles.scu, scpRole: c.roles.scp });
  }
  const userInformation: UserInformation = {
    maxLength: identity.maxPduLength,
    implementationClassUid: identity.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    implementationVersionName: identity.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    ...(roles.size > 0 && { roleSelections: [...roles.values()] }),
    ...(identity.userIdentity !== undefined && { userIdentityRq: identity.userIdentity }),
  };
  return {
    type: PduType.AAssociateRq,
    protocolVersion: PROTOCOL_VERSION,
    calledAeTitle: identity.calledAeTitle,
    callingAeTitle: identity.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: contexts.map((c, i) => ({ id: 2 * i + 1, abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes })),
    userInformation,
  };
}

export interface RequestorNegotiation {
  readonly accepted: readonly AcceptedPresentationContext[];
  readonly outcomes: readonly PresentationContextOutcome[];
  /** The acceptor's receive limit, the largest PDU we may send (0 = no limit). */
  readonly peerMaxPduLength: number;
  readonly peerImplementationClassUid: string;
  readonly peerImplementationVersionName: string | undefined;
}

/** Requestor side: what the A-ASSOCIATE-AC grants. Throws NegotiationError when the AC does not answer our RQ. */
export function interpretAssociateAc(rq: AAssociateRq, ac: AAssociateAc): RequestorNegotiation {
  const proposed = new Map(rq.presentationContexts.map((pc) => [pc.id, pc]));
  const roleReplies = new Map((ac.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
  const proposedRoles = new Map((rq.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
  const accepted: AcceptedPresentationContext[] = [];
  const outcomes: PresentationContextOutcome[] = [];
  for (const item of ac.presentationContexts) {
    const pc = proposed.get(item.id);
    if (pc === undefined) throw new NegotiationError(`A-ASSOCIATE-AC answers presentation context ${item.id}, which we did not propose`);
    const ok = item.result === PresentationContextResult.Acceptance;
    if (ok && !pc.transferSyntaxes.includes(item.transferSyntax)) {
      throw new NegotiationError(
        `A-ASSOCIATE-AC accepts presentation context ${item.id} (${pc.abstractSyntax}) with transfer syntax ${item.transferSyntax}, which we did not propose`,
      );
    }
    outcomes.push({ id: item.id, abstractSyntax: pc.abstractSyntax, proposedTransferSyntaxes: pc.transferSyntaxes, result: item.result, transferSyntax: ok ? item.transferSyntax : undefined });
    if (!ok) continue;
    const asked = proposedRoles.get(pc.abstractSyntax);
    const reply = roleReplies.get(pc.abstractSyntax);
    // PS3.7 D.3.3.4: no reply to a proposal means the default roles; a reply can only narrow what we proposed.
    const requestorRoles: Roles =
      asked === undefined || reply === undefined ? DEFAULT_REQUESTOR_ROLES : { scu: asked.scuRole && reply.scuRole, scp: asked.scpRole && reply.scpRole };
    accepted.push({ id: item.id, abstractSyntax: pc.abstractSyntax, transferSyntax: item.transferSyntax, requestorRoles });
  }
  return {
    accepted,
    outcomes,
    peerMaxPduLength: ac.userInformation.maxLength,
    peerImplementationClassUid: ac.userInformation.implementationClassUid,
    peerImplementationVersionName: ac.userInformation.implementationVersionName,
  };
}
