import type { Association, ProposedPresentationContext } from "@dicomtls/association";

/** PS3.4 C.6.1.3, C.6.2.3: the retrieve SOP classes of the Patient Root and Study Root information models. */
export const RetrieveSopClass = {
  PatientRootMove: "1.2.840.10008.5.1.4.1.2.1.2",
  PatientRootGet: "1.2.840.10008.5.1.4.1.2.1.3",
  StudyRootMove: "1.2.840.10008.5.1.4.1.2.2.2",
  StudyRootGet: "1.2.840.10008.5.1.4.1.2.2.3",
} as const;
export type RetrieveSopClass = (typeof RetrieveSopClass)[keyof typeof RetrieveSopClass];

/** PS3.4 C.4.2.1.5, C.4.3.1.4: statuses of C-MOVE / C-GET responses. */
export const RetrieveStatus = {
  Success: 0x0000,
  Pending: 0xff00,
  Cancel: 0xfe00,
  /** One or more sub-operations failed or had a warning (or all had warnings). */
  Warning: 0xb000,
  /** Refused: out of resources, unable to perform sub-operations (every one failed). */
  SubOperationsFailed: 0xa702,
  /** Refused: Move Destination unknown. */
  MoveDestinationUnknown: 0xa801,
  /** Identifier does not match SOP class. */
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** Unable to process. */
  UnableToProcess: 0xc000,
} as const;

/** Query/Retrieve Level (0008,0052). */
export type RetrieveLevel = "PATIENT" | "STUDY" | "SERIES" | "IMAGE";

/**
 * What a C-MOVE / C-GET identifier designates (PS3.4 C.4.2.1.4.1): unique keys at the level and above, each a list
 * of values any of which matches. Same shape as storage's InstanceSelector, plus AccessionNumber (an Orthanc
 * extension at STUDY level, used when StudyInstanceUID is empty).
 */
export interface RetrieveSelector {
  readonly level: RetrieveLevel;
  readonly patientIds?: readonly string[];
  readonly studyInstanceUids?: readonly string[];
  readonly accessionNumbers?: readonly string[];
  readonly seriesInstanceUids?: readonly string[];
  readonly sopInstanceUids?: readonly string[];
}

/** One stored instance to send. */
export interface RetrieveInstance {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** The transfer syntax of the file. */
  readonly transferSyntaxUid: string;
  /** The Part 10 file (read and cut into PDUs by the codec runner). */
  readonly path: string;
  /** What the source knows of the instance's hierarchy (for the audit trail's Instances Transferred). */
  readonly studyInstanceUid?: string;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly accessionNumber?: string;
}

/** Where the instances of a retrieve come from (the server adapts its store/index; scp does not import storage). */
export interface RetrieveSource {
  instances(selector: RetrieveSelector, options: { readonly signal: AbortSignal }): AsyncIterable<RetrieveInstance>;
}

/** A Move Destination resolved from our configuration (PS3.4 C.4.2.1.3): how to open the sub-association. */
export interface MoveDestination {
  /** For messages: "STORESCP (name) at 127.0.0.1:11112". */
  readonly label: string;
  /** Opens a requestor association to the destination proposing `contexts` (its TLS, LocalAet and Timeout applied). */
  open(contexts: readonly ProposedPresentationContext[]): Promise<Association>;
}

/** `node:diagnostics_channel` channels of the retrieve services (`dicom:scp:<event>`). */
export const RetrieveChannels = {
  /** A C-MOVE or C-GET ended (or was refused): the RetrieveSummary. The audit trail can record the transfer from it. */
  finished: "dicom:scp:retrieve-finished",
} as const;

/** How one retrieve ended, for the caller's log and audit. */
export interface RetrieveSummary {
  readonly kind: "C-MOVE" | "C-GET";
  readonly association: Association;
  readonly sopClassUid: string;
  readonly level: RetrieveLevel | undefined;
  /** C-MOVE only: the Move Destination AE title asked for. */
  readonly destination?: string;
  readonly status: number;
  readonly matched: number;
  readonly completed: number;
  readonly failed: number;
  readonly warning: number;
  readonly cancelled: boolean;
  /** The instances sent (sub-operations completed or with a warning), for the audit trail. */
  readonly sent: readonly RetrieveInstance[];
  /** C-MOVE: the address of the Move Destination the sub-associations reached (undefined when none opened). */
  readonly destinationAddress?: string;
  /** C-MOVE: the sub-associations to the Move Destination were DICOM TLS. */
  readonly destinationEncrypted?: boolean;
  /** Why sub-operations failed (first ones; the count is `failed`), or why the request was refused. */
  readonly failures: ReadonlyArray<{ readonly sopInstanceUid?: string; readonly reason: string }>;
}
