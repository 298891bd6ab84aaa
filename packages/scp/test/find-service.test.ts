/**
 * The C-FIND handler on its own: identifiers in, responses out, over an in-memory index that applies the pre-filter
 * conditions as the SQLite index does (a superset) and then `accept`. Interop with findscu is in apps/server.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { Association, DatasetStream, DimseMessage, OutgoingMessage } from "@dicomtls/association";
import { CommandField, Status, cFindRq } from "@dicomtls/pdu-codec";
import { decodeIdentifier, encodeIdentifier, identifierText, type DecodedIdentifier } from "@dicomtls/dataset";
import { FindSopClass, StorageAccessOnFind, findHandler, type FindIndex, type FindIndexQuery, type FindIndexRecord, type FindServiceOptions } from "../src/index.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";

function record(level: FindIndexRecord["level"], attributes: Record<string, string>, sample = attributes.SOPInstanceUID ?? "1.9"): FindIndexRecord {
  return { level, attributes, sampleSopInstanceUid: sample };
}

const STUDIES: FindIndexRecord[] = [
  record("STUDY", { PatientID: "PAT001", PatientName: "Doe^John", StudyInstanceUID: "1.2.1", StudyDate: "20200115", StudyTime: "101500", ModalitiesInStudy: "CT" }, "1.2.1.1.1"),
  record("STUDY", { PatientID: "PAT001", PatientName: "Doe^John", StudyInstanceUID: "1.2.2", StudyDate: "20210620", StudyTime: "235959", ModalitiesInStudy: "MR" }, "1.2.2.1.1"),
  record("STUDY", { PatientID: "pat002", PatientName: "Dupont^Émilie", StudyInstanceUID: "1.2.3", StudyDate: "20220301", StudyTime: "080000", ModalitiesInStudy: "CT" }, "1.2.3.1.1"),
  record("STUDY", { PatientID: "PAT005", PatientName: "Roe^Ann", StudyInstanceUID: "1.2.5", StudyTime: "101500", ModalitiesInStudy: "CT" }, "1.2.5.1.1"),
];

/** Evaluates IndexConditions like the SQLite index does (a record whose value is empty passes only with matchAbsent). */
class MemoryIndex implements FindIndex {
  queries: FindIndexQuery[] = [];
  constructor(readonly records: readonly FindIndexRecord[]) {}
  async *find(query: FindIndexQuery): AsyncIterable<FindIndexRecord> {
    this.queries.push(query);
    let n = 0;
    for (const r of this.records) {
      query.signal?.throwIfAborted();
      if (r.level !== query.level) continue;
      const ok = (query.conditions ?? []).every((c) => {
        const v = r.attributes[c.keyword] ?? "";
        if (v === "") return c.matchAbsent === true;
        if ("anyOf" in c) return c.anyOf.includes(v);
        if ("prefix" in c) return c.caseInsensitive === true ? v.toUpperCase().startsWith(c.prefix.toUpperCase()) : v.startsWith(c.prefix);
        return (c.from === undefined || v >= c.from) && (c.to === undefined || v <= c.to);
      });
      if (!ok || (query.accept !== undefined && !query.accept(r))) continue;
      yield r;
      await Promise.resolve();
      if (query.limit !== undefined && query.limit > 0 && ++n >= query.limit) return;
    }
  }
}

function message(keys: Record<string, string | undefined>, sopClass: string = FindSopClass.StudyRoot, signal = new AbortController().signal): DimseMessage {
  const bytes = encodeIdentifier(keys, { transferSyntaxUid: EXPLICIT_LE });
  const dataset = [bytes] as unknown as DatasetStream;
  return {
    context: { id: 1, abstractSyntax: sopClass, transferSyntax: EXPLICIT_LE, requestorRoles: { scu: true, scp: false } },
    command: cFindRq({ messageId: 7, affectedSopClassUid: sopClass }),
    dataset,
    signal,
  };
}

interface Answer {
  status: number;
  identifier: DecodedIdentifier | undefined;
  errorComment: string | undefined;
}

async function run(options: Partial<FindServiceOptions> & { index: FindIndex }, keys: Record<string, string | undefined>, sopClass?: string, controller = new AbortController()): Promise<Answer[]> {
  const handler = findHandler({ aeTitle: "DICOMTLS", ...options });
  const result = await handler(message(keys, sopClass, controller.signal), { association: {} as Association, signal: controller.signal });
  const out: Answer[] = [];
  for await (const m of result as AsyncIterable<OutgoingMessage>) {
    assert.equal(m.command.commandField, CommandField.CFindRsp);
    assert.equal(m.command.messageIdBeingRespondedTo, 7);
    const ds = m.dataset as Uint8Array | undefined;
    out.push({ status: m.command.status ?? -1, identifier: ds === undefined ? undefined : decodeIdentifier(ds, EXPLICIT_LE), errorComment: m.command.errorComment });
  }
  return out;
}

const uids = (answers: Answer[]): string[] => answers.filter((a) => a.identifier !== undefined).map((a) => identifierText(a.identifier!, "StudyInstanceUID"));

test("matches stream as Pending answers holding only the requested keys, the level, the Retrieve AE Title; Success has no data set", async () => {
  const answers = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", PatientName: "doe^john", StudyInstanceUID: "", StudyDate: "" });
  assert.deepEqual(uids(answers), ["1.2.1", "1.2.2"]);
  assert.deepEqual(answers.map((a) => a.status), [Status.Pending, Status.Pending, Status.Success]);
  assert.equal(answers.at(-1)?.identifier, undefined);
  assert.deepEqual(Object.keys(answers[0]!.identifier!).sort(), ["PatientName", "QueryRetrieveLevel", "RetrieveAETitle", "StudyDate", "StudyInstanceUID"]);
  assert.deepEqual(answers[0]!.identifier!.RetrieveAETitle, ["DICOMTLS"]);
  assert.deepEqual(answers[0]!.identifier!.StudyDate, ["20200115"]);
});

test("CaseSensitivePN true: a lower-case name matches nothing; the pre-filter is exact then", async () => {
  const index = new MemoryIndex(STUDIES);
  const answers = await run({ index, caseSensitivePN: true }, { QueryRetrieveLevel: "STUDY", PatientName: "doe^john" });
  assert.deepEqual(uids(answers), []);
  assert.deepEqual(index.queries[0]?.conditions, [{ keyword: "PatientName", anyOf: ["doe^john"], matchAbsent: true }]);
});

test("pre-filters: a PN prefix before the wildcard (case-insensitive), UID lists as anyOf, DA ranges; each keeps C.3.2 (matchAbsent)", async () => {
  const index = new MemoryIndex(STUDIES);
  await run({ index }, { QueryRetrieveLevel: "STUDY", PatientName: "DU*", StudyInstanceUID: "1.2.3\\1.2.1", StudyDate: "20200101-" });
  assert.deepEqual(index.queries[0]?.conditions, [
    { keyword: "StudyDate", from: "20200101", matchAbsent: true },
    { keyword: "PatientName", prefix: "DU", caseInsensitive: true, matchAbsent: true },
    { keyword: "StudyInstanceUID", anyOf: ["1.2.3", "1.2.1"], matchAbsent: true },
  ]);
});

test("a zero-length stored date matches a range (PS3.4 C.3.2); times by meaning", async () => {
  const dates = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", StudyDate: "20200101-20201231", StudyInstanceUID: "" });
  assert.deepEqual(uids(dates), ["1.2.1", "1.2.5"]);
  const times = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", StudyTime: "-1015", StudyInstanceUID: "" });
  assert.deepEqual(uids(times), ["1.2.1", "1.2.3", "1.2.5"]);
});

test("level errors: missing or unknown -> C000 naming (0008,0052); PATIENT under Study Root -> A900; never an identifier", async () => {
  const index = new MemoryIndex(STUDIES);
  for (const [keys, status] of [
    [{ PatientID: "" }, Status.CannotUnderstand],
    [{ QueryRetrieveLevel: "FOO" }, Status.CannotUnderstand],
    [{ QueryRetrieveLevel: "PATIENT" }, Status.IdentifierDoesNotMatchSopClass],
  ] as const) {
    const answers = await run({ index }, keys);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.status, status);
    assert.equal(answers[0]?.identifier, undefined);
    assert.match(answers[0]?.errorComment ?? "", /0008,0052/);
  }
  assert.equal(index.queries.length, 0);
});

test("a wildcard on a UI key is C000 naming the key, not 'everything'", async () => {
  const answers = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", StudyInstanceUID: "1.2.*" });
  assert.deepEqual(answers.map((a) => a.status), [Status.CannotUnderstand]);
  assert.match(answers[0]?.errorComment ?? "", /StudyInstanceUID/);
});

test("a constraint on a key below the level matches nothing; universal it comes back zero-length", async () => {
  const none = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", Modality: "CT" });
  assert.deepEqual(none.map((a) => a.status), [Status.Success]);
  const empty = await run({ index: new MemoryIndex(STUDIES) }, { QueryRetrieveLevel: "STUDY", Modality: "", PatientID: "PAT005" });
  assert.deepEqual(empty[0]?.identifier?.Modality, []);
});

test("keys the index lacks are read from the stored file: Always filters on them, Answers only fills them (FF01), Never leaves them empty", async () => {
  const files: Record<string, Record<string, string>> = { "1.2.1.1.1": { StudyDescription: "HEAD" }, "1.2.2.1.1": { StudyDescription: "KNEE" } };
  const reads: string[] = [];
  const readStoredAttributes = (uid: string, keywords: readonly string[]) => {
    reads.push(`${uid}:${keywords.join(",")}`);
    return Promise.resolve(files[uid] ?? {});
  };
  const index = new MemoryIndex(STUDIES);
  const keys = { QueryRetrieveLevel: "STUDY", PatientID: "PAT001", StudyDescription: "KNEE", StudyInstanceUID: "" };
  const always = await run({ index, readStoredAttributes }, keys);
  assert.deepEqual(uids(always), ["1.2.2"]);
  assert.deepEqual(always[0]?.identifier?.StudyDescription, ["KNEE"]);
  assert.deepEqual(reads, ["1.2.1.1.1:StudyDescription", "1.2.2.1.1:StudyDescription"]);
  const answers = await run({ index, readStoredAttributes, storageAccessOnFind: StorageAccessOnFind.Answers }, keys);
  assert.deepEqual(uids(answers), ["1.2.1", "1.2.2"]);
  assert.deepEqual(answers.slice(0, 2).map((a) => a.status), [Status.PendingWarning, Status.PendingWarning]);
  assert.deepEqual(answers[0]?.identifier?.StudyDescription, ["HEAD"]);
  const never = await run({ index, readStoredAttributes, storageAccessOnFind: StorageAccessOnFind.Never }, { ...keys, StudyDescription: "" });
  assert.deepEqual(never[0]?.identifier?.StudyDescription, []);
  assert.equal(reads.length, 4);
});

test("LimitFindResults: N answers then Success; LimitFindInstances applies to IMAGE only", async () => {
  const answers = await run({ index: new MemoryIndex(STUDIES), limitFindResults: 2, limitFindInstances: 1 }, { QueryRetrieveLevel: "STUDY", StudyInstanceUID: "" });
  assert.deepEqual(answers.map((a) => a.status), [Status.Pending, Status.Pending, Status.Success]);
});

test("C-CANCEL (the signal) stops the find: Cancel FE00 without a data set, after fewer answers", async () => {
  const many = Array.from({ length: 1000 }, (_, i) => record("IMAGE", { SOPInstanceUID: `1.3.${i}`, InstanceNumber: String(i) }));
  const controller = new AbortController();
  const handler = findHandler({ aeTitle: "DICOMTLS", index: new MemoryIndex(many) });
  const result = (await handler(message({ QueryRetrieveLevel: "IMAGE", SOPInstanceUID: "" }, FindSopClass.PatientRoot, controller.signal), {
    association: {} as Association,
    signal: controller.signal,
  })) as AsyncIterable<OutgoingMessage>;
  const statuses: number[] = [];
  let last: OutgoingMessage | undefined;
  for await (const m of result) {
    statuses.push(m.command.status ?? -1);
    last = m;
    if (statuses.length === 3) controller.abort();
  }
  assert.equal(last?.command.status, Status.Cancel);
  assert.equal(last?.dataset, undefined);
  assert.ok(statuses.length < 10, `${statuses.length} responses`);
});

test("a query in ISO_IR 192 matches an accented name without folding accents; the answer is UTF-8", async () => {
  const index = new MemoryIndex(STUDIES);
  const hit = await run({ index }, { QueryRetrieveLevel: "STUDY", PatientName: "DUPONT^ÉMILIE", StudyInstanceUID: "" });
  assert.deepEqual(uids(hit), ["1.2.3"]);
  assert.deepEqual(hit[0]?.identifier?.SpecificCharacterSet, ["ISO_IR 192"]);
  assert.deepEqual(hit[0]?.identifier?.PatientName, ["Dupont^Émilie"]);
  const miss = await run({ index }, { QueryRetrieveLevel: "STUDY", PatientName: "dupont^emilie" });
  assert.deepEqual(uids(miss), []);
});
