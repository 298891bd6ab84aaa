import { CommitmentFailureReason, type CommitmentReport, type CommitmentRequest, type FailedSopReference, type SopReference } from "@dicomtls/dataset";

/** What the index knows of one stored instance (IndexStore.instance / InstanceStore.get give it). */
export interface CommittedInstance {
  readonly sopClassUid: string;
}

/** Looks a SOP Instance UID up among the stored instances; undefined when it is not stored. */
export type CommitmentLookup = (sopInstanceUid: string) => Promise<CommittedInstance | undefined>;

/**
 * PS3.4 J.3.3: checks each reference of a request against what is stored. Stored with the same SOP class: committed.
 * Not stored: Failure Reason 0x0112 (no such object instance). Stored under another SOP class: 0x0122 (referenced SOP
 * class not supported), as the task asks and PS3.3 C.14.1.1 allows; Orthanc answers 0x0119 (class/instance conflict)
 * there. A lookup that throws makes that reference 0x0110 (processing failure), the others are still checked.
 * An instance referenced twice is reported once (PS3.4 J.3.2: it may appear only once).
 */
export async function checkReferences(request: CommitmentRequest, lookup: CommitmentLookup, retrieveAeTitle?: string): Promise<CommitmentReport> {
  const committed: SopReference[] = [];
  const failed: FailedSopReference[] = [];
  const seen = new Set<string>();
  for (const ref of request.references) {
    if (seen.has(ref.sopInstanceUid)) continue;
    seen.add(ref.sopInstanceUid);
    let stored: CommittedInstance | undefined;
    try {
      stored = await lookup(ref.sopInstanceUid);
    } catch {
      failed.push({ ...ref, failureReason: CommitmentFailureReason.ProcessingFailure });
      continue;
    }
    if (stored === undefined) failed.push({ ...ref, failureReason: CommitmentFailureReason.NoSuchObjectInstance });
    else if (stored.sopClassUid !== ref.sopClassUid) failed.push({ ...ref, failureReason: CommitmentFailureReason.ReferencedSopClassNotSupported });
    else committed.push(ref);
  }
  return { transactionUid: request.transactionUid, committed, failed, ...(retrieveAeTitle !== undefined && committed.length > 0 && { retrieveAeTitle }) };
}
