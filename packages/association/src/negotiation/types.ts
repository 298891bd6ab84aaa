/** SCU/SCP roles (PS3.7 D.3.3.4). */
export interface Roles {
  readonly scu: boolean;
  readonly scp: boolean;
}

/** PS3.7 D.3.3.4: without a role selection item the requestor is SCU and the acceptor SCP. */
export const DEFAULT_REQUESTOR_ROLES: Roles = Object.freeze({ scu: true, scp: false });

/** A presentation context both sides agreed on. */
export interface AcceptedPresentationContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
  /** Roles the association-requestor may play for this SOP class (the acceptor plays the opposite ones). */
  readonly requestorRoles: Roles;
}

/** The outcome of every proposed context, accepted or not (for logs and diagnostics). */
export interface PresentationContextOutcome {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly proposedTransferSyntaxes: readonly string[];
  /** PS3.8 Table 9-18 result: 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  readonly result: number;
  readonly transferSyntax: string | undefined;
}

/** Roles the local end plays on `context`. */
export function localRoles(context: AcceptedPresentationContext, isRequestor: boolean): Roles {
  return isRequestor ? context.requestorRoles : { scu: context.requestorRoles.scp, scp: context.requestorRoles.scu };
}
