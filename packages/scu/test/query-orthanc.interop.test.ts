import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { identifierText } from "@dicomtls/dataset";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { dcmtkEnv, freePort, readDatasetBytes, readPart10Dataset, requireTool, runProcess, startProcess, stopAll, tempDir, waitListening, type StartedOrthanc } from "@dicomtls/test-peers";
import { MoveFailedError, QueryError, QueryStatus, find, move, type FindMatch, type FindOptions, type MoveProgress } from "../src/index.js";
import { loadQrFixture, startQrOrthanc, type QrFixture } from "./qr-fixture.js";

requireTool("storescp");
const tmp = tempDir("dicomtls-scu-qr-");
let pki: TestPki;
let orthanc: StartedOrthanc;
let fixture: QrFixture;
let storescp: { port: number; out: string };
const BULK = 300;

before(async () => {
  pki = await createTestPki({ name: "scu-qr " });
  // The C-MOVE destination: storescp +tls, bit-preserving (+B), trusting our test CA (Orthanc's client certificate).
  const dest = writeCert(tmp.path, "storescp", pki.server);
  const out = join(tmp.path, "moved");
  mkdirSync(out);
  const port = await freePort();
  await startProcess(
    "storescp",
    ["+tls", dest.keyFile, dest.chainFile, "+cf", writePem(tmp.path, "ca.crt", pki.trustedBundle), "-aet", "STORESCP", "+B", "-fe", ".dcm", "--output-directory", out, String(port)],
    { env: dcmtkEnv() },
  );
  await waitListening(port);
  storescp = { port, out };
  orthanc = await startQrOrthanc(tmp.path, pki, { storescp: { AET: "STORESCP", Host: "127.0.0.1", Port: port, UseDicomTls: true } });
  fixture = await loadQrFixture(orthanc, BULK);
});
after(async () => {
  await stopAll();
  tmp.remove();
});

const base = (): Omit<FindOptions, "level" | "keys"> => ({
  host: "127.0.0.1",
  port: orthanc.dicomPort,
  callingAeTitle: "DICOMTLS",
  calledAeTitle: "ORTHANC",
  tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
  timeouts: { dimseMs: 30_000 },
});

async function findAll(options: Pick<FindOptions, "level" | "keys" | "model">): Promise<FindMatch[]> {
  const query = find({ ...base(), ...options });
  const out: FindMatch[] = [];
  for await (const m of query) out.push(m);
  const result = await query.result();
  assert.equal(result.status, QueryStatus.Success, orthanc.output().slice(-2000));
  assert.equal(result.matches, out.length);
  return out;
}

const values = (matches: readonly FindMatch[], key: string): string[] => matches.map((m) => identifierText(m.identifier, key)).sort();

test("find over DICOM TLS at every level: exact, wildcard, date range and UID-list keys get the fixture's identifiers", async () => {
  const [a1, a2] = fixture.a;
  assert.ok(a1 !== undefined && a2 !== undefined);
  const studyA = a1.spec.studyInstanceUid;
  const studyB = fixture.b[0]?.spec.studyInstanceUid ?? "";
  const studyC = fixture.c.studyInstanceUid;

  const patients = await findAll({ model: "patient", level: "PATIENT", keys: { PatientID: "PAT001", PatientName: "" } });
  assert.equal(patients.length, 1);
  assert.deepEqual(patients[0]?.identifier["PatientName"], ["Doe^John"]);
  assert.deepEqual(patients[0]?.identifier["QueryRetrieveLevel"], ["PATIENT"]);

  const wildcard = await findAll({ level: "STUDY", keys: { PatientName: "Doe*", StudyInstanceUID: "", AccessionNumber: "" } });
  assert.deepEqual(values(wildcard, "StudyInstanceUID"), [studyA, studyB].sort());
  assert.deepEqual(values(wildcard, "AccessionNumber"), ["ACC001", "ACC002"]);

  const range = await findAll({ level: "STUDY", keys: { StudyDate: "20200101-20211231", StudyInstanceUID: "" } });
  assert.deepEqual(values(range, "StudyInstanceUID"), [studyA, studyB].sort());
  const openRange = await findAll({ level: "study", keys: { StudyDate: "20220101-", StudyInstanceUID: "" } });
  assert.deepEqual(values(openRange, "StudyInstanceUID"), [studyC]);
  assert.deepEqual(openRange[0]?.identifier["QueryRetrieveLevel"], ["study"].map((l) => l.toUpperCase()), "the level is sent upper-cased");

  const list = await findAll({ level: "STUDY", keys: { StudyInstanceUID: [studyA, studyC], PatientID: "" } });
  assert.deepEqual(values(list, "StudyInstanceUID"), [studyA, studyC].sort());
  assert.deepEqual(values(list, "PatientID"), ["PAT001", "pat002"]);

  const series = await findAll({ level: "SERIES", keys: { StudyInstanceUID: studyA, SeriesInstanceUID: "", Modality: "" } });
  assert.equal(series.length, 1);
  assert.deepEqual(series[0]?.identifier["SeriesInstanceUID"], [a1.spec.seriesInstanceUid]);
  assert.deepEqual(series[0]?.identifier["Modality"], ["CT"]);

  for (const model of ["study", "patient"] as const) {
    const keys = { ...(model === "patient" && { PatientID: "PAT001" }), StudyInstanceUID: studyA, SeriesInstanceUID: a1.spec.seriesInstanceUid, SOPInstanceUID: "", SOPClassUID: "" };
    const images = await findAll({ model, level: "IMAGE", keys });
    assert.deepEqual(values(images, "SOPInstanceUID"), [a1.spec.sopInstanceUid, a2.spec.sopInstanceUid].sort(), model);
    assert.deepEqual(values(images, "SOPClassUID"), [a1.spec.sopClassUid, a2.spec.sopClassUid], model);
  }
});

test("find: a non-ASCII PatientName goes as ISO_IR 192 and the answer decodes back to the same name", async () => {
  const matches = await findAll({ level: "STUDY", keys: { PatientName: "Dupont^Émilie", StudyInstanceUID: "", PatientID: "" } });
  assert.equal(matches.length, 1);
  assert.deepEqual(matches[0]?.identifier["PatientName"], [fixture.c.patientName]);
  assert.deepEqual(matches[0]?.identifier["PatientID"], [fixture.c.patientId]);
  assert.deepEqual(values(matches, "StudyInstanceUID"), [fixture.c.studyInstanceUid]);
});

test("find: aborting after the first match sends C-CANCEL and ends with Cancel (or Success if Orthanc was done), fewer matches than exist", async (t) => {
  const controller = new AbortController();
  const query = find({ ...base(), level: "IMAGE", keys: { StudyInstanceUID: fixture.f[0]?.spec.studyInstanceUid ?? "", SOPInstanceUID: "" }, signal: controller.signal });
  let seen = 0;
  for await (const m of query) {
    seen += 1;
    assert.equal(m.index, seen);
    controller.abort();
  }
  const result = await query.result();
  assert.ok(result.cancelled);
  assert.ok(result.status === QueryStatus.Cancel || result.status === QueryStatus.Success, `status 0x${result.status.toString(16)}`);
  assert.equal(seen, 1, "no match is delivered after the abort");
  assert.equal(result.matches, 1);
  // Orthanc polls for the cancel between responses (facts §0.9): some more come, not all of them.
  t.diagnostic(`find cancelled after the first match: final ${result.statusName}, ${result.pendingResponses} of ${BULK} pending responses sent`);
  if (result.status === QueryStatus.Cancel) assert.ok(result.pendingResponses < BULK, `${result.pendingResponses} pending responses before Cancel`);
  else assert.equal(result.pendingResponses, BULK, "Success after a cancel means Orthanc had sent every match");
  // The association was released cleanly: a new query works at once.
  assert.equal((await findAll({ level: "STUDY", keys: { PatientID: "PAT009", StudyInstanceUID: "" } })).length, 1);
});

test("find: leaving the loop early cancels too; a level the model lacks and an unknown key are refused before connecting", async () => {
  const query = find({ ...base(), level: "IMAGE", keys: { StudyInstanceUID: fixture.f[0]?.spec.studyInstanceUid ?? "", SOPInstanceUID: "" } });
  let seen = 0;
  for await (const _ of query) if (++seen === 3) break;
  const result = await query.result();
  assert.ok(result.cancelled && result.matches === 3);
  assert.ok(result.pendingResponses >= 3 && result.pendingResponses < BULK, String(result.pendingResponses));
  assert.throws(() => find({ ...base(), level: "PATIENT", keys: {} }), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_INVALID_ARGUMENT" && /Patient Root/.test(e.message));
  await assert.rejects(findAll({ level: "STUDY", keys: { PatientNme: "X" } }), (e: Error & { code?: string }) => e.code === "ERR_DICOM_DATASET_UNKNOWN_KEY" && e.message.includes("PatientNme"));
});

test("find against storescp (no Q/R service) is a typed refused-context error", async () => {
  const query = find({ ...base(), port: storescp.port, calledAeTitle: "STORESCP", level: "STUDY", keys: { StudyInstanceUID: "" } });
  await assert.rejects(query.result(), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_NO_CONTEXT" && e.message.includes("1.2.840.10008.5.1.4.1.2.2.1"));
});

test("move over DICOM TLS: Orthanc sends study A to storescp +tls, byte-identical data sets, counts right; unknown destination is C000", async () => {
  const op = move({ ...base(), destination: "STORESCP", level: "STUDY", keys: { StudyInstanceUID: fixture.a[0]?.spec.studyInstanceUid ?? "" } });
  const progress: MoveProgress[] = [];
  for await (const p of op) progress.push(p);
  const result = await op.result();
  assert.equal(result.status, QueryStatus.Success, orthanc.output().slice(-3000));
  assert.ok(result.ok);
  assert.equal(result.completed, fixture.a.length);
  assert.equal(result.failed, 0);
  assert.deepEqual(result.failedSopInstanceUids, []);
  for (const p of progress) assert.ok(p.completed + p.failed + p.warning + (p.remaining ?? 0) === fixture.a.length, JSON.stringify(p));

  const received = new Map<string, string>();
  for (const name of readdirSync(storescp.out)) received.set((await readPart10Dataset(join(storescp.out, name))).mediaStorageSopInstanceUid, join(storescp.out, name));
  assert.equal(received.size, fixture.a.length);
  for (const i of fixture.a) {
    const file = received.get(i.spec.sopInstanceUid);
    assert.ok(file !== undefined, `${i.spec.sopInstanceUid} did not arrive`);
    assert.ok((await readDatasetBytes(file)).equals(i.dataset), `${i.spec.sopInstanceUid}: other data set bytes`);
  }

  await assert.rejects(
    move({ ...base(), destination: "NOWHERE", level: "STUDY", keys: { StudyInstanceUID: fixture.a[0]?.spec.studyInstanceUid ?? "" } }).result(),
    (e: unknown) => e instanceof MoveFailedError && e.code === "ERR_DICOM_QUERY_STATUS" && e.status === QueryStatus.UnableToProcess && e.result.completed === 0,
  );
});

test("move: aborting after the first progress sends C-CANCEL; the final status is Cancel with fewer sub-operations than the study has (or Success)", async (t) => {
  const controller = new AbortController();
  const op = move({ ...base(), destination: "STORESCP", level: "SERIES", keys: { StudyInstanceUID: fixture.f[0]?.spec.studyInstanceUid ?? "", SeriesInstanceUID: fixture.f[0]?.spec.seriesInstanceUid ?? "" }, signal: controller.signal });
  let updates = 0;
  for await (const p of op) {
    updates += 1;
    assert.ok(p.completed + p.failed + p.warning + (p.remaining ?? 0) === BULK, JSON.stringify(p));
    controller.abort();
  }
  const result = await op.result();
  t.diagnostic(`move cancelled after the first progress: final ${result.statusName}, ${result.completed} of ${BULK} sent`);
  assert.ok(updates >= 1);
  assert.ok(result.cancelled);
  if (result.status === QueryStatus.Cancel) assert.ok(result.completed < BULK && !result.ok, JSON.stringify(result));
  else assert.equal(result.completed, BULK);
});

test("the README's Query/Retrieve example is examples/query.ts, and it runs against this Orthanc", async () => {
  const example = new URL("../examples/query.ts", import.meta.url);
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.ok(readme.includes(readFileSync(example, "utf8").trim()), "README.md quotes examples/query.ts verbatim");
  const r = await runProcess(process.execPath, ["--conditions=dicomtls-source", "--import", "tsx", example.pathname], {
    env: {
      ...process.env,
      PACS_PORT: String(orthanc.dicomPort),
      TLS_CA: writePem(tmp.path, "example-ca.pem", pki.trustedBundle),
      TLS_CERT: writePem(tmp.path, "example-cert.pem", pki.client.chain),
      TLS_KEY: writePem(tmp.path, "example-key.pem", pki.client.key),
    },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.output);
  // Studies A (20200115) and B (20210620) of Doe^John match DOE* from 2020 on; Orthanc's PN matching ignores case.
  assert.match(r.stdout, /^20200115 Doe\^John$/m);
  assert.match(r.stdout, /^20210620 Doe\^John$/m);
  assert.match(r.stdout, /^Success: 2 studies$/m);
  assert.match(r.stdout, /^Success: [12] completed, 0 failed \[\]$/m);
});
