/**
 * The shapes of PS3.8 PDUs and items, and PS3.7 command sets, as plain data.
 * Every encodeX has its decodeX; these types are the contract between the codec and its users.
 */

/** PS3.8 §9.3.1, Table 9-11 ff.: PDU-type field values. */
export const PduType = {
  AAssociateRq: 0x01,
  AAssociateAc: 0x02,
  AAssociateRj: 0x03,
  PDataTf: 0x04,
  AReleaseRq: 0x05,
  AReleaseRp: 0x06,
  AAbort: 0x07,
} as const;
export type PduTypeCode = (typeof PduType)[keyof typeof PduType];

/** PS3.8 §9.3.2 ff.: item-type field values. */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  ScpScuRoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** PS3.7 Annex A.2.1: the DICOM application context name. */
export const DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

/** PS3.8 §9.3.3.2, Table 9-18: presentation context result/reason. */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;
export type PresentationContextResultCode = (typeof PresentationContextResult)[keyof typeof PresentationContextResult];

export interface PresentationContextRqItem {
  /** Odd integer 1-255. */
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

export interface PresentationContextAcItem {
  readonly id: number;
  readonly result: PresentationContextResultCode;
  /** Present (and meaningful) when result is Acceptance; PS3.8 says ignore it otherwise. */
  readonly transferSyntax: string;
}

/** PS3.7 Annex D.3.3.4: SCP/SCU Role Selection sub-item. */
export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: boolean;
  readonly scpRole: boolean;
}

/** PS3.7 Annex D.3.3.5: SOP Class Extended Negotiation sub-item (application information kept raw). */
export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassApplicationInformation: Uint8Array;
}

/** PS3.7 Annex D.3.3.6: SOP Class Common Extended Negotiation sub-item. */
export interface SopClassCommonExtendedNegotiation {
  readonly sopClassUid: string;
  readonly serviceClassUid: string;
  readonly relatedGeneralSopClassUids: readonly string[];
}

/** PS3.7 Annex D.3.3.7.1, Table D.3-14: user identity type. */
export const UserIdentityType = {
  Username: 1,
  UsernameAndPasscode: 2,
  Kerberos: 3,
  Saml: 4,
  Jwt: 5,
} as const;
export type UserIdentityTypeCode = (typeof UserIdentityType)[keyof typeof UserIdentityType];

export interface UserIdentityRq {
  readonly type: UserIdentityTypeCode;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  /** Only for UsernameAndPasscode; empty otherwise. */
  readonly secondaryField: Uint8Array;
}

export interface UserIdentityAc {
  readonly serverResponse: Uint8Array;
}

/** PS3.7 Annex D.3.3.3: Asynchronous Operations Window sub-item. */
export interface AsynchronousOperationsWindow {
  readonly maxOperationsInvoked: number;
  readonly maxOperationsPerformed: number;
}

/** A user-information sub-item this codec does not interpret, kept so re-encoding is lossless. */
export interface UnknownSubItem {
  readonly itemType: number;
  readonly data: Uint8Array;
}

/** PS3.8 Annex D.1 + PS3.7 Annex D.3.3: User Information item. */
export interface UserInformation {
  /** PS3.8 D.1: 0 means no limit. */
  readonly maxLength: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName?: string;
  readonly asynchronousOperationsWindow?: AsynchronousOperationsWindow;
  readonly roleSelections?: readonly RoleSelection[];
  readonly sopClassExtendedNegotiations?: readonly SopClassExtendedNegotiation[];
  readonly sopClassCommonExtendedNegotiations?: readonly SopClassCommonExtendedNegotiation[];
  readonly userIdentityRq?: UserIdentityRq;
  readonly userIdentityAc?: UserIdentityAc;
  readonly unknownSubItems?: readonly UnknownSubItem[];
}

/** PS3.8 §9.3.2. AE titles are returned trimmed of the space padding. */
export interface AAssociateRq {
  readonly type: typeof PduType.AAssociateRq;
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextRqItem[];
  readonly userInformation: UserInformation;
}

/** PS3.8 §9.3.3. */
export interface AAssociateAc {
  readonly type: typeof PduType.AAssociateAc;
  readonly protocolVersion: number;
  /** Echoed from the RQ (PS3.8 says not tested, but DCMTK fills them in). */
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly PresentationContextAcItem[];
  readonly userInformation: UserInformation;
}

/** PS3.8 §9.3.4, Table 9-21. */
export const AssociateRjResult = { RejectedPermanent: 1, RejectedTransient: 2 } as const;
export const AssociateRjSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;
/** Reasons by source (PS3.8 Table 9-21). */
export const AssociateRjReason = {
  /** source 1 */
  NoReasonGiven: 1,
  ApplicationContextNameNotSupported: 2,
  CallingAeTitleNotRecognized: 3,
  CalledAeTitleNotRecognized: 7,
  /** source 2 */
  AcseNoReasonGiven: 1,
  ProtocolVersionNotSupported: 2,
  /** source 3 */
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

export interface AAssociateRj {
  readonly type: typeof PduType.AAssociateRj;
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

/** PS3.8 §9.3.5.1 + Annex E.2: one Presentation Data Value. */
export interface Pdv {
  readonly presentationContextId: number;
  /** Message control header bit 0. */
  readonly isCommand: boolean;
  /** Message control header bit 1. */
  readonly isLast: boolean;
  /** The fragment; a view into the PDU bytes where possible (no copy). */
  readonly data: Uint8Array;
}

export interface PDataTf {
  readonly type: typeof PduType.PDataTf;
  readonly pdvs: readonly Pdv[];
}

export interface AReleaseRq {
  readonly type: typeof PduType.AReleaseRq;
}
export interface AReleaseRp {
  readonly type: typeof PduType.AReleaseRp;
}

/** PS3.8 §9.3.8, Table 9-26. */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export interface AAbort {
  readonly type: typeof PduType.AAbort;
  readonly source: number;
  readonly reason: number;
}

export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;

/** PS3.7 §9.3 / §E: command field values. */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
  /** PS3.7 §10.3.1 N-EVENT-REPORT (Storage Commitment's report, PS3.4 J.3.3). */
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  /** PS3.7 §10.3.4 N-ACTION (Storage Commitment's request, PS3.4 J.3.2). */
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
} as const;
export type CommandFieldCode = (typeof CommandField)[keyof typeof CommandField];

/** PS3.7 §E.1: (0000,0800) Command Data Set Type value meaning "no dataset". */
export const NO_DATASET = 0x0101;

/** PS3.7 §9.1.1.1.9: priority. */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** PS3.7 Annex C: status codes this node uses. */
export const Status = {
  Success: 0x0000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  PendingWarning: 0xff01,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  SopClassNotSupported: 0x0122,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb007,
  DataSetDoesNotMatchSopClassWarning: 0xb006,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc001,
  /** PS3.7 Annex C.4 (DIMSE-N): general failures an N-ACTION-RSP can carry. */
  ProcessingFailure: 0x0110,
  NoSuchSopInstance: 0x0112,
  InvalidArgumentValue: 0x0115,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  NoSuchActionType: 0x0123,
} as const;

/**
 * A PS3.7 command set (group 0000) as named fields. Only the fields present in the message are set;
 * the codec writes them in tag order with Implicit VR Little Endian and computes (0000,0000).
 * Field names are the PS3.7 attribute names in camelCase.
 */
export interface DimseCommand {
  readonly commandField: CommandFieldCode;
  /** (0000,0002) */
  readonly affectedSopClassUid?: string;
  /** (0000,0003) */
  readonly requestedSopClassUid?: string;
  /** (0000,0110) */
  readonly messageId?: number;
  /** (0000,0120) */
  readonly messageIdBeingRespondedTo?: number;
  /** (0000,0600) */
  readonly moveDestination?: string;
  /** (0000,0700) */
  readonly priority?: number;
  /** (0000,0800): NO_DATASET (0x0101) when no dataset follows; any other value means one follows. */
  readonly commandDataSetType: number;
  /** (0000,0900) */
  readonly status?: number;
  /** (0000,0901) */
  readonly offendingElement?: readonly number[];
  /** (0000,0902) */
  readonly errorComment?: string;
  /** (0000,0903) */
  readonly errorId?: number;
  /** (0000,1000) */
  readonly affectedSopInstanceUid?: string;
  /** (0000,1001) */
  readonly requestedSopInstanceUid?: string;
  /** (0000,1002) Event Type ID of an N-EVENT-REPORT. */
  readonly eventTypeId?: number;
  /** (0000,1008) Action Type ID of an N-ACTION. */
  readonly actionTypeId?: number;
  /** (0000,1020) */
  readonly numberOfRemainingSuboperations?: number;
  /** (0000,1021) */
  readonly numberOfCompletedSuboperations?: number;
  /** (0000,1022) */
  readonly numberOfFailedSuboperations?: number;
  /** (0000,1023) */
  readonly numberOfWarningSuboperations?: number;
  /** (0000,1030) */
  readonly moveOriginatorApplicationEntityTitle?: string;
  /** (0000,1031) */
  readonly moveOriginatorMessageId?: number;
  /**
   * Elements outside group 0000 after a response's command elements (Implicit VR LE, as received; encoded back as
   * given). DCMTK-based peers put a response's status detail there (Orthanc 1.10.1: (0008,0058) Failed SOP Instance
   * UID List in C-GET responses); read them with decodeIdentifier(bytes, Implicit VR LE). Refused in a request.
   */
  readonly statusDetail?: Uint8Array;
}
