/** What a plugin answers to an A-ASSOCIATE-RQ: the PS3.8 result, source and reason by name, and a why for the log. */

/** PS3.8 Table 9-21 Result field: 1 rejected-permanent, 2 rejected-transient. */
export const RejectResult = {
  Permanent: "permanent",
  Transient: "transient",
} as const;
export type RejectResult = (typeof RejectResult)[keyof typeof RejectResult];

/**
 * PS3.8 Table 9-21 Source and Reason/Diag. fields, by name: each name fixes the source (1 service user, 2 service
 * provider ACSE, 3 service provider presentation) and the reason within it.
 */
export const RejectReason = {
  /** source 1, reason 1 */
  NoReasonGiven: "no-reason-given",
  /** source 1, reason 2 */
  ApplicationContextNameNotSupported: "application-context-name-not-supported",
  /** source 1, reason 3 */
  CallingAeTitleNotRecognized: "calling-ae-title-not-recognized",
  /** source 1, reason 7 */
  CalledAeTitleNotRecognized: "called-ae-title-not-recognized",
  /** source 2, reason 1 */
  AcseNoReasonGiven: "acse-no-reason-given",
  /** source 2, reason 2 */
  ProtocolVersionNotSupported: "protocol-version-not-supported",
  /** source 3, reason 1 */
  TemporaryCongestion: "temporary-congestion",
  /** source 3, reason 2 */
  LocalLimitExceeded: "local-limit-exceeded",
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

/** PS3.8 Table 9-21: the numeric source and reason of each named reason. */
export const REJECT_REASON_CODES: Readonly<Record<RejectReason, { readonly source: 1 | 2 | 3; readonly reason: number }>> = {
  "no-reason-given": { source: 1, reason: 1 },
  "application-context-name-not-supported": { source: 1, reason: 2 },
  "calling-ae-title-not-recognized": { source: 1, reason: 3 },
  "called-ae-title-not-recognized": { source: 1, reason: 7 },
  "acse-no-reason-given": { source: 2, reason: 1 },
  "protocol-version-not-supported": { source: 2, reason: 2 },
  "temporary-congestion": { source: 3, reason: 1 },
  "local-limit-exceeded": { source: 3, reason: 2 },
};

/** PS3.8 Table 9-21: the numeric result of each named result. */
export const REJECT_RESULT_CODES: Readonly<Record<RejectResult, 1 | 2>> = { permanent: 1, transient: 2 };

/** A refusal of an association with its PS3.8 fields named, and a why for the node's log (never sent to the peer). */
export interface AssociationRefusal {
  readonly refuse: true;
  readonly result: RejectResult;
  readonly reason: RejectReason;
  readonly why: string;
}

/**
 * The answer of an association hook: undefined accepts (other hooks and the core still decide), a string refuses
 * permanently with "service user, no reason given" and that string as the why, an AssociationRefusal names its fields.
 */
export type AssociationVerdict = undefined | string | AssociationRefusal;

/** `refuseAssociation("calling-ae-title-not-recognized", "CT9 is retired")`: a permanent refusal unless `result` says otherwise. */
export function refuseAssociation(reason: RejectReason, why: string, result: RejectResult = RejectResult.Permanent): AssociationRefusal {
  return { refuse: true, result, reason, why };
}

/** A verdict as the three numbers of an A-ASSOCIATE-RJ plus the why; undefined when it accepts. */
export function rejectionOf(verdict: AssociationVerdict): { readonly result: 1 | 2; readonly source: 1 | 2 | 3; readonly reason: number; readonly name: RejectReason; readonly why: string } | undefined {
  if (verdict === undefined) return undefined;
  const refusal = typeof verdict === "string" ? refuseAssociation(RejectReason.NoReasonGiven, verdict) : verdict;
  const codes = REJECT_REASON_CODES[refusal.reason];
  // A reason from JavaScript outside the type's reach would otherwise give an A-ASSOCIATE-RJ with undefined fields.
  if (codes === undefined) throw new TypeError(`unknown association reject reason "${String(refusal.reason)}" (one of ${Object.keys(REJECT_REASON_CODES).join(", ")})`);
  return { result: REJECT_RESULT_CODES[refusal.result] ?? 1, source: codes.source, reason: codes.reason, name: refusal.reason, why: refusal.why };
}
