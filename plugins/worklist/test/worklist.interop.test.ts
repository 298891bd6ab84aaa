/**
 * Issue 11, "What must be shown" 4: DCMTK `findscu -W +tls` against the built dicomtls-server whose configuration is
 * an Orthanc one (`Plugins` lists Orthanc's libModalityWorklists.so, `Worklists: { Enable, Database }`), over .wl files
 * made by dump2dcm: the entries filtered by scheduled date range, modality and station AE title, and the same
 * answers as Orthanc 1.10.1 with that very plugin on the same folder. The node's access control applies
 * (AllowFindWorklist false: the association is aborted at the C-FIND, as Orthanc does).
 */
import { strict as assert } from "node:assert";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeIdentifier, identifierText, type DecodedIdentifier } from "@dicomtls/dataset";
import { appCommand, dcmtkEnv, freePort, requireTool, runProcess, startOrthanc, startServer, stopAll, tempDir, type RunResult, type StartedOrthanc, type StartedServer } from "@dicomtls/test-peers";
import { createTestPki, writeCert, writePem } from "@dicomtls/test-pki";
import { decodeWorklistFile } from "../src/index.js";
import { writeAll, writeWorklist, ENTRIES } from "./wl-support.js";

/** Debian's orthanc package ships Orthanc's sample worklist plugin here (`dpkg -L orthanc`). */
const ORTHANC_WORKLIST_PLUGIN = "/usr/share/orthanc/plugins/libModalityWorklists.so";

requireTool("findscu");
requireTool("dump2dcm");
requireTool(ORTHANC_WORKLIST_PLUGIN);
const tmp = tempDir("dicomtls-worklist-interop-");
const db = join(tmp.path, "WorklistsDatabase");
let tls: { key: string; cert: string; ca: string; serverKey: string; serverCert: string };
let server: StartedServer;
let orthanc: StartedOrthanc;

const modalities = {
  findscu: ["FINDSCU", "127.0.0.1", 104],
  ct1: ["CT1", "127.0.0.1", 104],
  ct2: ["CT2", "127.0.0.1", 104],
  blocked: { AET: "BLOCKED", Host: "127.0.0.1", Port: 104, AllowFindWorklist: false },
};

before(async () => {
  mkdirSync(db);
  await writeAll(db);
  const pki = await createTestPki({ name: "worklist-" });
  const s = writeCert(tmp.path, "server", pki.server);
  const c = writeCert(tmp.path, "client", pki.client);
  tls = { key: c.keyFile, cert: c.certFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle), serverKey: s.keyFile, serverCert: s.certFile };
});

/** dicomtls-server and Orthanc, each with the worklist plugin on `db` and the `Worklists` options given. */
async function startPair(name: string, options: Record<string, unknown> = {}): Promise<{ server: StartedServer; orthanc: StartedOrthanc }> {
  const config = {
    DicomAet: "DICOMTLS",
    DicomPort: await freePort(),
    HttpServerEnabled: false,
    DicomTlsEnabled: true,
    DicomTlsCertificate: tls.serverCert,
    DicomTlsPrivateKey: tls.serverKey,
    DicomTlsTrustedCertificates: tls.ca,
    StorageDirectory: join(tmp.path, `${name}-storage`),
    DicomModalities: modalities,
    // Orthanc's own configuration lines, relative folder included: the .so maps to @dicomtls/plugin-worklist.
    Plugins: [ORTHANC_WORKLIST_PLUGIN],
    Worklists: { Enable: true, Database: "WorklistsDatabase", ...options },
  };
  const path = join(tmp.path, `${name}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  const [s, o] = await Promise.all([
    startServer(path, { built: true }),
    (async () =>
      await startOrthanc({
        dir: join(tmp.path, `${name}-orthanc`),
        dicomPort: await freePort(),
        httpPort: await freePort(),
        config: {
          DicomTlsEnabled: true,
          DicomTlsCertificate: tls.serverCert,
          DicomTlsPrivateKey: tls.serverKey,
          DicomTlsTrustedCertificates: tls.ca,
          DicomModalities: modalities,
          Plugins: [ORTHANC_WORKLIST_PLUGIN],
          Worklists: { Enable: true, Database: db, ...options },
        },
      }))(),
  ]);
  return { server: s, orthanc: o };
}

after(async () => {
  await stopAll();
  tmp.remove();
});

interface Found {
  readonly run: RunResult;
  readonly answers: DecodedIdentifier[];
}

let queries = 0;
/** findscu -W over TLS with `-k` keys; each Pending identifier is extracted (-X) and decoded. */
async function findscu(port: number, keys: readonly string[], aet = "FINDSCU", calledAet = "DICOMTLS", options: readonly string[] = []): Promise<Found> {
  const out = join(tmp.path, `rsp-${++queries}`);
  mkdirSync(out);
  const args = ["-v", "-W", ...options, "-aet", aet, "-aec", calledAet, "+tls", tls.key, tls.cert, "+cf", tls.ca, "-X", "-od", out, ...keys.flatMap((k) => ["-k", k]), "127.0.0.1", String(port)];
  const run = await runProcess("findscu", args, { env: dcmtkEnv(), timeoutMs: 60_000 });
  const answers = readdirSync(out)
    .sort()
    .map((f) => {
      const bytes = readFileSync(join(out, f));
      return bytes.toString("latin1", 128, 132) === "DICM" ? decodeWorklistFile(bytes, f) : decodeIdentifier(bytes);
    });
  return { run, answers };
}

const accessions = (f: Found): string[] => f.answers.map((a) => identifierText(a, "AccessionNumber")).sort();
const finalStatus = (f: Found): string => /Received Final Find Response \(([^)]*)\)/.exec(f.run.output)?.[1] ?? `none (exit ${String(f.run.code)})`;

/**
 * Answers compared across servers: sorted by accession, a zero-length key left out. Orthanc leaves out a requested
 * key the entry lacks; dicomtls returns it zero-length (PS3.4 C.4.1.1.3.2, K.6.1.2.2: the return keys are Type 2).
 */
function comparable(f: Found): unknown[] {
  const strip = (d: DecodedIdentifier): Record<string, unknown> =>
    Object.fromEntries(Object.entries(d).flatMap(([k, v]) => (v.length === 0 ? [] : [[k, v.map((x) => (typeof x === "object" ? strip(x) : x))]])));
  return [...f.answers].sort((a, b) => identifierText(a, "AccessionNumber").localeCompare(identifierText(b, "AccessionNumber"))).map(strip);
}

const STEP = "ScheduledProcedureStepSequence[0]";
const RETURNED = ["AccessionNumber", "PatientName", "PatientID", "PatientBirthDate", `${STEP}.ScheduledStationAETitle`, `${STEP}.ScheduledProcedureStepStartTime`, `${STEP}.ScheduledProcedureStepID`];

/** Queries and the entries (of wl-support's ENTRIES) that match them, worked out by hand from the data. */
const QUERIES: ReadonlyArray<{ readonly what: string; readonly keys: readonly string[]; readonly expected: readonly string[] }> = [
  { what: "everything", keys: [`${STEP}.Modality`, `${STEP}.ScheduledProcedureStepStartDate`], expected: ["ACC1", "ACC2", "ACC3", "ACC4", "ACC5"] },
  { what: "scheduled date range + modality CT", keys: [`${STEP}.Modality=CT`, `${STEP}.ScheduledProcedureStepStartDate=20261205-20261206`], expected: ["ACC2", "ACC4", "ACC5"] },
  { what: "one scheduled date", keys: [`${STEP}.Modality`, `${STEP}.ScheduledProcedureStepStartDate=20261205`], expected: ["ACC2", "ACC3"] },
  { what: "open range up to a date + station CT1", keys: [`${STEP}.Modality`, `${STEP}.ScheduledProcedureStepStartDate=-20261205`, `${STEP}.ScheduledStationAETitle=CT1`], expected: ["ACC1"] },
  { what: "station AE title MR1 (E5's CT step is not returned)", keys: [`${STEP}.Modality`, `${STEP}.ScheduledProcedureStepStartDate`, `${STEP}.ScheduledStationAETitle=MR1`], expected: ["ACC3", "ACC5"] },
  { what: "modality MR from a date on", keys: [`${STEP}.Modality=MR`, `${STEP}.ScheduledProcedureStepStartDate=20261206-`], expected: ["ACC5"] },
  { what: "patient name wildcard + modality CT", keys: [`${STEP}.Modality=CT`, `${STEP}.ScheduledProcedureStepStartDate`, "PatientName=DOE*"], expected: ["ACC1", "ACC4"] },
];

describe("findscu -W +tls: the built dicomtls-server with the worklist plugin, and Orthanc 1.10.1 with libModalityWorklists.so", () => {
  before(async () => {
    ({ server, orthanc } = await startPair("plain"));
  });
  after(async () => {
    await Promise.all([server.stop(), orthanc.stop()]);
  });

  for (const q of QUERIES) {
    test(`${q.what}: the expected entries, the same answers as Orthanc`, async () => {
      const keys = [...RETURNED.filter((k) => !q.keys.some((x) => x.startsWith(`${k}=`))), ...q.keys];
      const [ours, theirs] = await Promise.all([findscu(server.port, keys), findscu(orthanc.dicomPort, keys, "FINDSCU", "ORTHANC")]);
      assert.equal(finalStatus(ours), "Success", ours.run.output);
      assert.equal(finalStatus(theirs), "Success", theirs.run.output);
      assert.deepEqual(accessions(ours), q.expected, ours.run.output);
      assert.deepEqual(comparable(ours), comparable(theirs));
      for (const a of ours.answers) {
        // Every requested key is answered, zero-length when the entry has none (no birth dates in these entries).
        assert.deepEqual(a["PatientBirthDate"], [], JSON.stringify(a));
        for (const item of a["ScheduledProcedureStepSequence"] ?? []) {
          assert.equal(typeof item, "object");
          const step = item as DecodedIdentifier;
          if (q.keys.includes(`${STEP}.Modality=CT`)) assert.deepEqual(step["Modality"], ["CT"]);
          if (q.keys.includes(`${STEP}.ScheduledStationAETitle=MR1`)) assert.deepEqual(step["ScheduledStationAETitle"], ["MR1"]);
        }
      }
    });
  }

  test("a .wl file moved into the folder is served by the next query, once the plugin has read the folder", async () => {
    await writeWorklist(tmp.path, "e6.wl", { ...ENTRIES["e3.wl"]!, accession: "ACC6", patientId: "P6" });
    renameSync(join(tmp.path, "e6.wl"), join(db, "e6.wl"));
    await server.waitForRecord((r) => r["event"] === "worklist-folder-read" && r["entries"] === 6, 30_000);
    const keys = ["AccessionNumber", `${STEP}.Modality=MR`, `${STEP}.ScheduledProcedureStepStartDate=20261205`];
    const [ours, theirs] = await Promise.all([findscu(server.port, keys), findscu(orthanc.dicomPort, keys, "FINDSCU", "ORTHANC")]);
    assert.deepEqual(accessions(ours), ["ACC3", "ACC6"], ours.run.output);
    assert.deepEqual(comparable(ours), comparable(theirs));
    const reads = (): number => server.records().filter((r) => r["event"] === "worklist-folder-read").length;
    const before = reads();
    rmSync(join(db, "e6.wl"));
    await server.waitForRecord((r) => r["event"] === "worklist-folder-read" && r["entries"] === 5 && reads() > before, 30_000);
  });

  test("findscu --cancel after 2 answers on a 300-entry folder: the final Cancel without a data set, fewer answers", async () => {
    const copies = join(tmp.path, "copies");
    mkdirSync(copies);
    const names = Array.from({ length: 300 }, (_, i) => `copy-${String(i).padStart(3, "0")}.wl`);
    for (const n of names) copyFileSync(join(db, "e1.wl"), join(copies, n));
    const reads = (): number => server.records().filter((r) => r["event"] === "worklist-folder-read").length;
    let before = reads();
    for (const n of names) renameSync(join(copies, n), join(db, n));
    await server.waitForRecord((r) => r["event"] === "worklist-folder-read" && r["entries"] === 305 && reads() > before, 30_000);
    const found = await findscu(server.port, ["AccessionNumber", "PatientName"], "FINDSCU", "DICOMTLS", ["--cancel", "2"]);
    assert.match(finalStatus(found), /^Cancel/, found.run.output.slice(-2000));
    assert.ok(found.answers.length >= 2 && found.answers.length < 305, `${found.answers.length} answers`);
    assert.doesNotMatch(found.run.output, /DataSetType/, "the Cancel response carries no data set");
    const done = await server.waitForRecord((r) => r["event"] === "worklist-find-done" && r["status"] === "0xFE00");
    assert.equal(done["matches"], found.answers.length);
    before = reads();
    for (const n of names) rmSync(join(db, n));
    await server.waitForRecord((r) => r["event"] === "worklist-folder-read" && r["entries"] === 5 && reads() > before, 30_000);
  });

  test("AllowFindWorklist false, and an AE the configuration does not know: the association is aborted at the C-FIND, as Orthanc does", async () => {
    for (const aet of ["BLOCKED", "STRANGER"]) {
      const [ours, theirs] = await Promise.all([findscu(server.port, ["AccessionNumber"], aet), findscu(orthanc.dicomPort, ["AccessionNumber"], aet, "ORTHANC")]);
      for (const f of [ours, theirs]) {
        assert.equal(f.answers.length, 0, f.run.output);
        assert.match(f.run.output, /Association Accepted[\s\S]*Peer aborted Association/, f.run.output);
      }
      const refused = await server.waitForRecord((r) => r["event"] === "command-refused" && r["callingAet"] === aet);
      assert.match(String(refused["msg"]), /association aborted/);
    }
  });

  test("a wildcard on a date: 0xC000 (as Orthanc), the Error Comment naming the key", async () => {
    const keys = ["AccessionNumber", `${STEP}.ScheduledProcedureStepStartDate=2026*`];
    const [ours, theirs] = await Promise.all([findscu(server.port, keys), findscu(orthanc.dicomPort, keys, "FINDSCU", "ORTHANC")]);
    assert.equal(finalStatus(ours), "Failed: UnableToProcess", ours.run.output);
    assert.equal(finalStatus(ours), finalStatus(theirs), theirs.run.output);
    const done = await server.waitForRecord((r) => r["event"] === "worklist-find-done" && r["status"] === "0xC000");
    assert.match(String(done["error"]), /^ScheduledProcedureStepStartDate: "2026\*" is not a DA value or range/);
  });
});

describe("Worklists.LimitAnswers and FilterIssuerAet, against Orthanc 1.10.1 with the same options", () => {
  let limited: { server: StartedServer; orthanc: StartedOrthanc };
  before(async () => {
    limited = await startPair("limited", { LimitAnswers: 2, FilterIssuerAet: true });
  });
  after(async () => {
    await Promise.all([limited.server.stop(), limited.orthanc.stop()]);
  });

  test("FilterIssuerAet: CT1 without a station in its query gets its own entries; LimitAnswers 2 cuts 3 matches to 2, then 0xFE00 (as Orthanc, which sends 3)", async () => {
    const own = ["AccessionNumber", `${STEP}.ScheduledStationAETitle`, `${STEP}.Modality`];
    const [ours, theirs] = await Promise.all([findscu(limited.server.port, own, "CT1"), findscu(limited.orthanc.dicomPort, own, "CT1", "ORTHANC")]);
    assert.deepEqual(accessions(ours), ["ACC1", "ACC4"], ours.run.output);
    assert.equal(finalStatus(ours), "Success", ours.run.output);
    assert.deepEqual(comparable(ours), comparable(theirs));
    // A station named in the query is kept (the option's documented intent): FINDSCU asks for CT2's entries. Orthanc
    // 1.10.1 replaces it with the caller's AE title whatever it is (its check tests the item's type, not the key's),
    // so it answers none: the one place where this plugin knowingly answers otherwise.
    const named = ["AccessionNumber", `${STEP}.ScheduledStationAETitle=CT2`];
    const [ours2, theirs2] = await Promise.all([findscu(limited.server.port, named), findscu(limited.orthanc.dicomPort, named, "FINDSCU", "ORTHANC")]);
    assert.deepEqual(accessions(ours2), ["ACC2", "ACC5"], ours2.run.output);
    assert.deepEqual(accessions(theirs2), [], theirs2.run.output);
    assert.equal(finalStatus(theirs2), "Success", theirs2.run.output);
    // A third entry for CT2 (moved in, read by the plugin): CT2's query matches three; two are answered, then 0xFE00.
    // Orthanc 1.10.1 ends with 0xFE00 too, after one answer more than the limit (it adds an answer before it checks).
    await writeWorklist(tmp.path, "e7.wl", { ...ENTRIES["e2.wl"]!, accession: "ACC7", patientId: "P7" });
    renameSync(join(tmp.path, "e7.wl"), join(db, "e7.wl"));
    await limited.server.waitForRecord((r) => r["event"] === "worklist-folder-read" && r["entries"] === 6, 30_000);
    const many = ["AccessionNumber", `${STEP}.Modality=CT`];
    const [ours3, theirs3] = await Promise.all([findscu(limited.server.port, many, "CT2"), findscu(limited.orthanc.dicomPort, many, "CT2", "ORTHANC")]);
    rmSync(join(db, "e7.wl"));
    assert.equal(ours3.answers.length, 2, ours3.run.output);
    assert.equal(finalStatus(ours3), "Cancel: MatchingTerminatedDueToCancelRequest", ours3.run.output);
    assert.equal(theirs3.answers.length, 3, theirs3.run.output);
    assert.equal(finalStatus(theirs3), finalStatus(ours3), theirs3.run.output);
    const done = await limited.server.waitForRecord((r) => r["event"] === "worklist-find-done" && r["limited"] === true);
    assert.equal(done["status"], "0xFE00");
  });
});

describe("a Worklists section the node cannot serve", () => {
  test("a Database folder that does not exist: the built server does not start, naming the plugin, the key and the path", async () => {
    const path = join(tmp.path, "missing.json");
    writeFileSync(
      path,
      JSON.stringify({ DicomAet: "DICOMTLS", DicomPort: await freePort(), HttpServerEnabled: false, StorageDirectory: join(tmp.path, "missing-storage"), Plugins: ["@dicomtls/plugin-worklist"], Worklists: { Enable: true, Database: "NoSuchFolder" } }),
    );
    const { cmd, args } = appCommand("server", { built: true });
    const r = await runProcess(cmd, [...args, path], { timeoutMs: 60_000 });
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.stderr, /plugin "worklist" \(@dicomtls\/plugin-worklist\): register failed: Worklists\.Database: .*NoSuchFolder: no such folder/, r.output);
    assert.doesNotMatch(r.stdout, /"event":"listening"/, r.output);
  });
});
