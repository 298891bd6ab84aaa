import type { AcceptedPresentationContext, ProposedPresentationContext } from "@dicomtls/association";
import { type FileInfo, DatasetTransferSyntax } from "@dicomtls/dataset";

/** PS3.8 §9.3.2.2: presentation context IDs are odd, 1..255, so one association carries at most 128. */
export const MAX_PRESENTATION_CONTEXTS = 128;

const LITTLE_ENDIAN: readonly string[] = [DatasetTransferSyntax.ExplicitVrLittleEndian, DatasetTransferSyntax.ImplicitVrLittleEndian];

/** True when the codec runner can convert a dataset stored in `from` to `to` (Implicit <-> Explicit VR LE). */
export function canConvert(from: string, to: string): boolean {
  return from === to || (LITTLE_ENDIAN.includes(from) && LITTLE_ENDIAN.includes(to));
}

/**
 * The contexts to propose for files of one SOP class: one per stored transfer syntax, offering that syntax alone (so
 * an acceptor that takes it gets the bytes as stored), plus one offering both Little Endian syntaxes when any file is
 * in one of them (so an acceptor that wants the other one still gets the file, converted).
 */
export function contextsForSopClass(sopClassUid: string, storedSyntaxes: Iterable<string>): ProposedPresentationContext[] {
  const out: ProposedPresentationContext[] = [];
  let anyLittleEndian = false;
  for (const ts of new Set(storedSyntaxes)) {
    out.push({ abstractSyntax: sopClassUid, transferSyntaxes: [ts] });
    if (LITTLE_ENDIAN.includes(ts)) anyLittleEndian = true;
  }
  if (anyLittleEndian) out.push({ abstractSyntax: sopClassUid, transferSyntaxes: LITTLE_ENDIAN });
  return out;
}

/** A set of SOP classes whose contexts fit in one association request. */
export interface ContextGroup {
  readonly index: number;
  readonly sopClasses: ReadonlySet<string>;
  readonly contexts: readonly ProposedPresentationContext[];
}

/**
 * Splits the files' SOP classes into groups of at most 128 contexts (first-fit, in order of first appearance); each
 * group is proposed in associations of its own.
 */
export function groupContexts(infos: Iterable<Pick<FileInfo, "sopClassUid" | "transferSyntaxUid">>, limit = MAX_PRESENTATION_CONTEXTS): ContextGroup[] {
  const syntaxes = new Map<string, Set<string>>();
  for (const i of infos) {
    let s = syntaxes.get(i.sopClassUid);
    if (s === undefined) syntaxes.set(i.sopClassUid, (s = new Set()));
    s.add(i.transferSyntaxUid);
  }
  const groups: Array<{ sopClasses: Set<string>; contexts: ProposedPresentationContext[] }> = [];
  for (const [sop, ts] of syntaxes) {
    let contexts = contextsForSopClass(sop, ts);
    // A SOP class with more stored syntaxes than one request holds keeps the Little Endian fallback first.
    if (contexts.length > limit) contexts = [...contexts.slice(-1), ...contexts.slice(0, limit - 1)];
    const g = groups.find((x) => x.contexts.length + contexts.length <= limit);
    if (g === undefined) groups.push({ sopClasses: new Set([sop]), contexts });
    else {
      g.sopClasses.add(sop);
      g.contexts.push(...contexts);
    }
  }
  return groups.map((g, index) => ({ index, sopClasses: g.sopClasses, contexts: g.contexts }));
}

/**
 * The accepted context to send a file on: one that takes its stored syntax (bytes as stored), else one whose
 * syntax it can be converted to; undefined when the acceptor took none that fits.
 */
export function chooseContext(accepted: readonly AcceptedPresentationContext[], info: Pick<FileInfo, "sopClassUid" | "transferSyntaxUid">): AcceptedPresentationContext | undefined {
  const forClass = accepted.filter((c) => c.abstractSyntax === info.sopClassUid);
  return forClass.find((c) => c.transferSyntax === info.transferSyntaxUid) ?? forClass.find((c) => canConvert(info.transferSyntaxUid, c.transferSyntax));
}
