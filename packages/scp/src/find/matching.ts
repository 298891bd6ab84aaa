/**
 * C-FIND attribute matching, PS3.4 §C.2.2.2: one key of a query identifier becomes a constraint that tells whether
 * a stored entity's value(s) match. Pure: the caller supplies the VR (from the dictionary) and the stored values.
 *
 * Where Orthanc departs from the standard, this follows the standard (see the scp README):
 * - DA/TM/DT ranges and single values are compared by meaning (Orthanc compares strings);
 * - a zero-length or absent stored value matches any constraint (PS3.4 C.3.2; Orthanc never matches it);
 * and it keeps Orthanc's behaviour where the standard leaves room:
 * - PN is matched without regard to case unless `caseSensitivePN` (Orthanc's CaseSensitivePN, default false);
 *   accented letters are upper-cased too, accents are not removed ("É" = "é", "E" != "É");
 * - a value holding '\' is a list whose items are alternatives, for every VR (the standard defines it for UI);
 * - a wildcard on a VR that does not take one is refused (a FindQueryError the SCP answers with 0xC000 naming the
 *   key), never matched as "everything".
 */

import { isTemporalVr, splitRange, TEMPORAL_VRS, type TemporalVr } from "./temporal.js";

/** PS3.4 C.2.2.2.4 (2024d): the VRs on which '*' and '?' are wildcards. */
export const WILDCARD_VRS: ReadonlySet<string> = new Set(["AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"]);

export const MatchKind = {
  Universal: "universal",
  SingleValue: "single-value",
  Wildcard: "wildcard",
  Range: "range",
  List: "list",
} as const;
export type MatchKind = (typeof MatchKind)[keyof typeof MatchKind];

export interface MatchOptions {
  /** Orthanc's CaseSensitivePN (default false). */
  readonly caseSensitivePN?: boolean;
}

export interface KeyConstraint {
  readonly keyword: string;
  readonly vr: string;
  readonly kind: MatchKind;
  /** The stored values of the attribute (several for a multi-valued one); undefined or [] when absent. */
  matches(stored: readonly string[] | undefined): boolean;
}

/** A key the matcher cannot evaluate as the standard defines it; `keyword` names it for the Error Comment. */
export class FindQueryError extends Error {
  readonly code = "ERR_DICOM_FIND_QUERY";
  constructor(
    readonly keyword: string,
    message: string,
  ) {
    super(`${keyword}: ${message}`);
    this.name = "FindQueryError";
  }
}

/** One alternative of a key: a predicate on one stored value. */
type ValueTest = (value: string) => boolean;

/** PS3.5 §6.2: leading/trailing spaces are not significant for these VRs (trailing only for the others). */
function normalize(vr: string, value: string): string {
  if (vr === "UI") return value.replace(/\0+$/, "");
  return /^(AE|CS|DS|IS|LO|PN|SH|DA|TM|DT)$/.test(vr) ? value.trim() : value.replace(/ +$/, "");
}

function fold(vr: string, options: MatchOptions): (s: string) => string {
  return vr === "PN" && options.caseSensitivePN !== true ? (s) => s.toUpperCase() : (s) => s;
}

function wildcardTest(pattern: string, f: (s: string) => string): ValueTest {
  const source = f(pattern).replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[\\s\\S]*").replaceAll("?", "[\\s\\S]");
  const re = new RegExp(`^${source}$`, "u");
  return (value) => re.test(f(value));
}

function temporalTest(keyword: string, vr: TemporalVr, value: string): ValueTest {
  const key = TEMPORAL_VRS[vr];
  const range = value.includes("-") ? splitRange(vr, value) : undefined;
  if (range !== undefined) {
    const { low, high } = range;
    return (stored) => {
      const k = key(stored);
      return k !== undefined && (low === undefined || k >= low) && (high === undefined || k <= high);
    };
  }
  const wanted = key(value);
  if (wanted === undefined) throw new FindQueryError(keyword, `"${value}" is not a ${vr} value or range (PS3.5 §6.2, PS3.4 C.2.2.2.5)`);
  return (stored) => key(stored) === wanted;
}

function alternative(keyword: string, vr: string, value: string, options: MatchOptions): { kind: MatchKind; test: ValueTest } {
  if (isTemporalVr(vr)) {
    const test = temporalTest(keyword, vr, value);
    return { kind: value.includes("-") ? MatchKind.Range : MatchKind.SingleValue, test };
  }
  const f = fold(vr, options);
  if (/[*?]/.test(value)) {
    if (!WILDCARD_VRS.has(vr)) throw new FindQueryError(keyword, `a wildcard ('*' or '?') is not allowed on VR ${vr} (PS3.4 C.2.2.2.4)`);
    return { kind: MatchKind.Wildcard, test: wildcardTest(value, f) };
  }
  const wanted = f(value);
  return { kind: MatchKind.SingleValue, test: (stored) => f(stored) === wanted };
}

/**
 * The constraint for one key of a request identifier. `value` is the key's value as decoded (already in the
 * request's character set), multi-valued items joined by '\' as on the wire.
 */
export function parseConstraint(keyword: string, vr: string, value: string | undefined, options: MatchOptions = {}): KeyConstraint {
  const v = value === undefined ? "" : normalize(vr, value);
  // PS3.4 C.2.2.2.3: zero length is universal; a lone '*' is too where '*' is a wildcard.
  if (v === "" || (v === "*" && WILDCARD_VRS.has(vr))) return { keyword, vr, kind: MatchKind.Universal, matches: () => true };
  const items = v.split("\\").map((item) => normalize(vr, item));
  const alternatives = items.map((item) => alternative(keyword, vr, item, options));
  const tests = alternatives.map((a) => a.test);
  const kind = items.length > 1 ? MatchKind.List : alternatives[0]!.kind;
  return {
    keyword,
    vr,
    kind,
    matches(stored) {
      const values = (stored ?? []).map((s) => normalize(vr, s)).filter((s) => s !== "");
      // PS3.4 C.3.2: an entity whose value is zero length (unknown) matches any value.
      if (values.length === 0) return true;
      return values.some((s) => tests.some((t) => t(s)));
    },
  };
}

/** True when every constraint matches the entity; `get` returns an attribute's stored values by keyword. */
export function matchesAll(constraints: readonly KeyConstraint[], get: (keyword: string) => readonly string[] | undefined): boolean {
  for (const c of constraints) if (c.kind !== MatchKind.Universal && !c.matches(get(c.keyword))) return false;
  return true;
}
