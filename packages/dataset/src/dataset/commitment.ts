/**
 * PS3.4 Annex J (Storage Commitment Push Model): the Action Information of the N-ACTION-RQ and the Event Information
 * of the N-EVENT-REPORT-RQ, as data sets in the presentation context's transfer syntax (Explicit or Implicit VR
 * Little Endian). Both are small (a Transaction UID and one or two sequences of references), so they are built and
 * read whole.
 */
import { elementHeader } from "./convert.js";
import { DatasetError, DatasetErrorCode } from "./errors.js";
import { decodeIdentifier, type DecodedIdentifier, type IdentifierValue } from "./identifier.js";
import { datasetEncoding } from "./transfer-syntax.js";

/** PS3.4 J.3: Storage Commitment Push Model SOP Class. */
export const STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS = "1.2.840.10008.1.20.1";
/** PS3.4 J.3: its well-known SOP Instance, the Requested/Affected SOP Instance of every N-ACTION and N-EVENT-REPORT. */
export const STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE = "1.2.840.10008.1.20.1.1";
/** PS3.4 J.3.2: Action Type ID 1, "Request Storage Commitment". */
export const STORAGE_COMMITMENT_ACTION_TYPE = 1;

/** PS3.4 J.3.3: Event Type ID of the report. */
export const CommitmentEventType = {
  /** Storage Commitment Request Successful: every reference is committed. */
  AllCommitted: 1,
  /** Storage Commitment Request Complete - Failures Exist. */
  FailuresExist: 2,
} as const;

/** PS3.3 C.14.1.1 Failure Reason (0008,1197) values. */
export const CommitmentFailureReason = {
  ProcessingFailure: 0x0110,
  NoSuchObjectInstance: 0x0112,
  ResourceLimitation: 0x0213,
  ReferencedSopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  DuplicateTransactionUid: 0x0131,
} as const;

/** One item of the Referenced SOP Sequence (0008,1199). */
export interface SopReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
}

/** One item of the Failed SOP Sequence (0008,1198). */
export interface FailedSopReference extends SopReference {
  /** (0008,1197), see CommitmentFailureReason. */
  readonly failureReason: number;
}

/** PS3.4 Table J.3-1: the N-ACTION's Action Information. */
export interface CommitmentRequest {
  readonly transactionUid: string;
  readonly references: readonly SopReference[];
}

/** PS3.4 Table J.3-2: the N-EVENT-REPORT's Event Information; every requested instance is in exactly one list. */
export interface CommitmentReport {
  readonly transactionUid: string;
  readonly committed: readonly SopReference[];
  readonly failed: readonly FailedSopReference[];
  /** (0008,0054) Retrieve AE Title: where the committed instances can be retrieved from (optional). */
  readonly retrieveAeTitle?: string;
}

const TAG = {
  RetrieveAETitle: 0x00080054,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  TransactionUID: 0x00081195,
  FailureReason: 0x00081197,
  FailedSOPSequence: 0x00081198,
  ReferencedSOPSequence: 0x00081199,
} as const;
const ITEM_TAG = 0xfffee000;
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/** The Event Type ID a report is sent with. */
export function commitmentEventType(report: CommitmentReport): number {
  return report.failed.length === 0 ? CommitmentEventType.AllCommitted : CommitmentEventType.FailuresExist;
}

function invalid(message: string): DatasetError {
  return new DatasetError(DatasetErrorCode.Unparsable, message, 0);
}

function checkUid(value: string, what: string): void {
  if (value.length === 0 || value.length > 64 || !UID_PATTERN.test(value)) throw invalid(`${what} ${JSON.stringify(value)} is not a UID (PS3.5 §9.1: digits and dots, at most 64 characters)`);
}

class Writer {
  readonly parts: Uint8Array[] = [];
  length = 0;
  constructor(readonly explicit: boolean) {}

  element(tag: number, vr: string, value: Uint8Array): void {
    this.#push(elementHeader(tag, this.explicit ? vr : undefined, value.length));
    this.#push(value);
  }

  text(tag: number, vr: "UI" | "AE", text: string): void {
    const padded = text.length % 2 === 0 ? text : text + (vr === "UI" ? "\0" : " ");
    this.element(tag, vr, Buffer.from(padded, "latin1"));
  }

  us(tag: number, n: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n, true);
    this.element(tag, "US", b);
  }

  /** A sequence of defined length whose items are written by `item`, each of defined length (PS3.5 §7.5). */
  sequence<T>(tag: number, items: readonly T[], item: (w: Writer, value: T) => void): void {
    const inner = new Writer(this.explicit);
    for (const value of items) {
      const w = new Writer(this.explicit);
      item(w, value);
      inner.#push(elementHeader(ITEM_TAG, undefined, w.length));
      for (const p of w.parts) inner.#push(p);
    }
    this.#push(elementHeader(tag, this.explicit ? "SQ" : undefined, inner.length));
    for (const p of inner.parts) this.#push(p);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  #push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
}

function writer(transferSyntaxUid: string): Writer {
  const enc = datasetEncoding(transferSyntaxUid);
  if (!enc.littleEndian || enc.deflated) {
    throw new DatasetError(DatasetErrorCode.NotConvertible, `storage commitment data sets are encoded in Explicit or Implicit VR Little Endian, not ${transferSyntaxUid}`, 0);
  }
  return new Writer(enc.explicitVr);
}

function referenceItem(w: Writer, r: SopReference): void {
  w.text(TAG.ReferencedSOPClassUID, "UI", r.sopClassUid);
  w.text(TAG.ReferencedSOPInstanceUID, "UI", r.sopInstanceUid);
}

function checkReferences(refs: readonly SopReference[], what: string): void {
  refs.forEach((r, i) => {
    checkUid(r.sopClassUid, `${what} item ${i + 1} Referenced SOP Class UID`);
    checkUid(r.sopInstanceUid, `${what} item ${i + 1} Referenced SOP Instance UID`);
  });
}

/** PS3.4 Table J.3-1: the N-ACTION-RQ data set. Throws DatasetError naming the UID at fault. */
export function encodeCommitmentRequest(request: CommitmentRequest, transferSyntaxUid: string): Uint8Array {
  checkUid(request.transactionUid, "Transaction UID (0008,1195)");
  if (request.references.length === 0) throw invalid("Referenced SOP Sequence (0008,1199): a storage commitment request names at least one instance");
  checkReferences(request.references, "Referenced SOP Sequence (0008,1199)");
  const w = writer(transferSyntaxUid);
  w.text(TAG.TransactionUID, "UI", request.transactionUid);
  w.sequence(TAG.ReferencedSOPSequence, request.references, referenceItem);
  return w.bytes();
}

/**
 * PS3.4 Table J.3-2: the N-EVENT-REPORT-RQ data set. The Referenced SOP Sequence is always written (empty when nothing
 * was committed, as Orthanc does); the Failed SOP Sequence only when something failed.
 */
export function encodeCommitmentReport(report: CommitmentReport, transferSyntaxUid: string): Uint8Array {
  checkUid(report.transactionUid, "Transaction UID (0008,1195)");
  checkReferences(report.committed, "Referenced SOP Sequence (0008,1199)");
  checkReferences(report.failed, "Failed SOP Sequence (0008,1198)");
  const w = writer(transferSyntaxUid);
  if (report.retrieveAeTitle !== undefined) w.text(TAG.RetrieveAETitle, "AE", report.retrieveAeTitle);
  w.text(TAG.TransactionUID, "UI", report.transactionUid);
  if (report.failed.length > 0) {
    w.sequence(TAG.FailedSOPSequence, report.failed, (iw, f) => {
      referenceItem(iw, f);
      iw.us(TAG.FailureReason, f.failureReason);
    });
  }
  w.sequence(TAG.ReferencedSOPSequence, report.committed, referenceItem);
  return w.bytes();
}

function text(values: readonly IdentifierValue[] | undefined): string | undefined {
  const v = values?.[0];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

function items(ds: DecodedIdentifier, keyword: string, tag: string): DecodedIdentifier[] | undefined {
  const values = ds[keyword];
  if (values === undefined) return undefined;
  if (values.some((v) => typeof v !== "object")) throw invalid(`${keyword} ${tag} is not a sequence`);
  return values as DecodedIdentifier[];
}

function referencesOf(list: readonly DecodedIdentifier[], what: string): SopReference[] {
  return list.map((item, i) => {
    const sopClassUid = text(item["ReferencedSOPClassUID"]);
    const sopInstanceUid = text(item["ReferencedSOPInstanceUID"]);
    if (sopClassUid === undefined) throw invalid(`${what} item ${i + 1} has no Referenced SOP Class UID (0008,1150)`);
    if (sopInstanceUid === undefined) throw invalid(`${what} item ${i + 1} has no Referenced SOP Instance UID (0008,1155)`);
    return { sopClassUid, sopInstanceUid };
  });
}

function transactionUidOf(ds: DecodedIdentifier): string {
  const uid = text(ds["TransactionUID"]);
  if (uid === undefined) throw invalid("no Transaction UID (0008,1195)");
  checkUid(uid, "Transaction UID (0008,1195)");
  return uid;
}

/**
 * Reads an N-ACTION-RQ data set. Throws DatasetError (ERR_DICOM_DATASET_UNPARSABLE) naming the attribute at fault
 * when the Transaction UID or the Referenced SOP Sequence is missing, empty, or an item lacks a UID.
 */
export function decodeCommitmentRequest(bytes: Uint8Array, transferSyntaxUid: string): CommitmentRequest {
  const ds = decodeIdentifier(bytes, transferSyntaxUid);
  const transactionUid = transactionUidOf(ds);
  const list = items(ds, "ReferencedSOPSequence", "(0008,1199)");
  if (list === undefined || list.length === 0) throw invalid("no Referenced SOP Sequence (0008,1199), or an empty one: nothing to commit");
  return { transactionUid, references: referencesOf(list, "Referenced SOP Sequence (0008,1199)") };
}

/** Reads an N-EVENT-REPORT-RQ data set (either sequence may be absent). Throws DatasetError naming the attribute at fault. */
export function decodeCommitmentReport(bytes: Uint8Array, transferSyntaxUid: string): CommitmentReport {
  const ds = decodeIdentifier(bytes, transferSyntaxUid);
  const transactionUid = transactionUidOf(ds);
  const committed = referencesOf(items(ds, "ReferencedSOPSequence", "(0008,1199)") ?? [], "Referenced SOP Sequence (0008,1199)");
  const failedItems = items(ds, "FailedSOPSequence", "(0008,1198)") ?? [];
  const failed = referencesOf(failedItems, "Failed SOP Sequence (0008,1198)").map((r, i) => {
    const reason = failedItems[i]?.["FailureReason"]?.[0];
    // PS3.3 C.14.1.1: Failure Reason is type 1; a peer that leaves it out still reports a failure.
    return { ...r, failureReason: typeof reason === "number" ? reason : CommitmentFailureReason.ProcessingFailure };
  });
  const retrieveAeTitle = text(ds["RetrieveAETitle"]);
  return { transactionUid, committed, failed, ...(retrieveAeTitle !== undefined && { retrieveAeTitle }) };
}
