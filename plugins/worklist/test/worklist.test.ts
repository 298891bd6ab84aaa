/**
 * The worklist core without a network: .wl files made by dump2dcm read from a folder (re-read on change, broken ones
 * left out with a reason), queries made by dump2dcm (-F, a bare data set) run through the C-FIND handler: Pending
 * answers with the requested keys only, sequence matching item by item, Success, Cancel, 0xC000 naming the key,
 * LimitAnswers and FilterIssuerAet.
 */
import { strict as assert } from "node:assert";
import { renameSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { OutgoingMessage } from "@dicomtls/association";
import { Status, cFindRq } from "@dicomtls/pdu-codec";
import { decodeIdentifier, identifierText, type DecodedIdentifier } from "@dicomtls/dataset";
import type { ServiceContext } from "@dicomtls/scp";
import { runProcess, tempDir } from "@dicomtls/test-peers";
import { MODALITY_WORKLIST_FIND, WorklistFolder, worklistFindHandler, type WorklistServiceOptions } from "../src/index.js";
import { ENTRIES, writeAll, writeWorklist } from "./wl-support.js";

const tmp = tempDir("dicomtls-worklist-");
const db = join(tmp.path, "db");
let folder: WorklistFolder;
const problems: string[] = [];
const readWaiters: Array<(r: { entries: number; filesRead: number }) => void> = [];
/** The folder's next read (its watcher's doing: the periodic re-check is an hour away). */
const nextRead = (): Promise<{ entries: number; filesRead: number }> =>
  new Promise((resolve, reject) => {
    // The folder's watcher does not hold the process open (persistent: false): this bound does, meanwhile.
    const timer = setTimeout(() => reject(new Error("the folder was not read again within 30 s of the change")), 30_000);
    readWaiters.push((r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });

before(async () => {
  (await import("node:fs")).mkdirSync(db);
  await writeAll(db);
  writeFileSync(join(db, "notes.txt"), "not a worklist");
  writeFileSync(join(db, "broken.wl"), "DICM? no");
  folder = new WorklistFolder(db, { recheckMs: 3_600_000, onProblem: (p) => problems.push(p.message), onRead: (r) => readWaiters.shift()?.(r) });
  await folder.open();
});
after(() => {
  folder.close();
  tmp.remove();
});

const EXPLICIT = "1.2.840.10008.1.2.1";

/** A query identifier written as dcmdump text and encoded by dump2dcm -F (a data set without File Meta). */
async function query(lines: readonly string[]): Promise<Buffer> {
  const name = `q-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(tmp.path, `${name}.dump`), `${lines.join("\n")}\n`);
  const r = await runProcess("dump2dcm", ["-F", "+te", join(tmp.path, `${name}.dump`), join(tmp.path, `${name}.dcm`)], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.output);
  return readFileSync(join(tmp.path, `${name}.dcm`));
}

const sps = (...inner: string[]): string[] => ["(0040,0100) SQ (Sequence with undefined length)", "(fffe,e000) na (Item with undefined length)", ...inner, "(fffe,e00d) na (ItemDelimitationItem)", "(fffe,e0dd) na (SequenceDelimitationItem)"];
const RETURN_STEP = ["(0008,0060) CS []", "(0040,0001) AE []", "(0040,0002) DA []", "(0040,0009) SH []"];

interface Answered {
  readonly statuses: number[];
  readonly identifiers: DecodedIdentifier[];
  readonly last: OutgoingMessage;
}

async function run(bytes: Buffer, options: Partial<WorklistServiceOptions> = {}, callingAet = "FINDSCU", cancelAfter?: number): Promise<Answered> {
  const controller = new AbortController();
  const handler = worklistFindHandler({ source: folder, ...options });
  const message = {
    context: { transferSyntax: EXPLICIT },
    command: cFindRq({ messageId: 7, affectedSopClassUid: MODALITY_WORKLIST_FIND }),
    dataset: { readAll: () => Promise.resolve(bytes) },
    signal: controller.signal,
  };
  const context = { association: { callingAeTitle: callingAet }, signal: controller.signal } as unknown as ServiceContext;
  const result = (await handler(message as never, context)) as AsyncIterable<OutgoingMessage>;
  const out: OutgoingMessage[] = [];
  for await (const m of result) {
    out.push(m);
    if (cancelAfter !== undefined && out.length === cancelAfter) controller.abort();
  }
  return {
    statuses: out.map((m) => m.command.status!),
    identifiers: out.filter((m) => m.dataset !== undefined).map((m) => decodeIdentifier(m.dataset as Uint8Array, EXPLICIT)),
    last: out.at(-1)!,
  };
}

const accessions = (a: Answered): string[] => a.identifiers.map((i) => identifierText(i, "AccessionNumber")).sort();

describe("the worklist folder", () => {
  test("holds the .wl files made by dump2dcm, leaves out other files, and names a broken .wl with its reason", async () => {
    const entries = await folder.entries();
    assert.deepEqual(entries.map((e) => e.name), Object.keys(ENTRIES).sort());
    assert.equal(entries[0]!.dataset["PatientName"]?.[0], "DOE^JOHN");
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /broken\.wl: not a DICOM Part 10 file.*left out/);
  });

  test("a new file is read after the watch event (the periodic re-check is an hour away); unchanged files are not read again", async () => {
    const read = nextRead();
    // Written aside, then moved in whole, as a RIS should: the folder never holds half a file.
    await writeWorklist(tmp.path, "e6.wl", { ...ENTRIES["e1.wl"]!, accession: "ACC6", patientId: "P6" });
    renameSync(join(tmp.path, "e6.wl"), join(db, "e6.wl"));
    assert.deepEqual(await read, { entries: 6, filesRead: 1 }, "only e6.wl is read");
    const entries = await folder.entries();
    assert.ok(entries.some((e) => e.name === "e6.wl"), entries.map((e) => e.name).join());
    const removed = nextRead();
    rmSync(join(db, "e6.wl"));
    assert.deepEqual(await removed, { entries: 5, filesRead: 0 });
    assert.ok(!(await folder.entries()).some((e) => e.name === "e6.wl"), "e6.wl is gone once removed");
  });
});

describe("the Modality Worklist C-FIND handler", () => {
  test("filters by scheduled date range, modality and station inside the sequence, returning only the matching items", async () => {
    const q = await query(["(0008,0050) SH []", "(0010,0010) PN []", "(0010,0030) DA []", ...sps("(0008,0060) CS [CT]", "(0040,0001) AE []", "(0040,0002) DA [20261205-20261206]", "(0040,0009) SH []")]);
    const a = await run(q);
    assert.deepEqual(accessions(a), ["ACC2", "ACC4", "ACC5"]);
    assert.deepEqual(a.statuses, [Status.Pending, Status.Pending, Status.Pending, Status.Success]);
    assert.equal(a.last.dataset, undefined);
    const e5 = a.identifiers.find((i) => i["AccessionNumber"]?.[0] === "ACC5")!;
    // Only the requested keys (and the entry's character set): PatientBirthDate is unknown, so zero-length; PatientID was not asked for.
    assert.deepEqual(Object.keys(e5).sort(), ["AccessionNumber", "PatientBirthDate", "PatientName", "ScheduledProcedureStepSequence", "SpecificCharacterSet"]);
    assert.deepEqual(e5["SpecificCharacterSet"], ["ISO_IR 100"]);
    assert.deepEqual(e5["PatientBirthDate"], []);
    assert.deepEqual(e5["ScheduledProcedureStepSequence"], [{ Modality: ["CT"], ScheduledStationAETitle: ["CT2"], ScheduledProcedureStepStartDate: ["20261206"], ScheduledProcedureStepID: ["S5B"] }]);
  });

  test("station AE title and a patient name wildcard; an empty sequence item returns every item", async () => {
    const byStation = await run(await query(["(0008,0050) SH []", ...sps("(0040,0001) AE [MR1]", "(0040,0009) SH []")]));
    assert.deepEqual(accessions(byStation), ["ACC3", "ACC5"]);
    const byName = await run(await query(["(0008,0050) SH []", "(0010,0010) PN [doe*]", ...sps(...RETURN_STEP)]));
    assert.deepEqual(accessions(byName), ["ACC1", "ACC4"]);
    const all = await run(await query(["(0008,0050) SH []", ...sps(...RETURN_STEP)]));
    assert.equal(all.identifiers.find((i) => i["AccessionNumber"]?.[0] === "ACC5")!["ScheduledProcedureStepSequence"]?.length, 2);
  });

  test("a key the matcher cannot take ends with 0xC000 and an Error Comment naming it", async () => {
    const a = await run(await query(["(0008,0050) SH []", ...sps("(0040,0002) DA [2026*]")]));
    assert.deepEqual(a.statuses, [Status.CannotUnderstand]);
    assert.match(a.last.command.errorComment ?? "", /^ScheduledProcedureStepStartDate: /);
  });

  test("C-CANCEL ends the answers with 0xFE00 and no data set", async () => {
    const a = await run(await query(["(0008,0050) SH []"]), {}, "FINDSCU", 2);
    assert.deepEqual(a.statuses, [Status.Pending, Status.Pending, Status.Cancel]);
    assert.equal(a.last.dataset, undefined);
  });

  test("LimitAnswers: that many answers, then 0xFE00 as Orthanc 1.10.1 ends an incomplete answer", async () => {
    const a = await run(await query(["(0008,0050) SH []"]), { limitAnswers: 2 });
    assert.deepEqual(a.statuses, [Status.Pending, Status.Pending, Status.Cancel]);
    const exact = await run(await query(["(0008,0050) SH []"]), { limitAnswers: 5 });
    assert.equal(exact.statuses.at(-1), Status.Success);
  });

  test("FilterIssuerAet: a query without a station gets the calling AE title; one with a station keeps it", async () => {
    const q = await query(["(0008,0050) SH []", ...sps("(0008,0060) CS []")]);
    assert.deepEqual(accessions(await run(q, { filterIssuerAet: true }, "CT1")), ["ACC1", "ACC4"]);
    const named = await query(["(0008,0050) SH []", ...sps("(0040,0001) AE [CT2]")]);
    assert.deepEqual(accessions(await run(named, { filterIssuerAet: true }, "CT1")), ["ACC2", "ACC5"]);
  });
});
