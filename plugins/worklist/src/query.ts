/**
 * A Modality Worklist C-FIND identifier (PS3.4 K.6.1.2) as a tree of keys: value keys become core C-FIND constraints
 * (PS3.4 C.2.2.2), a sequence key holds one item whose keys are matched item by item against the stored sequence
 * (sequence matching, C.2.2.2.6), recursively. Private and group-length elements are neither matched nor returned.
 */

import { resolveKey, type DecodedIdentifier, type IdentifierValue } from "@dicomtls/dataset";
import { FindQueryError, MatchKind, matchesAll, parseConstraint, type KeyConstraint, type MatchOptions } from "@dicomtls/scp";

/** A key of the query: a value to match and return, or a sequence whose item is a query of its own. */
export type QueryKey =
  | { readonly kind: "value"; readonly keyword: string; readonly tag: number; readonly vr: string; readonly constraint: KeyConstraint | undefined }
  | { readonly kind: "sequence"; readonly keyword: string; readonly tag: number; readonly item: QueryItem | undefined };

/** The keys of one level (the identifier, or the item of a sequence key). */
export interface QueryItem {
  readonly keys: readonly QueryKey[];
}

/** (0008,0005) is how values are encoded, not a key to match. */
const NOT_MATCHED = new Set(["SpecificCharacterSet"]);
/** VRs whose values the matcher compares; others (binary) are return keys only. */
const BINARY_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "UN", "SV", "UV", "AT", "US", "SS", "UL", "SL", "FL", "FD"]);

function tagOf(keyword: string): { tag: number; vr: string } | undefined {
  if (/^[0-9A-F]{8}$/.test(keyword)) return undefined; // private or not in the dictionary: its VR is unknown
  try {
    const r = resolveKey(keyword);
    return (r.tag & 0xffff) === 0 ? undefined : { tag: r.tag, vr: r.vr };
  } catch {
    return undefined;
  }
}

const isItem = (v: IdentifierValue): v is DecodedIdentifier => typeof v === "object";

/** Parses one level of the identifier; throws FindQueryError naming the key the matcher cannot take. */
export function parseQueryItem(identifier: DecodedIdentifier, options: MatchOptions = {}): QueryItem {
  const keys: QueryKey[] = [];
  for (const [keyword, values] of Object.entries(identifier)) {
    const t = tagOf(keyword);
    if (t === undefined) continue;
    if (t.vr === "SQ") {
      const items = values.filter(isItem);
      if (items.length > 1) throw new FindQueryError(keyword, `a sequence key holds at most one item, got ${items.length} (PS3.4 C.2.2.2.6)`);
      const item = items[0] === undefined ? undefined : parseQueryItem(items[0], options);
      keys.push({ kind: "sequence", keyword, tag: t.tag, item });
      continue;
    }
    if (values.some(isItem)) throw new FindQueryError(keyword, `holds items but its VR is ${t.vr}, not SQ`);
    const matched = !NOT_MATCHED.has(keyword) && !BINARY_VRS.has(t.vr) && values.length > 0;
    const constraint = matched ? parseConstraint(keyword, t.vr, values.map(String).join("\\"), options) : undefined;
    keys.push({ kind: "value", keyword, tag: t.tag, vr: t.vr, constraint: constraint?.kind === MatchKind.Universal ? undefined : constraint });
  }
  return { keys };
}

const textValues = (values: readonly IdentifierValue[] | undefined): readonly string[] | undefined =>
  values?.filter((v): v is string | number => !isItem(v)).map(String);

/** True when a sequence key's item asks for no match at all (every key universal): every stored item is returned. */
export function isUniversal(item: QueryItem | undefined): boolean {
  return item === undefined || item.keys.every((k) => (k.kind === "value" ? k.constraint === undefined : isUniversal(k.item)));
}

/** The stored items of a sequence that match the query item (all of them when it is universal). */
export function matchingItems(item: QueryItem | undefined, stored: readonly IdentifierValue[] | undefined): DecodedIdentifier[] {
  const items = (stored ?? []).filter(isItem);
  if (isUniversal(item)) return items;
  return items.filter((s) => matches(item!, s));
}

/**
 * PS3.4 C.2.2.2: every value key matches (a zero-length stored value matches any, C.3.2, as the core matcher has it),
 * and every sequence key with a constraint has at least one stored item matching its item.
 */
export function matches(query: QueryItem, dataset: DecodedIdentifier): boolean {
  const constraints: KeyConstraint[] = [];
  for (const k of query.keys) if (k.kind === "value" && k.constraint !== undefined) constraints.push(k.constraint);
  if (!matchesAll(constraints, (keyword) => textValues(dataset[keyword]))) return false;
  for (const k of query.keys) {
    if (k.kind === "sequence" && !isUniversal(k.item) && matchingItems(k.item, dataset[k.keyword]).length === 0) return false;
  }
  return true;
}
