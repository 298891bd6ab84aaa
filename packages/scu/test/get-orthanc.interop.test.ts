import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { createTestPki, writePem, type TestPki } from "@dicomtls/test-pki";
import { runProcess, stopAll, tempDir, type StartedOrthanc } from "@dicomtls/test-peers";
import { DEFAULT_GET_STORAGE_SOP_CLASSES, GetFailedError, QueryError, QueryStatus, get, type GetOptions, type GetProgress, type ReceivedInstance } from "../src/index.js";
import { loadQrFixture, startQrOrthanc, type FixtureInstance, type QrFixture } from "./qr-fixture.js";

const tmp = tempDir("dicomtls-scu-get-");
let pki: TestPki;
let orthanc: StartedOrthanc;
let fixture: QrFixture;
const BULK = 300;
const CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";

before(async () => {
  pki = await createTestPki({ name: "scu-get " });
  orthanc = await startQrOrthanc(tmp.path, pki);
  fixture = await loadQrFixture(orthanc, BULK);
});
after(async () => {
  await stopAll();
  tmp.remove();
});

interface Kept {
  readonly instance: ReceivedInstance;
  readonly bytes: Buffer;
}

/** A sink that keeps every instance's bytes in memory. */
function keeper(): { kept: Map<string, Kept>; onInstance: GetOptions["onInstance"] } {
  const kept = new Map<string, Kept>();
  return {
    kept,
    onInstance: async (instance) => {
      const chunks: Uint8Array[] = [];
      for await (const c of instance.dataset) chunks.push(c);
      kept.set(instance.sopInstanceUid, { instance, bytes: Buffer.concat(chunks) });
    },
  };
}

const base = (): Omit<GetOptions, "level" | "keys" | "onInstance"> => ({
  host: "127.0.0.1",
  port: orthanc.dicomPort,
  callingAeTitle: "DICOMTLS",
  calledAeTitle: "ORTHANC",
  tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
  timeouts: { dimseMs: 30_000 },
});

function assertSame(kept: ReadonlyMap<string, Kept>, expected: readonly FixtureInstance[]): void {
  assert.equal(kept.size, expected.length);
  for (const i of expected) {
    const k = kept.get(i.spec.sopInstanceUid);
    assert.ok(k !== undefined, `${i.spec.sopInstanceUid} did not arrive`);
    assert.equal(k.instance.sopClassUid, i.spec.sopClassUid);
    assert.equal(k.instance.transferSyntaxUid, i.spec.transferSyntax);
    assert.ok(k.bytes.equals(i.dataset), `${i.spec.sopInstanceUid}: other data set bytes`);
  }
}

test("get over DICOM TLS: study A arrives on the same association, byte-identical, a Pending after each sub-operation, final Success", async () => {
  const { kept, onInstance } = keeper();
  const op = get({ ...base(), level: "STUDY", keys: { StudyInstanceUID: fixture.a[0]?.spec.studyInstanceUid ?? "" }, onInstance });
  const progress: GetProgress[] = [];
  for await (const p of op) progress.push(p);
  const result = await op.result();
  assert.equal(result.status, QueryStatus.Success, orthanc.output().slice(-3000));
  assert.ok(result.ok && !result.cancelled);
  assert.equal(result.completed, fixture.a.length);
  assert.equal(result.failed, 0);
  assert.equal(result.received, fixture.a.length);
  assert.deepEqual(result.failedSopInstanceUids, []);
  // Orthanc sends a Pending after every sub-operation, the last one included (facts §5).
  assert.equal(progress.length, fixture.a.length);
  progress.forEach((p, k) => {
    assert.equal(p.completed, k + 1, JSON.stringify(p));
    assert.equal(p.completed + p.failed + p.warning + (p.remaining ?? 0), fixture.a.length, JSON.stringify(p));
  });
  assertSame(kept, fixture.a);
});

test("get of a study whose SOP class we did not propose: Orthanc stops with C000, Failed 1 and the instance in the Failed SOP Instance UID List", async () => {
  const { kept, onInstance } = keeper();
  const b = fixture.b[0];
  assert.ok(b !== undefined && b.spec.sopClassUid !== CT_IMAGE);
  const op = get({ ...base(), level: "STUDY", keys: { StudyInstanceUID: b.spec.studyInstanceUid }, sopClasses: [CT_IMAGE], onInstance });
  await assert.rejects(op.result(), (e: unknown) => {
    assert.ok(e instanceof GetFailedError, String(e));
    assert.equal(e.code, "ERR_DICOM_QUERY_STATUS");
    assert.equal(e.status, QueryStatus.UnableToProcess);
    assert.equal(e.result.failed, 1);
    assert.equal(e.result.completed, 0);
    assert.deepEqual(e.result.failedSopInstanceUids, [b.spec.sopInstanceUid]);
    assert.equal(e.result.received, 0);
    assert.match(e.message, new RegExp(b.spec.sopInstanceUid.replaceAll(".", "\\.")));
    return true;
  });
  assert.equal(kept.size, 0);
  // The same study with the default classes (MR Image Storage among them) arrives whole.
  const again = keeper();
  const r = await get({ ...base(), level: "STUDY", keys: { StudyInstanceUID: b.spec.studyInstanceUid }, onInstance: again.onInstance }).result();
  assert.ok(DEFAULT_GET_STORAGE_SOP_CLASSES.includes(b.spec.sopClassUid));
  assert.equal(r.status, QueryStatus.Success);
  assertSame(again.kept, fixture.b);
});

test("get: a sink that throws answers 0xA700; Orthanc counts the failures and ends with A702 (all failed)", async () => {
  const op = get({
    ...base(),
    level: "STUDY",
    keys: { StudyInstanceUID: fixture.a[0]?.spec.studyInstanceUid ?? "" },
    onInstance: () => {
      throw new Error("disk full");
    },
  });
  await assert.rejects(op.result(), (e: unknown) => {
    assert.ok(e instanceof GetFailedError, String(e));
    assert.equal(e.status, QueryStatus.RefusedOutOfResourcesSuboperations);
    assert.equal(e.result.failed, fixture.a.length);
    assert.equal(e.result.refused, fixture.a.length);
    assert.deepEqual([...e.result.failedSopInstanceUids].sort(), fixture.a.map((i) => i.spec.sopInstanceUid).sort());
    return true;
  });
});

test("get: aborting after the first progress sends C-CANCEL; Cancel with fewer instances than the series has (or Success with all)", async (t) => {
  const controller = new AbortController();
  const { kept, onInstance } = keeper();
  const f0 = fixture.f[0];
  assert.ok(f0 !== undefined);
  const op = get({ ...base(), level: "SERIES", keys: { StudyInstanceUID: f0.spec.studyInstanceUid, SeriesInstanceUID: f0.spec.seriesInstanceUid }, onInstance, signal: controller.signal });
  let updates = 0;
  for await (const p of op) {
    updates += 1;
    assert.equal(p.completed + p.failed + p.warning + (p.remaining ?? 0), BULK, JSON.stringify(p));
    controller.abort();
  }
  const result = await op.result();
  t.diagnostic(`get cancelled after the first progress: final ${result.statusName}, ${result.received} of ${BULK} received`);
  assert.ok(updates >= 1 && result.cancelled);
  assert.equal(result.received, kept.size);
  if (result.status === QueryStatus.Cancel) {
    assert.ok(kept.size < BULK && !result.ok, JSON.stringify(result));
    assert.ok(result.completed <= kept.size, JSON.stringify(result));
  } else assert.equal(kept.size, BULK);
  for (const k of kept.values()) assert.ok(k.bytes.equals(fixture.f.find((i) => i.spec.sopInstanceUid === k.instance.sopInstanceUid)?.dataset ?? Buffer.alloc(0)));
});

test("get: bad options are refused before connecting", () => {
  const onInstance = (): void => undefined;
  assert.throws(() => get({ ...base(), level: "PATIENT", keys: {}, onInstance }), (e: unknown) => e instanceof QueryError && e.code === "ERR_DICOM_QUERY_INVALID_ARGUMENT");
  const many = Array.from({ length: 128 }, (_, k) => `1.2.3.${k}`);
  assert.throws(() => get({ ...base(), level: "STUDY", keys: {}, sopClasses: many, onInstance }), (e: unknown) => e instanceof QueryError && /at most 127/.test(e.message));
  assert.throws(() => get({ ...base(), level: "STUDY", keys: {}, sopClasses: ["CT"], onInstance }), (e: unknown) => e instanceof QueryError && /"CT" is not a UID/.test(e.message));
});

test("the README's C-GET example is examples/get.ts, and it runs against this Orthanc", async () => {
  const example = new URL("../examples/get.ts", import.meta.url);
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.ok(readme.includes(readFileSync(example, "utf8").trim()), "README.md quotes examples/get.ts verbatim");
  const r = await runProcess(process.execPath, ["--conditions=dicomtls-source", "--import", "tsx", example.pathname], {
    env: {
      ...process.env,
      PACS_PORT: String(orthanc.dicomPort),
      STUDY_UID: fixture.a[0]?.spec.studyInstanceUid ?? "",
      TLS_CA: writePem(tmp.path, "example-ca.pem", pki.trustedBundle),
      TLS_CERT: writePem(tmp.path, "example-cert.pem", pki.client.chain),
      TLS_KEY: writePem(tmp.path, "example-key.pem", pki.client.key),
    },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.output);
  for (const i of fixture.a) assert.ok(r.stdout.includes(`${i.spec.sopInstanceUid}: ${i.dataset.length} bytes in ${i.spec.transferSyntax}`), r.stdout);
  assert.match(r.stdout, /^Success: 2 completed, 0 failed, 2 kept$/m);
});
