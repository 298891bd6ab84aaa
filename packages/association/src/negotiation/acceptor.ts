import {
  DICOM_APPLICATION_CONTEXT,
  PduType,
  PresentationContextResult,
  type AAssociateAc,
  type AAssociateRq,
  type PresentationContextAcItem,
  type RoleSelection,
  type UserInformation,
} from "@dicomtls/pdu-codec";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../constants.js";
import { DEFAULT_REQUESTOR_ROLES, type AcceptedPresentationContext, type PresentationContextOutcome, type Roles } from "./types.js";

/** What the acceptor supports for one abstract syntax. */
export interface AbstractSyntaxPolicy {
  readonly abstractSyntax: string;
  /** Accepted transfer syntaxes in OUR order of preference: the first one the requestor also proposed wins. */
  readonly transferSyntaxes: readonly string[];
  /** Roles WE are willing to play for this SOP class. Default: SCP only. */
  readonly roles?: Roles;
}

/** How the acceptor answers presentation contexts (PS3.8 §9.3.3.2, PS3.7 D.3.3.4). */
export interface AcceptorPolicy {
  readonly abstractSyntaxes: readonly AbstractSyntaxPolicy[];
  /** When set, an abstract syntax not listed is accepted with these transfer syntaxes (our preference order). */
  readonly acceptUnknown?: { readonly transferSyntaxes: readonly string[]; readonly roles?: Roles };
}

export interface AcceptorIdentity {
  /** Our receive limit for P-DATA-TF (PS3.8 D.1); 0 = unlimited. */
  readonly maxPduLength: number;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  /** PS3.7 D.3.3.7.2: server response, sent only when the requestor asked for one. */
  readonly userIdentityServerResponse?: Uint8Array;
}

export interface AcceptorNegotiation {
  readonly ac: AAssociateAc;
  readonly accepted: readonly AcceptedPresentationContext[];
  readonly outcomes: readonly PresentationContextOutcome[];
  /** The requestor's receive limit, the largest PDU we may send (0 = no limit). */
  readonly peerMaxPduLength: number;
}

const OUR_DEFAULT_ROLES: Roles = { scu: false, scp: true };

function pickTransferSyntax(ours: readonly string[], proposed: readonly string[]): string | undefined {
  const offered = new Set(proposed);
  return ours.find((ts) => offered.has(ts));
}

/**
 * Acceptor side of PS3.8 §9.3.3 / PS3.7 Annex D: the A-ASSOCIATE-AC for `rq` under `policy`. Pure: the caller
 * decides separately whether to accept the association at all.
 */
export function negotiateAsAcceptor(rq: AAssociateRq, policy: AcceptorPolicy, identity: AcceptorIdentity): AcceptorNegotiation {
  const bySyntax = new Map(policy.abstractSyntaxes.map((p) => [p.abstractSyntax, p]));
  const proposedRoles = new Map((rq.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
  const seen = new Set<number>();
  const results: PresentationContextAcItem[] = [];
  const outcomes: PresentationContextOutcome[] = [];
  const accepted: AcceptedPresentationContext[] = [];
  const roleReplies = new Map<string, RoleSelection>();

  for (const pc of rq.presentationContexts) {
    let result: number;
    let transferSyntax: string | undefined;
    const known = bySyntax.get(pc.abstractSyntax);
    const rule = known ?? (policy.acceptUnknown === undefined ? undefined : { abstractSyntax: pc.abstractSyntax, ...policy.acceptUnknown });
    if (pc.id % 2 === 0 || seen.has(pc.id)) {
      // PS3.8 §9.3.2.2: ids are odd and unique; a duplicate cannot be answered unambiguously.
      result = PresentationContextResult.NoReason;
    } else if (rule === undefined) {
      result = PresentationContextResult.AbstractSyntaxNotSupported;
    } else {
      transferSyntax = pickTransferSyntax(rule.transferSyntaxes, pc.transferSyntaxes);
      result = transferSyntax === undefined ? PresentationContextResult.TransferSyntaxesNotSupported : PresentationContextResult.Acceptance;
    }
    seen.add(pc.id);
    if (result === PresentationContextResult.Acceptance && transferSyntax !== undefined && rule !== undefined) {
      const ours = rule.roles ?? OUR_DEFAULT_ROLES;
      const proposal = proposedRoles.get(pc.abstractSyntax);
      let requestorRoles: Roles = DEFAULT_REQUESTOR_ROLES;
      if (proposal !== undefined) {
        // PS3.7 D.3.3.4: we may only confirm a role the requestor proposed; its SCU role means our SCP role.
        requestorRoles = { scu: proposal.scuRole && ours.scp, scp: proposal.scpRole && ours.scu };
        roleReplies.set(pc.abstractSyntax, { sopClassUid: pc.abstractSyntax, scuRole: requestorRoles.scu, scpRole: requestorRoles.scp });
      }
      accepted.push({ id: pc.id, abstractSyntax: pc.abstractSyntax, transferSyntax, requestorRoles });
    }
    // PS3.8 §9.3.3.2: the transfer syntax sub-item is present but ignored when not accepted.
    results.push({ id: pc.id, result: result as PresentationContextAcItem["result"], transferSyntax: transferSyntax ?? "" });
    outcomes.push({ id: pc.id, abstractSyntax: pc.abstractSyntax, proposedTransferSyntaxes: pc.transferSyntaxes, result, transferSyntax });
  }

  const ui = rq.userInformation;
  const userInformation: UserInformation = {
    maxLength: identity.maxPduLength,
    implementationClassUid: identity.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    implementationVersionName: identity.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    ...(roleReplies.size > 0 && { roleSelections: [...roleReplies.values()] }),
    ...(ui.userIdentityRq?.positiveResponseRequested === true &&
      identity.userIdentityServerResponse !== undefined && { userIdentityAc: { serverResponse: identity.userIdentityServerResponse } }),
  };
  const ac: AAssociateAc = {
    type: PduType.AAssociateAc,
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT,
    presentationContexts: results,
    userInformation,
  };
  return { ac, accepted, outcomes, peerMaxPduLength: ui.maxLength };
}
