import { strict as assert } from "node:assert";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createTestPki, writeCert, writePem } from "@dicomtls/test-pki";
import {
  dcmtkEnv,
  freePort,
  makeDataset,
  makeFileMeta,
  readDatasetBytes,
  readPart10Dataset,
  requireTool,
  resolveSpec,
  runCli,
  startOrthanc,
  startProcess,
  stopAll,
  tempDir,
  waitListening,
  type ResolvedDatasetSpec,
  type StartedOrthanc,
} from "@dicomtls/test-peers";
import { runGet } from "../src/commands/get-command.js";

requireTool("storescp");
const tmp = tempDir("dicomtls-cli-query-");
let certs: { clientKey: string; clientCrt: string; ca: string };
let orthanc: StartedOrthanc;
const moved = join(tmp.path, "moved");
/** Two studies of DOE^JANE (two instances, then one) and one of ROE^RICHARD; the values the tests expect. */
const studies = { doe1: "2.25.27182818284590452353602874700001", doe2: "2.25.27182818284590452353602874700002", roe: "2.25.27182818284590452353602874700003" };
const instances: Array<{ spec: ResolvedDatasetSpec; dataset: Buffer }> = [];

before(async () => {
  const pki = await createTestPki({ name: "cli-query " });
  const client = writeCert(tmp.path, "client", pki.client);
  const server = writeCert(tmp.path, "server", pki.server);
  certs = { clientKey: client.keyFile, clientCrt: client.chainFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
  mkdirSync(moved);
  const destPort = await freePort();
  await startProcess("storescp", ["+tls", server.keyFile, server.chainFile, "+cf", certs.ca, "-aet", "STORESCP", "+B", "-fe", ".dcm", "--output-directory", moved, String(destPort)], { env: dcmtkEnv() });
  await waitListening(destPort);
  orthanc = await startOrthanc({
    dir: join(tmp.path, "orthanc"),
    dicomPort: await freePort(),
    httpPort: await freePort(),
    config: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: server.chainFile,
      DicomTlsPrivateKey: server.keyFile,
      DicomTlsTrustedCertificates: certs.ca,
      DicomTlsRemoteCertificateRequired: true,
      DicomAlwaysAllowFind: true,
      DicomAlwaysAllowMove: true,
      DicomAlwaysAllowGet: true,
      DicomModalities: { dest: { AET: "STORESCP", Host: "127.0.0.1", Port: destPort, UseDicomTls: true } },
    },
  });
  const specs = [
    { seed: 51, patientId: "P1", patientName: "DOE^JANE", studyInstanceUid: studies.doe1, studyDate: "20240105" },
    { seed: 52, patientId: "P1", patientName: "DOE^JANE", studyInstanceUid: studies.doe1, studyDate: "20240105" },
    { seed: 53, patientId: "P1", patientName: "DOE^JANE", studyInstanceUid: studies.doe2, studyDate: "20231231" },
    { seed: 54, patientId: "P2", patientName: "ROE^RICHARD", studyInstanceUid: studies.roe, studyDate: "20240301" },
  ];
  for (const s of specs) {
    const spec = resolveSpec({ ...s, rows: 8, columns: 8, sequences: false });
    const dataset = makeDataset(spec);
    instances.push({ spec, dataset });
    const meta = makeFileMeta({ mediaStorageSopClassUid: spec.sopClassUid, mediaStorageSopInstanceUid: spec.sopInstanceUid, transferSyntaxUid: spec.transferSyntax });
    await orthanc.restOk("POST", "/instances", Buffer.concat([meta, dataset]));
  }
});
after(async () => {
  await stopAll();
  tmp.remove();
});

const target = (): string[] => ["127.0.0.1", String(orthanc.dicomPort), "--call", "ORTHANC", "--key", certs.clientKey, "--cert", certs.clientCrt, "--trusted", certs.ca];

test("find --json (built bin): one JSON object per match per line, the summary on stderr", async () => {
  const r = await runCli(["find", ...target(), "--level", "STUDY", "-k", "PatientName=DOE*", "-k", "StudyDate=20240101-", "-k", "StudyInstanceUID", "-k", "PatientID", "--json"], { built: true });
  assert.equal(r.code, 0, r.output);
  const lines = r.stdout.trim().split("\n");
  const matches = lines.map((l) => JSON.parse(l) as Record<string, unknown[]>);
  assert.deepEqual(matches.map((m) => m["StudyInstanceUID"]), [[studies.doe1]], "only DOE's 2024 study");
  assert.deepEqual(matches[0]?.["PatientID"], ["P1"]);
  assert.deepEqual(matches[0]?.["QueryRetrieveLevel"], ["STUDY"]);
  assert.match(r.stderr, /^find on ORTHANC at 127\.0\.0\.1:\d+: 1 match at STUDY level \(Success\) over DICOM TLS$/m);
});

test("find prints a table whose columns are the -k keys; a UID list selects two studies", async () => {
  const r = await runCli(["find", ...target(), "-k", `StudyInstanceUID=${studies.doe2}\\${studies.roe}`, "-k", "PatientName", "-k", "StudyDate"], { built: true });
  assert.equal(r.code, 0, r.output);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^StudyInstanceUID\s+PatientName\s+StudyDate$/);
  assert.match(lines[1] ?? "", /^-+ {2}-+ {2}-+$/);
  const rows = lines.slice(2, -1).map((l) => l.split(/\s+/)).sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? ""));
  assert.deepEqual(rows, [[studies.doe2, "DOE^JANE", "20231231"], [studies.roe, "ROE^RICHARD", "20240301"]].sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? "")));
  assert.match(lines.at(-1) ?? "", /: 2 matches at STUDY level \(Success\)/);
});

test("move (built bin) sends a study to storescp +tls: exit 0, counts, data sets identical", async () => {
  const r = await runCli(["move", ...target(), "--dest", "STORESCP", "--level", "STUDY", "-k", `StudyInstanceUID=${studies.doe1}`], { built: true });
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /^move to STORESCP via ORTHANC at 127\.0\.0\.1:\d+: Success; 2 completed, 0 failed, 0 warning over DICOM TLS$/m);
  // Not a terminal: plain lines, no redraws.
  assert.ok(!r.output.includes("\r") && !r.output.includes("\u001b["), "no carriage returns or escape sequences");
  const received = new Map<string, string>();
  for (const name of readdirSync(moved)) received.set((await readPart10Dataset(join(moved, name))).mediaStorageSopInstanceUid, join(moved, name));
  const expected = instances.filter((i) => i.spec.studyInstanceUid === studies.doe1);
  assert.equal(received.size, expected.length);
  for (const i of expected) {
    const file = received.get(i.spec.sopInstanceUid);
    assert.ok(file !== undefined && (await readDatasetBytes(file)).equals(i.dataset), i.spec.sopInstanceUid);
  }
});

test("move to an unknown destination: Orthanc's C000 is reported, exit 1", async () => {
  const r = await runCli(["move", ...target(), "--dest", "NOWHERE", "-k", `StudyInstanceUID=${studies.roe}`], { built: true });
  assert.equal(r.code, 1, r.output);
  assert.match(r.stderr, /ended with 0xC000 \(Failed: Unable to process\).*\[ERR_DICOM_QUERY_STATUS\]$/m);
  assert.match(r.stdout, /^move to NOWHERE via ORTHANC .*: Failed: Unable to process; 0 completed/m);
});

test("get (built bin) writes a study into --out as Part 10 files: exit 0, counts, data sets identical, File Meta right", async () => {
  const out = join(tmp.path, "got");
  const r = await runCli(["get", ...target(), "--out", out, "--level", "STUDY", "-k", `StudyInstanceUID=${studies.doe1}`], { built: true });
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /^get from ORTHANC at 127\.0\.0\.1:\d+ into .*got: Success; 2 completed, 0 failed, 0 warning; 2 files written over DICOM TLS$/m);
  // Orthanc sends a Pending after every sub-operation; not a terminal: plain lines, no redraws.
  assert.equal(r.stdout.match(/^pending: /gm)?.length, 2, r.stdout);
  assert.ok(!r.output.includes("\r") && !r.output.includes("\u001b["), "no carriage returns or escape sequences");
  const expected = instances.filter((i) => i.spec.studyInstanceUid === studies.doe1);
  assert.deepEqual(readdirSync(out).sort(), expected.map((i) => `${i.spec.sopInstanceUid}.dcm`).sort());
  for (const i of expected) {
    const file = join(out, `${i.spec.sopInstanceUid}.dcm`);
    const meta = await readPart10Dataset(file);
    assert.equal(meta.mediaStorageSopInstanceUid, i.spec.sopInstanceUid);
    assert.equal(meta.transferSyntaxUid, i.spec.transferSyntax);
    assert.ok((await readDatasetBytes(file)).equals(i.dataset), i.spec.sopInstanceUid);
  }
});

test("get on a terminal redraws one progress line on stderr (files written, counts) and clears it before the summary", async () => {
  const out = join(tmp.path, "got-tty");
  const lines: string[] = [];
  const drawn: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`err: ${l}`) };
  const flags = { aet: "DICOMTLS", call: "ORTHANC", level: "STUDY", model: "study" as const, queryKey: [["StudyInstanceUID", studies.doe1]] as const, timeout: 30, key: certs.clientKey, cert: certs.clientCrt, trusted: certs.ca, out };
  const code = await runGet(["127.0.0.1", String(orthanc.dicomPort)], flags, io, { tty: true, write: (t) => drawn.push(t) });
  assert.equal(code, 0, lines.join("\n"));
  assert.deepEqual(drawn.slice(0, 2), ["\r\u001b[2Kget: 1 files, 1 completed, 0 failed, 0 warning, 1 remaining", "\r\u001b[2Kget: 2 files, 2 completed, 0 failed, 0 warning, 0 remaining"]);
  assert.equal(drawn.at(-1), "\r\u001b[2K", "the line is cleared");
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0] ?? "", /: Success; 2 completed, 0 failed, 0 warning; 2 files written over DICOM TLS$/);
});

test("get --config CONFIG MODALITY; a study Orthanc does not hold is its C000, exit 1, nothing written", async () => {
  const config = join(tmp.path, "get-node.json");
  writeFileSync(
    config,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomTlsEnabled: true,
      DicomTlsCertificate: certs.clientCrt,
      DicomTlsPrivateKey: certs.clientKey,
      DicomTlsTrustedCertificates: certs.ca,
      DicomModalities: { pacs: { AET: "ORTHANC", Host: "127.0.0.1", Port: orthanc.dicomPort, UseDicomTls: true } },
    }),
  );
  const out = join(tmp.path, "got-config");
  const r = await runCli(["get", "--config", config, "pacs", "--out", out, "-k", `StudyInstanceUID=${studies.roe}`]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /get from ORTHANC \(pacs\) at 127\.0\.0\.1:\d+ into .*: Success; 1 completed, 0 failed, 0 warning; 1 files written/);
  const roe = instances.find((i) => i.spec.studyInstanceUid === studies.roe);
  assert.ok(roe !== undefined && (await readDatasetBytes(join(out, `${roe.spec.sopInstanceUid}.dcm`))).equals(roe.dataset));

  const none = join(tmp.path, "got-none");
  const missing = await runCli(["get", "--config", config, "pacs", "--out", none, "-k", "StudyInstanceUID=2.25.999"]);
  assert.equal(missing.code, 1, missing.output);
  assert.match(missing.stderr, /C-GET from ORTHANC .* ended with 0xC000 \(Failed: Unable to process\).*\[ERR_DICOM_QUERY_STATUS\]$/m);
  assert.deepEqual(readdirSync(none), []);
});

test("find --config CONFIG MODALITY takes the address, AE titles and TLS from an Orthanc configuration; bad -k is a clear error", async () => {
  const config = join(tmp.path, "node.json");
  writeFileSync(
    config,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomTlsEnabled: true,
      DicomTlsCertificate: certs.clientCrt,
      DicomTlsPrivateKey: certs.clientKey,
      DicomTlsTrustedCertificates: certs.ca,
      DicomModalities: { pacs: { AET: "ORTHANC", Host: "127.0.0.1", Port: orthanc.dicomPort, UseDicomTls: true } },
    }),
  );
  const r = await runCli(["find", "--config", config, "pacs", "--model", "patient", "--level", "PATIENT", "-k", "PatientID=P2", "-k", "PatientName", "--json"]);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual((JSON.parse(r.stdout) as Record<string, unknown>)["PatientName"], ["ROE^RICHARD"]);
  assert.match(r.stderr, /find on ORTHANC \(pacs\) at 127\.0\.0\.1:\d+: 1 match at PATIENT level/);
  const bad = await runCli(["find", ...target(), "-k", "PatientNaem=X"]);
  assert.equal(bad.code, 1, bad.output);
  assert.match(bad.stderr, /query key "PatientNaem": not a DICOM keyword.*\[ERR_DICOM_DATASET_UNKNOWN_KEY\]/);
});
