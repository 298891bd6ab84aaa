/**
 * DCMTK 3.6.7 movescu and getscu (through Debian's stunnel4 as their TLS client: they have no TLS of their own) against
 * dicomtls-server over DICOM TLS. C-MOVE sends a study to a `storescp +tls` destination listed in DicomModalities with
 * UseDicomTls; each instance arrives with its data set byte for byte as sent by storescu (storescp +B writes what it
 * received). An unknown Move Destination is 0xA801; a destination that is down fails every sub-operation, counted
 * and listed (0008,0058) in the final response (0xA702). getscu retrieves a series into a folder, byte-identical.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  SyntheticSopClass,
  SyntheticTransferSyntax,
  datasetSha256,
  dcmtkEnv,
  freePort,
  readPart10Dataset,
  requireTool,
  runProcess,
  startServer,
  stopAll,
  tempDir,
  type StartedServer,
  type WrittenPart10File,
} from "@dicomtls/test-peers";
import { filesUnder, startStorescpTls, startStunnelClient, uid, writeSources } from "./retrieve-support.js";
import { storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["storescu", "storescp", "movescu", "getscu", "stunnel4"]) requireTool(tool);
const tmp = tempDir("dicomtls-retrieve-dcmtk-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const STUDY_A = uid(1);
const STUDY_B = uid(2);
const SERIES_CT = uid(11);
const SERIES_MR = uid(12);

/** Study A: a CT series of 3 (Explicit VR LE) and an MR series of 2 (one Implicit VR LE); study B: one CT. */
function fixtureSpecs() {
  const common = { patientId: "PAT001", patientName: "Doe^John", studyDate: "20200115" };
  return [
    ...[0, 1, 2].map((k) => ({ ...common, seed: 100 + k, sopClassUid: SyntheticSopClass.CtImageStorage, modality: "CT", studyInstanceUid: STUDY_A, seriesInstanceUid: SERIES_CT, sopInstanceUid: uid(100 + k) })),
    { ...common, seed: 110, sopClassUid: SyntheticSopClass.MrImageStorage, modality: "MR", studyInstanceUid: STUDY_A, seriesInstanceUid: SERIES_MR, sopInstanceUid: uid(110) },
    {
      ...common,
      seed: 111,
      sopClassUid: SyntheticSopClass.MrImageStorage,
      modality: "MR",
      studyInstanceUid: STUDY_A,
      seriesInstanceUid: SERIES_MR,
      sopInstanceUid: uid(111),
      transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian,
    },
    { ...common, seed: 200, sopClassUid: SyntheticSopClass.CtImageStorage, modality: "CT", studyInstanceUid: STUDY_B, seriesInstanceUid: uid(21), sopInstanceUid: uid(200) },
  ];
}

/** Received files by SOP Instance UID (from their File Meta). */
async function bySopInstance(folder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of filesUnder(folder)) out.set((await readPart10Dataset(path)).mediaStorageSopInstanceUid, path);
  return out;
}

async function assertArrivedIdentical(folder: string, expected: readonly WrittenPart10File[]): Promise<void> {
  const got = await bySopInstance(folder);
  assert.deepEqual([...got.keys()].sort(), expected.map((s) => s.spec.sopInstanceUid).sort(), `instances under ${folder}`);
  for (const s of expected) {
    const path = got.get(s.spec.sopInstanceUid)!;
    assert.equal((await readPart10Dataset(path)).transferSyntaxUid, s.spec.transferSyntax, `${path}: transfer syntax`);
    assert.equal(await datasetSha256(path), await datasetSha256(s.path), `${path}: data set bytes differ from ${s.path}`);
  }
}

describe("movescu / getscu through stunnel -> dicomtls-server (DICOM TLS)", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let sources: WrittenPart10File[];
  let dest: Awaited<ReturnType<typeof startStorescpTls>>;
  let tunnel: number;

  before(async () => {
    files = await writePki(tmp.path);
    dest = await startStorescpTls(tmp.path, "TLSDEST", files);
    const downPort = await freePort();
    const config = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), {
      DicomModalities: {
        movescu: { AET: "MOVESCU", Host: "127.0.0.1", Port: await freePort() },
        getscu: { AET: "GETSCU", Host: "127.0.0.1", Port: await freePort() },
        tlsdest: { AET: "TLSDEST", Host: "127.0.0.1", Port: dest.port, UseDicomTls: true },
        // Nobody listens there: every sub-operation fails.
        down: { AET: "DOWN", Host: "127.0.0.1", Port: downPort, UseDicomTls: true, Timeout: 5 },
      },
    });
    server = await startServer(config.path);
    sources = await writeSources(join(tmp.path, "sources"), fixtureSpecs());
    const stored = await storescuTls(files, server.port, sources.map((s) => s.path));
    assert.equal(stored.code, 0, stored.output);
    tunnel = (await startStunnelClient(tmp.path, "qr", files, server.port)).port;
  });
  after(() => server.stop());

  const movescu = (destination: string, keys: readonly string[]) =>
    runProcess("movescu", ["-d", "-S", "-aet", "MOVESCU", "-aec", "DICOMTLS", "-aem", destination, "127.0.0.1", String(tunnel), ...keys.flatMap((k) => ["-k", k])], {
      env: dcmtkEnv(),
      timeoutMs: 60_000,
    });

  test("movescu moves study A to a storescp +tls destination (UseDicomTls): every instance arrives byte-identical, Move Originator set, final Success", async () => {
    const r = await movescu("TLSDEST", ["QueryRetrieveLevel=STUDY", `StudyInstanceUID=${STUDY_A}`]);
    const studyA = sources.filter((s) => s.spec.studyInstanceUid === STUDY_A);
    assert.match(r.output, /Received Final Move Response[\s\S]*Completed Suboperations\s*: 5[\s\S]*DIMSE Status\s*: 0x0000: Success/, r.output);
    assert.equal(r.code, 0, r.output);
    // A Pending after each sub-operation but the last, with counts and no data set (movescu -pi would choke on one).
    const pendings = [...r.output.matchAll(/Received Move Response \d+\s[\s\S]*?Remaining Suboperations\s*: (\d+)[\s\S]*?Data Set\s*: (\w+)/g)];
    assert.deepEqual(
      pendings.map((m) => [Number(m[1]), m[2]]),
      studyA.slice(1).map((_, k) => [studyA.length - 1 - k, "none"]),
      r.output,
    );
    await assertArrivedIdentical(dest.outDir, studyA);
    // PS3.7 §9.3.1.1: each sub-operation's C-STORE-RQ names the originator and the C-MOVE's Message ID.
    const log = dest.process.output();
    assert.equal((log.match(/Move Originator AE Title\s*:\s*MOVESCU/g) ?? []).length, studyA.length, log.slice(-4000));
    const record = await server.waitForRecord((x) => x["event"] === "c-move" && x["destination"] === "TLSDEST");
    assert.deepEqual([record["status"], record["completed"], record["failed"]], ["0x0000", studyA.length, 0]);
  });

  test("an unknown Move Destination is answered 0xA801 with no sub-operation", async () => {
    const r = await movescu("NOSUCHAE", ["QueryRetrieveLevel=STUDY", `StudyInstanceUID=${STUDY_B}`]);
    assert.match(r.output, /Refused: MoveDestinationUnknown|0xa801/i, r.output);
    assert.doesNotMatch(r.output, /\(Pending\)/, r.output);
    const record = await server.waitForRecord((x) => x["event"] === "c-move" && x["destination"] === "NOSUCHAE");
    assert.deepEqual([record["status"], record["matched"]], ["0xA801", 0]);
  });

  test("a destination that is down: every sub-operation failed, counted, listed in (0008,0058) of the final response (0xA702)", async () => {
    const r = await movescu("DOWN", ["QueryRetrieveLevel=SERIES", `StudyInstanceUID=${STUDY_A}`, `SeriesInstanceUID=${SERIES_CT}`]);
    const series = sources.filter((s) => s.spec.seriesInstanceUid === SERIES_CT);
    assert.match(r.output, /Refused: OutOfResourcesSubOperations|0xa702/i, r.output);
    assert.match(r.output, new RegExp(`Received Final Move Response[\\s\\S]*Failed Suboperations\\s*: ${series.length}\\b`), r.output);
    assert.match(r.output, /\(0008,0058\) UI \[/, r.output);
    for (const s of series) assert.ok(r.output.includes(s.spec.sopInstanceUid), `${s.spec.sopInstanceUid} missing from the failed list:\n${r.output}`);
    const record = await server.waitForRecord((x) => x["event"] === "c-move" && x["destination"] === "DOWN");
    assert.deepEqual([record["status"], record["completed"], record["failed"]], ["0xA702", 0, series.length]);
  });

  test("getscu retrieves the CT series of study A into a folder on the same association, byte-identical", async () => {
    const out = join(tmp.path, "getscu-out");
    mkdirSync(out);
    const r = await runProcess(
      "getscu",
      ["-v", "-S", "+B", "-aet", "GETSCU", "-aec", "DICOMTLS", "-od", out, "127.0.0.1", String(tunnel), "-k", "QueryRetrieveLevel=SERIES", "-k", `StudyInstanceUID=${STUDY_A}`, "-k", `SeriesInstanceUID=${SERIES_CT}`],
      { env: dcmtkEnv(), timeoutMs: 60_000 },
    );
    const series = sources.filter((s) => s.spec.seriesInstanceUid === SERIES_CT);
    assert.match(r.output, /Received Final C-GET Response|Received C-GET Response \(Success\)|Final status report/, r.output);
    assert.equal((r.output.match(/Received C-STORE Request/g) ?? []).length, series.length, r.output);
    await assertArrivedIdentical(out, series);
    const record = await server.waitForRecord((x) => x["event"] === "c-get" && x["callingAet"] === "GETSCU");
    assert.deepEqual([record["status"], record["completed"], record["failed"]], ["0x0000", series.length, 0]);
  });
});
