/**
 * The index as Query/Retrieve and Storage Commitment see it: the patient / study / series / instance hierarchy,
 * behind an asynchronous interface so that a database server can take SQLite's place later without touching the
 * services. Queries with many matches stream (async iterators); nothing here builds one array of every match.
 *
 * Attribute values are keyed by their PS3.6 keyword (`PatientName`, `StudyInstanceUID`, ...) and hold the value as
 * the dataset has it (after the character set is decoded to a JS string; multi-valued joined with `\`).
 */
import type { StoredInstance } from "./instance-store.js";

/** Query/Retrieve Level (0008,0052) values. */
export const QueryLevel = {
  Patient: "PATIENT",
  Study: "STUDY",
  Series: "SERIES",
  Image: "IMAGE",
} as const;
export type QueryLevel = (typeof QueryLevel)[keyof typeof QueryLevel];

/** Attribute values by PS3.6 keyword. */
export type TagValues = Readonly<Record<string, string>>;

/**
 * A pre-filter the index can evaluate itself (in SQL for the SQLite index): a superset of the true matches, which the
 * caller's `accept` then narrows. Values are compared as stored (case-sensitive, by UTF-16/code point order), except
 * where `caseInsensitive`. A condition the index cannot evaluate (an attribute it does not hold at the level or above,
 * `caseInsensitive` on an attribute that is not a person name) is left out, so the pre-filter stays a superset; so is
 * a stored value holding several values (`\`) of a multi-valued attribute (OtherPatientIDs, ModalitiesInStudy...).
 * A record whose attribute is absent or empty fails the condition, unless `matchAbsent` (PS3.4 C.3.2: a zero-length
 * Required key of the stored entity matches any value; Orthanc never matches it).
 */
export type IndexCondition =
  /** The stored value is one of these (single value or UID list matching). */
  | { readonly keyword: string; readonly anyOf: readonly string[]; readonly matchAbsent?: boolean }
  /** The stored value starts with `prefix` (the literal part of a wildcard before its first `*` or `?`). */
  | { readonly keyword: string; readonly prefix: string; readonly caseInsensitive?: boolean; readonly matchAbsent?: boolean }
  /** `from` <= stored value <= `to` as strings, each bound optional (range matching on DA; TM/DT only by their string form). */
  | { readonly keyword: string; readonly from?: string; readonly to?: string; readonly matchAbsent?: boolean };

export interface IndexQuery {
  readonly level: QueryLevel;
  /** Conditions on attributes the index holds at `level` or above; every one must hold. */
  readonly conditions?: readonly IndexCondition[];
  /**
   * The exact test, on the record's attributes (the caller's PS3.4 C.2.2.2 matcher); records it refuses are skipped.
   * It runs synchronously while the index reads a page: it must not use the store.
   */
  readonly accept?: (record: IndexRecord) => boolean;
  /** Stop after this many accepted records (0 or absent: no limit). */
  readonly limit?: number;
  /** Ends the iteration (C-CANCEL, association end): no further record is yielded; the loop ends without an error. */
  readonly signal?: AbortSignal;
}

/** One patient, study, series or instance of the hierarchy. */
export interface IndexRecord {
  readonly level: QueryLevel;
  /**
   * The main attributes of this level and of the levels above it (a study record holds the patient's), plus the
   * computed ones of its level (PS3.4 C.3: NumberOfPatientRelatedStudies/Series/Instances,
   * NumberOfStudyRelatedSeries/Instances, ModalitiesInStudy, SOPClassesInStudy, NumberOfSeriesRelatedInstances).
   */
  readonly attributes: TagValues;
  /** An instance of this resource (itself at IMAGE level): where attributes the index does not hold are read from. */
  readonly sampleSopInstanceUid: string;
}

/**
 * The instances under one or more resources, for C-MOVE, C-GET and Storage Commitment: each list given must hold the
 * instance's value at its level (lists left out select any; an empty list selects none; no list at all selects
 * every instance of the hierarchy). `level` says what the identifier was; the lists alone decide.
 */
export interface InstanceSelector {
  readonly level: QueryLevel;
  readonly patientIds?: readonly string[];
  readonly studyInstanceUids?: readonly string[];
  readonly seriesInstanceUids?: readonly string[];
  readonly sopInstanceUids?: readonly string[];
}

export interface IndexStore {
  /** Records at a level, matching the query, streamed in a stable order. */
  find(query: IndexQuery): AsyncIterable<IndexRecord>;
  /** The stored instances a retrieve identifier designates, streamed (files may be read while iterating). */
  instances(selector: InstanceSelector, options?: { readonly signal?: AbortSignal }): AsyncIterable<StoredInstance>;
  /** One instance, for Storage Commitment (is this SOP Instance UID stored, with this SOP Class?). */
  instance(sopInstanceUid: string): Promise<StoredInstance | undefined>;
  /** How many resources a level holds (IMAGE: the instances in the hierarchy, i.e. with Study and Series Instance UIDs). */
  count(level: QueryLevel): Promise<number>;
}
