import { strict as assert } from "node:assert";
import { readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createCodecRunner, type CodecRunner, convertTransferSyntax } from "@dicomtls/dataset";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import {
  SyntheticPreset,
  SyntheticTransferSyntax,
  datasetSha256,
  dcmtkEnv,
  framesForSize,
  freePort,
  readDatasetBytes,
  readPart10Dataset,
  requireTool,
  startProcess,
  stopAll,
  tempDir,
  writePart10File,
  type TrackedProcess,
  waitListening,
} from "@dicomtls/test-peers";
import { store, StoreErrorCode, type StoreProgress } from "../src/index.js";

requireTool("storescp");
const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

let pki: TestPki;
const tmp = tempDir("dicomtls-scu-store-");
let certs: { serverKey: string; serverCrt: string; ca: string };
/** Source files by SOP Instance UID. */
const sources = new Map<string, string>();
let folderFiles: string[] = [];
let codec: CodecRunner;

before(async () => {
  pki = await createTestPki({ name: "scu-store " });
  const server = writeCert(tmp.path, "server", pki.server);
  certs = { serverKey: server.keyFile, serverCrt: server.chainFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
  codec = createCodecRunner();
  const src = join(tmp.path, "src");
  mkdirSync(src);
  const specs = [
    // The seed's kind of file: a 512 x 512 CT slice.
    { name: "ct.dcm", seed: 11, ...SyntheticPreset.Ct512k },
    { name: "small-explicit.dcm", seed: 12, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian },
    { name: "small-implicit.dcm", seed: 13, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian },
    { name: "mf-10m-implicit.dcm", seed: 14, ...SyntheticPreset.MultiFrame10m, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian },
    { name: "mf-10m.dcm", seed: 15, ...SyntheticPreset.MultiFrame10m },
    // Over 100 MB: many batches, backpressure all the way.
    { name: "mf-110m.dcm", seed: 16, ...SyntheticPreset.MultiFrame200m, frames: framesForSize(110 * 1024 * 1024, SyntheticPreset.MultiFrame200m) },
  ];
  for (const { name, ...spec } of specs) {
    const w = await writePart10File(join(src, name), spec);
    sources.set(w.spec.sopInstanceUid, w.path);
    folderFiles.push(w.path);
  }
  folderFiles = folderFiles.sort();
});

after(async () => {
  await stopAll();
  await codec.close();
  tmp.remove();
});


/** storescp +tls, bit-preserving (+B: the dataset written exactly as received), 128 KB receive PDUs. */
async function startStorescp(out: string, extra: string[] = []): Promise<{ port: number; peer: TrackedProcess }> {
  mkdirSync(out, { recursive: true });
  const port = await freePort();
  const peer = await startProcess(
    "storescp",
    ["+tls", certs.serverKey, certs.serverCrt, "+cf", certs.ca, "-aet", "STORESCP", "+B", "-fe", ".dcm", "--max-pdu", "131072", "--output-directory", out, ...extra, String(port)],
    { env: dcmtkEnv() },
  );
  await waitListening(port);
  return { port, peer };
}

const tls = (): { ca: string; cert: string; key: string } => ({ ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key });

/** Stored files by the SOP Instance UID of their File Meta. */
async function storedByUid(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".dcm")) continue;
    const meta = await readPart10Dataset(join(dir, name));
    out.set(meta.mediaStorageSopInstanceUid, join(dir, name));
  }
  return out;
}

test("our SCU stores the CT slice, small, multi-frame and a 110 MB instance (Implicit and Explicit LE) into storescp +tls: all stored, datasets identical", async () => {
  const out = join(tmp.path, "out-all");
  const { port, peer } = await startStorescp(out);
  const events: StoreProgress[] = [];
  const result = await store({
    host: "127.0.0.1",
    port,
    callingAeTitle: "DICOMTLS",
    calledAeTitle: "STORESCP",
    tls: tls(),
    files: folderFiles,
    associations: 2,
    codec,
    onProgress: (p) => events.push(p),
  });
  assert.equal(result.failed, 0, JSON.stringify(result.results.filter((r) => !r.ok).map((r) => r.error?.message)));
  assert.ok(result.ok);
  assert.equal(result.stored, folderFiles.length);
  assert.equal(result.associations, 2);
  for (const r of result.results) {
    assert.equal(r.status, 0x0000, r.file);
    assert.equal(r.converted, false, `${r.file} went in its stored syntax, unconverted`);
  }
  const last = events.at(-1)!;
  assert.equal(last.filesDone, folderFiles.length);
  assert.equal(last.bytesDone, last.bytesTotal);
  assert.ok(events.some((e) => e.result === undefined && e.bytesDone > 0), "progress reported within the big file, not only per file");

  const stored = await storedByUid(out);
  assert.equal(stored.size, sources.size, `storescp stored ${stored.size} of ${sources.size} files`);
  for (const [uid, source] of sources) {
    const got = stored.get(uid);
    assert.ok(got !== undefined, `${source} was not stored`);
    assert.equal(await datasetSha256(got), await datasetSha256(source), `${source}: the stored dataset differs`);
    assert.equal((await readPart10Dataset(got)).transferSyntaxUid, (await readPart10Dataset(source)).transferSyntaxUid);
  }
  await peer.stop();
});

test("storescp accepting Implicit VR LE only (+xi): an Explicit LE file is converted, and converts back byte-identical", async () => {
  const out = join(tmp.path, "out-implicit");
  const { port, peer } = await startStorescp(out, ["+xi"]);
  const explicit = folderFiles.filter((f) => /small-explicit|mf-10m\.dcm|ct\.dcm/.test(f));
  assert.equal(explicit.length, 3);
  const result = await store({ host: "127.0.0.1", port, callingAeTitle: "DICOMTLS", calledAeTitle: "STORESCP", tls: tls(), files: explicit, codec });
  assert.ok(result.ok, JSON.stringify(result.results.map((r) => r.error?.message)));
  const stored = await storedByUid(out);
  for (const file of explicit) {
    const r = result.results.find((x) => x.file === file)!;
    assert.equal(r.converted, true);
    assert.equal(r.transferSyntax, IMPLICIT_LE);
    const got = stored.get(r.sopInstanceUid!);
    assert.ok(got !== undefined, `${file} not stored`);
    assert.equal((await readPart10Dataset(got)).transferSyntaxUid, IMPLICIT_LE);
    const implicit = await readDatasetBytes(got);
    const back = convertTransferSyntax(implicit, IMPLICIT_LE, EXPLICIT_LE);
    const source = await readDatasetBytes(file);
    assert.ok(Buffer.concat(back.parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))).equals(source), `${file}: converting the stored dataset back does not give the source`);
  }
  await peer.stop();
});

test("a non-DICOM file is reported and skipped; a file storescp cannot take fails alone, the others are stored", async () => {
  const out = join(tmp.path, "out-mixed");
  const { port, peer } = await startStorescp(out, ["+xi"]);
  const junk = join(tmp.path, "notes.txt");
  writeFileSync(junk, "not a DICOM file\n".repeat(20));
  // Big Endian cannot be converted to the Implicit LE storescp insists on: no context fits that file.
  const be = await writePart10File(join(tmp.path, "be.dcm"), { seed: 21, transferSyntax: SyntheticTransferSyntax.ExplicitVrBigEndian });
  const small = folderFiles.find((f) => f.endsWith("small-implicit.dcm"))!;
  const result = await store({ host: "127.0.0.1", port, callingAeTitle: "DICOMTLS", calledAeTitle: "STORESCP", tls: tls(), files: [junk, be.path, small], codec });
  const [j, b, s] = result.results;
  assert.equal(j!.outcome, "skipped");
  assert.equal(j!.error?.code, StoreErrorCode.NotDicom);
  assert.equal(b!.outcome, "failed");
  assert.equal(b!.error?.code, StoreErrorCode.NoContext);
  assert.match(b!.error.message, /be\.dcm.*STORESCP/);
  assert.equal(s!.outcome, "stored");
  assert.equal(result.ok, false);
  assert.deepEqual([result.stored, result.failed, result.skipped], [1, 1, 1]);
  assert.equal((await storedByUid(out)).size, 1);
  await peer.stop();
});
