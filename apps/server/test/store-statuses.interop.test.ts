/**
 * C-STORE failure statuses of dicomtls-server over DICOM TLS (PS3.4 §B.2.3), read exactly with our own association
 * client, and that no failure leaves a file: A700 on a full disk (a 2 MB tmpfs), A900 when the dataset's SOP Instance
 * UID is not the command's, C000 for a dataset that does not parse. The server keeps answering C-ECHO afterwards.
 */
import { strict as assert } from "node:assert";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { requestAssociation, type Association } from "@dicomtls/association";
import { Status, cEchoRq, cStoreRq } from "@dicomtls/pdu-codec";
import {
  SyntheticTransferSyntax,
  datasetSha256,
  makeDataset,
  readPart10Dataset,
  requireTool,
  resolveSpec,
  runProcess,
  startServer,
  stopAll,
  syntheticDatasetSha256,
  tempDir,
  writePart10File,
  type StartedServer,
  type SyntheticDatasetSpec,
} from "@dicomtls/test-peers";
import { MB, instanceLeftovers, storedFiles, storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["storescu", "mount", "umount"]) requireTool(tool);
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const CT = "1.2.840.10008.5.1.4.1.1.2";
const VERIFICATION = "1.2.840.10008.1.1";

const tmp = tempDir("dicomtls-store-status-");
const mounts: string[] = [];
after(async () => {
  await stopAll();
  for (const m of mounts) await runProcess("umount", [m], { timeoutMs: 30_000 });
  tmp.remove();
});

async function open(files: NodeFiles, port: number): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "OURSCU",
    calledAeTitle: "DICOMTLS",
    tls: { ca: readFileSync(files.caFile), cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) },
    presentationContexts: [
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    ],
  });
}

async function store(a: Association, spec: SyntheticDatasetSpec, o: { commandInstanceUid?: string; dataset?: Uint8Array } = {}): Promise<{ status: number | undefined; comment: string | undefined }> {
  const s = resolveSpec(spec);
  const ctx = a.findContext(CT)!;
  assert.equal(ctx.transferSyntax, EXPLICIT_LE);
  const rsp = await a.request(ctx.id, cStoreRq({ messageId: a.nextMessageId(), affectedSopClassUid: CT, affectedSopInstanceUid: o.commandInstanceUid ?? s.sopInstanceUid }), o.dataset ?? makeDataset(s));
  return { status: rsp.command.status, comment: rsp.command.errorComment };
}

async function echo(a: Association): Promise<number | undefined> {
  return (await a.request(a.findContext(VERIFICATION)!.id, cEchoRq(a.nextMessageId()))).command.status;
}

describe("C-STORE statuses on a normal disk", () => {
  let files: NodeFiles;
  let server: StartedServer;
  const storage = join(tmp.path, "storage");

  before(async () => {
    files = await writePki(tmp.path);
    server = await startServer((await writeNodeConfig(tmp.path, "node.json", files, storage)).path);
  });
  after(() => server.stop());

  test("a dataset with undefined-length sequences is stored byte for byte (our SCU sends it unchanged)", async () => {
    const spec: SyntheticDatasetSpec = { seed: 3001, sequences: true, privateTags: true, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian };
    const a = await open(files, server.port);
    assert.equal((await store(a, spec)).status, Status.Success);
    await a.release();
    const uid = resolveSpec(spec).sopInstanceUid;
    const path = storedFiles(storage).find((p) => p.includes(uid));
    assert.ok(path, "stored");
    assert.equal((await readPart10Dataset(path)).sourceAeTitle, "OURSCU");
    assert.equal(await datasetSha256(path), syntheticDatasetSha256(spec));
  });

  test("the dataset's SOP Instance UID differs from the command's: A900, nothing stored under either UID", async () => {
    const spec: SyntheticDatasetSpec = { seed: 3002 };
    const claimed = "1.2.826.0.1.3680043.9.7433.3.3002";
    const a = await open(files, server.port);
    const r = await store(a, spec, { commandInstanceUid: claimed });
    assert.equal(r.status, Status.DataSetDoesNotMatchSopClass);
    assert.match(r.comment ?? "", /SOP Instance UID/);
    assert.equal(await echo(a), Status.Success, "the association goes on");
    await a.release();
    const names = instanceLeftovers(storage).join("\n");
    assert.ok(!names.includes(claimed) && !names.includes(resolveSpec(spec).sopInstanceUid), names);
    const rec = await server.waitForRecord((x) => x["event"] === "store-failed" && x["sopInstanceUid"] === claimed);
    assert.equal(rec["status"], "0xA900");
    assert.equal(rec["level"], "warn");
  });

  test("a dataset that does not parse: C000, nothing stored", async () => {
    const claimed = "1.2.826.0.1.3680043.9.7433.3.3003";
    const a = await open(files, server.port);
    // An element claiming 0xfffffff0 bytes of a value that is not there, after a valid start.
    const start = makeDataset({ seed: 3003 }).subarray(0, 40);
    const junk = Buffer.concat([start, Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xf0, 0xff]), Buffer.alloc(3000, 0x41)]);
    const r = await store(a, { seed: 3003 }, { commandInstanceUid: claimed, dataset: junk });
    assert.equal(r.status, Status.CannotUnderstand, r.comment);
    await a.release();
    assert.ok(!instanceLeftovers(storage).join("\n").includes(claimed));
    assert.equal((await server.waitForRecord((x) => x["event"] === "store-failed" && x["sopInstanceUid"] === claimed))["status"], "0xC000");
  });
});

describe("C-STORE on a full disk (2 MB tmpfs as StorageDirectory)", () => {
  let files: NodeFiles;
  let server: StartedServer;
  const storage = join(tmp.path, "tiny");

  before(async () => {
    mkdirSync(storage);
    const m = await runProcess("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", storage], { timeoutMs: 30_000 });
    assert.equal(m.code, 0, `mounting a tmpfs needs root: ${m.output}`);
    mounts.push(storage);
    files = await writePki(join(tmp.path, "pki-full"));
    server = await startServer((await writeNodeConfig(tmp.path, "full.json", files, storage)).path);
  });
  after(() => server.stop());

  test("A700 (Out of Resources) with our SCU, no .dcm or temporary left, C-ECHO still answered, then a small instance fits", async () => {
    const a = await open(files, server.port);
    const big = { seed: 3101, rows: 1024, columns: 1024, frames: 2 }; // 4 MB of pixel data
    const r = await store(a, big);
    assert.equal(r.status, Status.OutOfResources);
    assert.equal(r.comment, "out of resources (ERR_DICOM_STORAGE_FULL)");
    assert.deepEqual(instanceLeftovers(storage), []);
    assert.equal(await echo(a), Status.Success);
    assert.equal((await store(a, { seed: 3102 })).status, Status.Success, "the space of the failed write was given back");
    await a.release();
    assert.equal(storedFiles(storage).length, 1);
    const rec = await server.waitForRecord((x) => x["event"] === "store-failed" && x["status"] === "0xA700");
    assert.equal(rec["code"], "ERR_DICOM_STORAGE_FULL");
    assert.match(String(rec["msg"]), /ENOSPC/);
  });

  test("storescu +tls of a 3 MB file prints the refusal; nothing left behind; echoscu still gets Success", async () => {
    const src = join(tmp.path, "full-src");
    mkdirSync(src);
    const f = await writePart10File(join(src, "big.dcm"), { seed: 3201, rows: 1024, columns: 768, frames: 2, sequences: false });
    assert.ok(f.size > 2.5 * MB);
    const r = await storescuTls(files, server.port, [f.path]);
    assert.match(r.output, /Store Response \(Refused: OutOfResources\)|0xa700/i, r.output);
    assert.equal(instanceLeftovers(storage).filter((p) => p.includes(f.spec.sopInstanceUid)).length, 0);
    const e = await runProcess(
      "echoscu",
      ["-v", "-aet", "STORESCU", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "127.0.0.1", String(server.port)],
      { env: { ...process.env, TCP_NODELAY: "1" }, timeoutMs: 30_000 },
    );
    assert.match(e.output, /Received Echo Response \(Success\)/, e.output);
  });
});
