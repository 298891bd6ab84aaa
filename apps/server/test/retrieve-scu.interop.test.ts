/**
 * dicomtls-server's C-MOVE and C-GET SCP driven by our own SCU over DICOM TLS (@dicomtls/scu move()/get()): C-CANCEL
 * stops a running move (the destination, storescp +tls, receives fewer instances than the series holds and the final
 * response is FE00 with the sub-operations not started as Remaining); a C-GET whose requestor did not propose one of
 * the instances' SOP classes fails those sub-operations, lists them, and still sends the others (PS3.4 C.4.3.3.1).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { QueryStatus, get, move, type GetOptions, type QueryConnectionOptions } from "@dicomtls/scu";
import { SyntheticSopClass, readDatasetBytes, requireTool, startServer, stopAll, tempDir, type StartedServer, type WrittenPart10File } from "@dicomtls/test-peers";
import { filesUnder, startStorescpTls, uid, writeSources } from "./retrieve-support.js";
import { storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["storescu", "storescp"]) requireTool(tool);
const tmp = tempDir("dicomtls-retrieve-scu-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const STUDY_A = uid(301);
const STUDY_F = uid(309);
const SERIES_F = uid(3091);
const BULK = 300;

describe("our SCU -> dicomtls-server C-MOVE / C-GET SCP (DICOM TLS)", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let dest: Awaited<ReturnType<typeof startStorescpTls>>;
  let studyA: WrittenPart10File[];

  before(async () => {
    files = await writePki(tmp.path);
    dest = await startStorescpTls(tmp.path, "TLSDEST", files);
    const config = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), {
      DicomModalities: {
        scu: { AET: "QRSCU", Host: "127.0.0.1", Port: 104 },
        tlsdest: { AET: "TLSDEST", Host: "127.0.0.1", Port: dest.port, UseDicomTls: true },
      },
    });
    server = await startServer(config.path);
    const common = { patientId: "PAT001", patientName: "Doe^John", accessionNumber: "ACC001" };
    studyA = await writeSources(join(tmp.path, "a"), [
      ...[0, 1, 2].map((k) => ({ ...common, seed: 3000 + k, sopClassUid: SyntheticSopClass.CtImageStorage, studyInstanceUid: STUDY_A, seriesInstanceUid: uid(3011), sopInstanceUid: uid(30100 + k) })),
      ...[0, 1].map((k) => ({ ...common, seed: 3010 + k, sopClassUid: SyntheticSopClass.MrImageStorage, studyInstanceUid: STUDY_A, seriesInstanceUid: uid(3012), sopInstanceUid: uid(30110 + k) })),
    ]);
    const bulk = await writeSources(
      join(tmp.path, "f"),
      Array.from({ length: BULK }, (_, k) => ({ patientId: "PAT009", seed: 4000 + k, rows: 8, columns: 8, studyInstanceUid: STUDY_F, seriesInstanceUid: SERIES_F, sopInstanceUid: uid(400000 + k) })),
    );
    const stored = await storescuTls(files, server.port, [...studyA, ...bulk].map((s) => s.path));
    assert.equal(stored.code, 0, stored.output);
  });
  after(() => server.stop());

  const base = (): QueryConnectionOptions => ({
    host: "127.0.0.1",
    port: server.port,
    callingAeTitle: "QRSCU",
    calledAeTitle: "DICOMTLS",
    tls: { ca: files.pki.trustedBundle, cert: files.pki.client.chain, key: files.pki.client.key },
    timeouts: { dimseMs: 30_000 },
  });

  test("C-CANCEL stops a running move: final FE00, Remaining = not started, fewer instances at the destination than the series holds", async (t) => {
    const controller = new AbortController();
    const op = move({ ...base(), destination: "TLSDEST", level: "SERIES", keys: { StudyInstanceUID: STUDY_F, SeriesInstanceUID: SERIES_F }, signal: controller.signal });
    let pendings = 0;
    for await (const p of op) {
      pendings++;
      assert.equal(p.completed + p.failed + p.warning + (p.remaining ?? 0), BULK, JSON.stringify(p));
      if (pendings === 3) controller.abort();
    }
    const result = await op.result();
    t.diagnostic(`cancelled after 3 Pending: ${result.completed} of ${BULK} sent, Remaining ${String(result.remaining)}`);
    assert.equal(result.status, QueryStatus.Cancel, JSON.stringify(result));
    assert.ok(result.cancelled);
    assert.ok(result.completed >= 3 && result.completed < BULK, JSON.stringify(result));
    assert.equal(result.remaining, BULK - result.completed - result.failed - result.warning);
    const arrived = filesUnder(dest.outDir).length;
    assert.equal(arrived, result.completed, `the destination holds ${arrived} files`);
    const record = await server.waitForRecord((x) => x["event"] === "c-move" && x["cancelled"] === true);
    assert.equal(record["status"], "0xFE00");
  });

  test("Patient Root IMAGE-level move of a UID list, and a Study Root move by AccessionNumber alone (Orthanc's extension)", async () => {
    const pick = [studyA[0]!, studyA[4]!];
    const byList = await move({
      ...base(),
      model: "patient",
      destination: "TLSDEST",
      level: "IMAGE",
      keys: { PatientID: "PAT001", StudyInstanceUID: STUDY_A, SeriesInstanceUID: "", SOPInstanceUID: pick.map((s) => s.spec.sopInstanceUid).join("\\") },
    }).result();
    assert.deepEqual([byList.status, byList.completed, byList.failed], [QueryStatus.Success, pick.length, 0], JSON.stringify(byList));
    const byAccession = await move({ ...base(), destination: "TLSDEST", level: "STUDY", keys: { StudyInstanceUID: "", AccessionNumber: "ACC001" } }).result();
    assert.deepEqual([byAccession.status, byAccession.completed], [QueryStatus.Success, studyA.length], JSON.stringify(byAccession));
    const none = await move({ ...base(), destination: "TLSDEST", level: "STUDY", keys: { StudyInstanceUID: uid(999) } }).result();
    // Zero matches: Success with zero counts, as dcmqrscp and pynetdicom (Orthanc answers C000).
    assert.deepEqual([none.status, none.completed, none.failed], [QueryStatus.Success, 0, 0], JSON.stringify(none));
  });

  test("C-GET without a context for the MR class: the MR sub-operations fail and are listed, the CT instances still arrive (B000)", async () => {
    const kept = new Map<string, Buffer>();
    const onInstance: GetOptions["onInstance"] = async (instance) => {
      const chunks: Uint8Array[] = [];
      for await (const c of instance.dataset) chunks.push(c);
      kept.set(instance.sopInstanceUid, Buffer.concat(chunks));
    };
    const op = get({ ...base(), level: "STUDY", keys: { StudyInstanceUID: STUDY_A }, sopClasses: [SyntheticSopClass.CtImageStorage], onInstance });
    for await (const p of op) assert.equal(p.completed + p.failed + p.warning + (p.remaining ?? 0), studyA.length, JSON.stringify(p));
    const result = await op.result();
    const ct = studyA.filter((s) => s.spec.sopClassUid === SyntheticSopClass.CtImageStorage);
    const mr = studyA.filter((s) => s.spec.sopClassUid === SyntheticSopClass.MrImageStorage);
    assert.equal(result.status, QueryStatus.Warning, JSON.stringify(result));
    assert.deepEqual([result.completed, result.failed], [ct.length, mr.length]);
    assert.deepEqual([...result.failedSopInstanceUids].sort(), mr.map((s) => s.spec.sopInstanceUid).sort());
    assert.deepEqual([...kept.keys()].sort(), ct.map((s) => s.spec.sopInstanceUid).sort());
    for (const s of ct) assert.ok(kept.get(s.spec.sopInstanceUid)!.equals(await readDatasetBytes(s.path)), `${s.spec.sopInstanceUid}: other data set bytes`);
  });
});
