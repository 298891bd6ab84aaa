/**
 * A C-FIND request identifier (PS3.4 C.4.1.1.3) turned into what the service runs: the level, the keys to return,
 * the constraints (PS3.4 C.2.2.2), the pre-filter the index can evaluate, and the keys that must be read from a
 * stored file. Pure: no I/O.
 */
import { resolveKey, type DecodedIdentifier, type IdentifierValue } from "@dicomtls/dataset";
import { FindQueryError, MatchKind, parseConstraint, type KeyConstraint, type MatchOptions } from "./matching.js";
import { splitRange } from "./temporal.js";
import { COMPUTED_KEYS, FindLevel, KEY_LEVEL, NEVER_MATCHED, PREFILTER_KEYS, levelDepth, parseLevel } from "./find-keys.js";

/** A pre-filter on an attribute the index holds (the same shape as @dicomtls/storage's IndexCondition). */
export type FindIndexCondition =
  | { readonly keyword: string; readonly anyOf: readonly string[]; readonly matchAbsent?: boolean }
  | { readonly keyword: string; readonly prefix: string; readonly caseInsensitive?: boolean; readonly matchAbsent?: boolean }
  | { readonly keyword: string; readonly from?: string; readonly to?: string; readonly matchAbsent?: boolean };

/** One requested key: how to answer it. */
export interface ReturnKey {
  readonly keyword: string;
  readonly vr: string;
  /** A key below the query level, a sequence, a binary VR: always answered zero-length. */
  readonly alwaysEmpty: boolean;
}

export interface ParsedFindQuery {
  readonly level: FindLevel;
  /** (0008,0052) as the request spelled it: echoed in each answer (Orthanc does). */
  readonly levelText: string;
  readonly returnKeys: readonly ReturnKey[];
  /** Constraints that are not universal, on keys at or above the level. */
  readonly constraints: readonly KeyConstraint[];
  readonly conditions: readonly FindIndexCondition[];
  /** A non-universal constraint on a key below the level (Orthanc: no result; see the README). */
  readonly matchesNothing: boolean;
  /** Non-universal constraints the matcher cannot apply (sequence matching): the answers are 0xFF01. */
  readonly unsupportedConstraints: readonly string[];
}

/** Query keys the service never answers: the command group, group lengths (Orthanc drops them too), private tags. */
function ignoredKey(name: string): boolean {
  if (/^[0-9A-F]{8}$/.test(name)) {
    const group = parseInt(name.slice(0, 4), 16);
    const element = parseInt(name.slice(4), 16);
    return group < 0x0008 || element === 0 || group % 2 === 1;
  }
  return false;
}

const BINARY_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "SQ"]);

function text(values: readonly IdentifierValue[] | undefined): string {
  return (values ?? []).map((v) => (typeof v === "object" ? "" : String(v))).join("\\");
}

function isUniversalSequence(values: readonly IdentifierValue[] | undefined): boolean {
  return (values ?? []).every((item) => typeof item === "object" && Object.values(item).every((v) => v.length === 0));
}

/** PS3.4 C.6.2.1: a level the request's information model does not have (answered 0xA900). */
export class LevelOutsideModelError extends FindQueryError {}

/** The level of (0008,0052), or a FindQueryError naming it. */
export function queryLevel(identifier: DecodedIdentifier, studyRoot: boolean): { level: FindLevel; levelText: string } {
  const levelText = text(identifier.QueryRetrieveLevel).trim();
  if (levelText === "") throw new FindQueryError("QueryRetrieveLevel", "(0008,0052) Query/Retrieve Level is missing or empty (PS3.4 C.4.1.1.3)");
  const level = parseLevel(levelText);
  if (level === undefined) throw new FindQueryError("QueryRetrieveLevel", `(0008,0052) "${levelText}" is not PATIENT, STUDY, SERIES or IMAGE`);
  if (studyRoot && level === FindLevel.Patient) {
    throw new LevelOutsideModelError("QueryRetrieveLevel", "(0008,0052) PATIENT is not a level of the Study Root model (PS3.4 C.6.2.1)");
  }
  return { level, levelText };
}

/**
 * What the index can pre-filter for a constraint (a superset of its matches): exact lists, the prefix of a wildcard
 * (case-insensitive for PN unless CaseSensitivePN), a DA range. `matchAbsent` keeps PS3.4 C.3.2 (an entity whose
 * value is zero length matches), as the exact matcher does.
 */
function prefilterOf(c: KeyConstraint, value: string, options: MatchOptions): FindIndexCondition | undefined {
  const keyword = c.keyword;
  if (c.vr === "DA" && c.kind === MatchKind.Range) {
    const range = splitRange("DA", value.trim());
    if (range === undefined) return undefined;
    return { keyword, ...(range.low !== undefined && { from: range.low }), ...(range.high !== undefined && { to: range.high }), matchAbsent: true };
  }
  if (!PREFILTER_KEYS.has(keyword)) return undefined;
  const caseInsensitive = c.vr === "PN" && options.caseSensitivePN !== true;
  const items = value.split("\\").map((s) => s.trim());
  if (items.some((s) => /[*?]/.test(s))) {
    if (items.length !== 1) return undefined;
    const prefix = items[0]!.slice(0, items[0]!.search(/[*?]/));
    return prefix === "" ? undefined : { keyword, prefix, ...(caseInsensitive && { caseInsensitive: true }), matchAbsent: true };
  }
  if (!caseInsensitive) return { keyword, anyOf: c.vr === "UI" ? items.map((s) => s.replace(/\0+$/, "")) : items, matchAbsent: true };
  return items.length === 1 ? { keyword, prefix: items[0]!, caseInsensitive: true, matchAbsent: true } : undefined;
}

/**
 * Parses a decoded identifier. Throws FindQueryError (answered 0xC000, or 0xA900 for a level outside the model)
 * naming the key at fault.
 */
export function parseFindQuery(identifier: DecodedIdentifier, studyRoot: boolean, options: MatchOptions = {}): ParsedFindQuery {
  const { level, levelText } = queryLevel(identifier, studyRoot);
  const depth = levelDepth(level);
  const returnKeys: ReturnKey[] = [];
  const constraints: KeyConstraint[] = [];
  const conditions: FindIndexCondition[] = [];
  const unsupportedConstraints: string[] = [];
  let matchesNothing = false;
  for (const [name, values] of Object.entries(identifier)) {
    if (NEVER_MATCHED.has(name) || ignoredKey(name)) continue;
    const vr = resolveVr(name);
    const keyDepth = levelDepth(KEY_LEVEL.get(name) ?? level);
    const below = keyDepth > depth;
    const binary = BINARY_VRS.has(vr);
    returnKeys.push({ keyword: name, vr, alwaysEmpty: below || binary || (COMPUTED_KEYS.has(name) && keyDepth !== depth) });
    if (vr === "SQ") {
      if (!isUniversalSequence(values)) unsupportedConstraints.push(name);
      continue;
    }
    if (binary) continue;
    const value = text(values);
    const constraint = parseConstraint(name, vr, value, options);
    if (constraint.kind === MatchKind.Universal) continue;
    if (below) {
      matchesNothing = true;
      continue;
    }
    constraints.push(constraint);
    const condition = prefilterOf(constraint, value, options);
    if (condition !== undefined) conditions.push(condition);
  }
  return { level, levelText, returnKeys, constraints, conditions, matchesNothing, unsupportedConstraints };
}

function resolveVr(name: string): string {
  try {
    return resolveKey(name).vr;
  } catch {
    return "UN";
  }
}
