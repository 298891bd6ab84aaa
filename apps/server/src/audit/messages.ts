/**
 * The PS3.15 A.5.3 DICOM audit messages dicomtls sends, as XML that validates against the PS3.15 A.5.1 schema
 * (element order as the schema's groups require: codes before the optional description, names before details).
 */
import { Buffer } from "node:buffer";
import { element, textElement, type AttrValue } from "./xml.js";

/** A coded value: `csd-code`, `codeSystemName`, `originalText` (PS3.15 A.5.1 CodedValueType). */
export interface CodedValue {
  readonly code: string;
  readonly system: string;
  readonly meaning: string;
}

const dcm = (code: string, meaning: string): CodedValue => ({ code, system: "DCM", meaning });

/** PS3.16 CID 400-403, 402 and PS3.15 A.5.3: the codes these messages use. */
export const AuditCodes = {
  ApplicationActivity: dcm("110100", "Application Activity"),
  ApplicationStart: dcm("110120", "Application Start"),
  ApplicationStop: dcm("110121", "Application Stop"),
  InstancesTransferred: dcm("110104", "DICOM Instances Transferred"),
  Query: dcm("110112", "Query"),
  SecurityAlert: dcm("110113", "Security Alert"),
  NodeAuthentication: dcm("110126", "Node Authentication"),
  UseOfRestrictedFunction: dcm("110132", "Use of Restricted Function"),
  Application: dcm("110150", "Application"),
  ApplicationLauncher: dcm("110151", "Application Launcher"),
  DestinationRoleId: dcm("110152", "Destination Role ID"),
  SourceRoleId: dcm("110153", "Source Role ID"),
  StudyInstanceUid: dcm("110180", "Study Instance UID"),
  SopClassUid: dcm("110181", "SOP Class UID"),
  NodeId: dcm("110182", "Node ID"),
  PatientNumber: { code: "2", system: "RFC-3881", meaning: "Patient Number" },
} as const satisfies Record<string, CodedValue>;

/** PS3.15 A.5.1 EventOutcomeIndicator. */
export const EventOutcome = { Success: "0", MinorFailure: "4", SeriousFailure: "8", MajorFailure: "12" } as const;
export type EventOutcome = (typeof EventOutcome)[keyof typeof EventOutcome];

/** This node as the audit messages name it (PS3.15 A.5.2.1-A.5.2.4). */
export interface AuditNode {
  readonly aeTitle: string;
  /** The machine name; NetworkAccessPointID of this node (A.5.2.4: one name for all messages). */
  readonly hostname: string;
  /** UserID of this process: the process ID, as in the node's own log (A.5.2.1). */
  readonly processId: string;
  /** UserName of this process (A.5.2.3). */
  readonly processName: string;
  /** AuditSourceID (A.5.2: the system that detected the event). */
  readonly auditSourceId: string;
  /** The operating-system user that started the process (Application Launcher), when known. */
  readonly launcher?: string;
}

/** A remote node: its address and, when known, its AE title and TLS certificate. */
export interface AuditPeer {
  readonly address: string;
  readonly port?: number;
  readonly aeTitle?: string;
  readonly certificate?: { readonly subject: string; readonly issuer?: string; readonly fingerprint256: string };
}

const coded = (name: string, c: CodedValue): string => element(name, { "csd-code": c.code, codeSystemName: c.system, originalText: c.meaning });
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const detail = (type: string, value: string): string => element("ParticipantObjectDetail", { type, value: b64(value) });
const aeTitles = (...aets: readonly string[]): string => `AETITLES=${aets.map((a) => a.trim()).join(";")}`;

interface Participant {
  readonly userId: string;
  readonly alternativeUserId?: string;
  readonly userName?: string;
  readonly requestor: boolean;
  readonly roles?: readonly CodedValue[];
  /** 1 = machine name, 2 = IP address. */
  readonly accessPoint?: { readonly type: "1" | "2"; readonly id: string };
}

function participant(p: Participant): string {
  const attrs: Record<string, AttrValue> = {
    UserID: p.userId,
    AlternativeUserID: p.alternativeUserId,
    UserName: p.userName,
    UserIsRequestor: p.requestor,
    NetworkAccessPointID: p.accessPoint?.id,
    NetworkAccessPointTypeCode: p.accessPoint?.type,
  };
  return element("ActiveParticipant", attrs, (p.roles ?? []).map((r) => coded("RoleIDCode", r)));
}

/** This process as an active participant. */
function ourProcess(node: AuditNode, requestor: boolean, roles: readonly CodedValue[], aeTitle = node.aeTitle): string {
  return participant({
    userId: node.processId,
    alternativeUserId: aeTitles(aeTitle),
    userName: node.processName,
    requestor,
    roles,
    accessPoint: { type: "1", id: node.hostname },
  });
}

interface EventSpec {
  readonly id: CodedValue;
  readonly types: readonly CodedValue[];
  readonly action: "C" | "R" | "U" | "D" | "E";
  readonly time: Date;
  readonly outcome: EventOutcome;
  readonly outcomeDescription?: string;
}

/** PS3.15 A.5.1 `message`: event, participants, the audit source, participant objects, in that order. */
function auditMessage(event: EventSpec, participants: readonly string[], node: AuditNode, objects: readonly string[] = []): string {
  const eventXml = element("EventIdentification", { EventActionCode: event.action, EventDateTime: event.time.toISOString(), EventOutcomeIndicator: event.outcome }, [
    coded("EventID", event.id),
    ...event.types.map((t) => coded("EventTypeCode", t)),
    ...(event.outcomeDescription !== undefined ? [textElement("EventOutcomeDescription", event.outcomeDescription)] : []),
  ]);
  // A.5.1.2.1 Audit Source Type Code 4: application server process.
  const source = element("AuditSourceIdentification", { AuditSourceID: node.auditSourceId }, [element("AuditSourceTypeCode", { "csd-code": "4" })]);
  return element("AuditMessage", {}, [eventXml, ...participants, source, ...objects]);
}

/** PS3.15 A.5.3.1 Application Activity: the node started or stopped. */
export function applicationActivity(node: AuditNode, spec: { readonly event: "start" | "stop"; readonly time: Date }): string {
  const participants = [ourProcess(node, false, [AuditCodes.Application])];
  if (node.launcher !== undefined) participants.push(participant({ userId: node.launcher, requestor: true, roles: [AuditCodes.ApplicationLauncher] }));
  return auditMessage(
    {
      id: AuditCodes.ApplicationActivity,
      types: [spec.event === "start" ? AuditCodes.ApplicationStart : AuditCodes.ApplicationStop],
      action: "E",
      time: spec.time,
      outcome: EventOutcome.Success,
    },
    participants,
    node,
  );
}

export interface SecurityAlertSpec {
  /** PS3.16 CID 403 Security Alert Type: Node Authentication, or Use of Restricted Function. */
  readonly type: CodedValue;
  readonly time: Date;
  readonly peer: AuditPeer;
  /** Our stable reason code (CERT_UNTRUSTED, CALLING_AE_NOT_RECOGNIZED ...). */
  readonly reason: string;
  /** Free text: what happened and why (the "Alert Description"). */
  readonly description: string;
  /** Default Minor failure: the peer was refused, so the mitigation worked (A.5.3.11). */
  readonly outcome?: EventOutcome;
}

/**
 * PS3.15 A.5.3.11 Security Alert: we (reporting process) refused a peer (performing process, UserIsRequestor FALSE);
 * the alert subject is the peer's node (110182 Node ID = its IP address) with the Alert Description and its certificate.
 */
export function securityAlert(node: AuditNode, spec: SecurityAlertSpec): string {
  const { peer } = spec;
  const cert = peer.certificate;
  const performer = participant({
    userId: cert?.subject ?? (peer.port === undefined ? peer.address : `${peer.address}:${peer.port}`),
    ...(peer.aeTitle !== undefined && { alternativeUserId: aeTitles(peer.aeTitle) }),
    requestor: false,
    accessPoint: { type: "2", id: peer.address },
  });
  const details = [
    detail("Alert Description", spec.description),
    detail("Reason", spec.reason),
    ...(peer.port !== undefined ? [detail("PeerPort", String(peer.port))] : []),
    ...(cert !== undefined
      ? [detail("CertificateSubject", cert.subject), ...(cert.issuer !== undefined ? [detail("CertificateIssuer", cert.issuer)] : []), detail("CertificateFingerprintSHA256", cert.fingerprint256)]
      : []),
  ];
  const subject = element(
    "ParticipantObjectIdentification",
    { ParticipantObjectID: peer.address, ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "13" },
    [coded("ParticipantObjectIDTypeCode", AuditCodes.NodeId), textElement("ParticipantObjectName", cert?.subject ?? peer.address), ...details],
  );
  return auditMessage(
    { id: AuditCodes.SecurityAlert, types: [spec.type], action: "E", time: spec.time, outcome: spec.outcome ?? EventOutcome.MinorFailure, outcomeDescription: spec.description },
    [ourProcess(node, false, []), performer],
    node,
    [subject],
  );
}

/** One study's instances received on one association. */
export interface TransferredStudy {
  readonly studyInstanceUid: string;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly accessionNumbers: readonly string[];
  /** SOP Class UID -> number of instances. */
  readonly sopClasses: ReadonlyMap<string, number>;
}

export interface InstancesTransferredSpec {
  readonly time: Date;
  /** The storage SCU: calling AE title and address. */
  readonly source: AuditPeer & { readonly aeTitle: string };
  /** Our AE title as the peer called it. */
  readonly calledAeTitle: string;
  /** A.5.3.7: C = new to us, R = we held identical copies, U = we replaced what we held. */
  readonly action: "C" | "R" | "U";
  readonly study: TransferredStudy;
  /** The association was DICOM TLS. */
  readonly encrypted: boolean;
}

/** PS3.15 A.5.3.7 DICOM Instances Transferred: one study, one association; the peer is the source, we are the destination. */
export function instancesTransferred(node: AuditNode, spec: InstancesTransferredSpec): string {
  const { source } = spec;
  const sourceXml = participant({
    userId: source.aeTitle.trim(),
    alternativeUserId: aeTitles(source.aeTitle),
    requestor: true,
    roles: [AuditCodes.SourceRoleId],
    accessPoint: { type: "2", id: source.address },
  });
  const destination = ourProcess(node, false, [AuditCodes.DestinationRoleId], spec.calledAeTitle);
  return auditMessage(
    { id: AuditCodes.InstancesTransferred, types: [], action: spec.action, time: spec.time, outcome: EventOutcome.Success },
    [sourceXml, destination],
    node,
    studyObjects(spec.study, spec.encrypted),
  );
}

/** A.5.3.7's participant objects: the study (accessions, SOP classes and counts) and its patient. */
function studyObjects(study: TransferredStudy, encrypted: boolean): string[] {
  const description = element("ParticipantObjectDescription", {}, [
    ...study.accessionNumbers.map((n) => element("Accession", { Number: n })),
    ...[...study.sopClasses].map(([uid, n]) => element("SOPClass", { UID: uid, NumberOfInstances: n })),
    textElement("Encrypted", String(encrypted)),
  ]);
  const studyXml = element("ParticipantObjectIdentification", { ParticipantObjectID: study.studyInstanceUid, ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "3" }, [
    coded("ParticipantObjectIDTypeCode", AuditCodes.StudyInstanceUid),
    textElement("ParticipantObjectName", study.studyInstanceUid),
    description,
  ]);
  const patientId = study.patientId ?? "";
  const patientXml = element("ParticipantObjectIdentification", { ParticipantObjectID: patientId, ParticipantObjectTypeCode: "1", ParticipantObjectTypeCodeRole: "1" }, [
    coded("ParticipantObjectIDTypeCode", AuditCodes.PatientNumber),
    textElement("ParticipantObjectName", study.patientName ?? patientId),
  ]);
  return [studyXml, patientXml];
}

export interface InstancesSentSpec {
  readonly time: Date;
  readonly kind: "C-MOVE" | "C-GET";
  /** Our AE title as the retrieve requestor called it. */
  readonly calledAeTitle: string;
  /** The C-MOVE / C-GET requestor. */
  readonly requestor: AuditPeer & { readonly aeTitle: string };
  /** C-MOVE: the Move Destination (AE title, and its address once reached); C-GET: the requestor itself. */
  readonly destination: { readonly aeTitle: string; readonly address?: string };
  readonly study: TransferredStudy;
  /** The association(s) the instances went over were DICOM TLS. */
  readonly encrypted: boolean;
  /** Default Success; Minor failure when some sub-operations of this retrieve failed. */
  readonly outcome?: EventOutcome;
}

/**
 * PS3.15 A.5.3.7 DICOM Instances Transferred, from the sender's side (action R, Read): instances of one study this
 * node sent for one C-MOVE or C-GET. Source = this node; destination = the Move Destination or the C-GET requestor;
 * a C-MOVE's requestor is a third participant, the one with UserIsRequestor true.
 */
export function instancesSent(node: AuditNode, spec: InstancesSentSpec): string {
  const { requestor, destination } = spec;
  const isGet = spec.kind === "C-GET";
  const source = ourProcess(node, false, [AuditCodes.SourceRoleId], spec.calledAeTitle);
  const dest = participant({
    userId: destination.aeTitle.trim(),
    alternativeUserId: aeTitles(destination.aeTitle),
    requestor: isGet,
    roles: [AuditCodes.DestinationRoleId],
    ...(destination.address !== undefined && { accessPoint: { type: "2" as const, id: destination.address } }),
  });
  const participants = [source, dest];
  if (!isGet) {
    participants.push(
      participant({ userId: requestor.aeTitle.trim(), alternativeUserId: aeTitles(requestor.aeTitle), requestor: true, accessPoint: { type: "2", id: requestor.address } }),
    );
  }
  return auditMessage(
    { id: AuditCodes.InstancesTransferred, types: [], action: "R", time: spec.time, outcome: spec.outcome ?? EventOutcome.Success },
    participants,
    node,
    studyObjects(spec.study, spec.encrypted),
  );
}

export interface QuerySpec {
  readonly time: Date;
  /** The C-FIND SCU: calling AE title and address. */
  readonly requestor: AuditPeer & { readonly aeTitle: string };
  /** Our AE title as the peer called it. */
  readonly calledAeTitle: string;
  /** The FIND SOP Class UID of the request. */
  readonly sopClassUid: string;
  /** The transfer syntax the identifier was encoded in. */
  readonly transferSyntaxUid: string;
  /** The identifier bytes as received (empty when none could be read). */
  readonly identifier: Uint8Array;
  /** Success, or Minor failure for a refused query (C000, A900). */
  readonly outcome: EventOutcome;
  readonly outcomeDescription?: string;
}

/**
 * PS3.15 A.5.3.10 Query: the peer (Source, requestor) asked this node (Destination) a C-FIND; the participant object is
 * the SOP class (110181) with the query itself (ParticipantObjectQuery: the identifier, base64) and its TransferSyntax.
 */
export function query(node: AuditNode, spec: QuerySpec): string {
  const { requestor } = spec;
  const issuer = participant({
    userId: requestor.aeTitle.trim(),
    alternativeUserId: aeTitles(requestor.aeTitle),
    requestor: true,
    roles: [AuditCodes.SourceRoleId],
    accessPoint: { type: "2", id: requestor.address },
  });
  const responder = ourProcess(node, false, [AuditCodes.DestinationRoleId], spec.calledAeTitle);
  const object = element("ParticipantObjectIdentification", { ParticipantObjectID: spec.sopClassUid, ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "3" }, [
    coded("ParticipantObjectIDTypeCode", AuditCodes.SopClassUid),
    textElement("ParticipantObjectQuery", Buffer.from(spec.identifier).toString("base64")),
    detail("TransferSyntax", spec.transferSyntaxUid),
  ]);
  return auditMessage(
    {
      id: AuditCodes.Query,
      types: [],
      action: "E",
      time: spec.time,
      outcome: spec.outcome,
      ...(spec.outcomeDescription !== undefined && { outcomeDescription: spec.outcomeDescription }),
    },
    [issuer, responder],
    node,
    [object],
  );
}
