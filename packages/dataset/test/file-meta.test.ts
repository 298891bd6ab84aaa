import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { makeDataset, makeFileMeta, resolveSpec, runProcess, tempDir } from "@dicomtls/test-peers";
import { decodeFileMeta, encodeFileMeta, FileError, FileErrorCode, FileMetaError, FileMetaErrorCode, MAX_FILE_META_BYTES, type ReadFileMeta } from "../src/index.js";
import { runCodecTask } from "../src/worker.js";

const tmp = tempDir("dicomtls-file-meta-");
after(() => tmp.remove());

const CT = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** Explicit VR Little Endian element of group 0002 (PS3.5 §7.1.2), written here independently of the encoder. */
function el(elem: number, vr: string, value: Buffer): Buffer {
  const long = ["OB", "UN", "UT"].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(0x0002, 0);
  h.writeUInt16LE(elem, 2);
  h.write(vr, 4, "latin1");
  if (long) h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}
const ui = (s: string): Buffer => Buffer.from(s.length % 2 === 0 ? s : `${s}\0`, "latin1");
const preamble = (): Buffer => Buffer.concat([Buffer.alloc(128), Buffer.from("DICM", "latin1")]);

/** Decodes as a reader does: first bytes, then more while asked, as the worker and storage do. */
function decodeWhole(file: Buffer): { meta: ReadFileMeta; reads: number[] } {
  const reads: number[] = [];
  let want = Math.min(file.length, 8192);
  for (;;) {
    reads.push(want);
    const r = decodeFileMeta(file.subarray(0, want), "/x.dcm", want >= file.length);
    if (r.kind === "meta") return { meta: r.meta, reads };
    assert.ok(r.bytes > want, "a reader asked for more always gets a longer prefix to read");
    want = Math.min(file.length, r.bytes);
  }
}

function notPart10(file: Buffer, why: RegExp): void {
  assert.throws(
    () => decodeWhole(file),
    (err: unknown) => err instanceof FileError && err.code === FileErrorCode.NotPart10 && err.path === "/x.dcm" && why.test(err.message),
  );
}

describe("File Meta (PS3.10 §7.1): one encoder and one decoder", () => {
  it("decodes what encodeFileMeta writes, and dcmdump reads the file as its writer meant", async () => {
    const meta = encodeFileMeta({
      mediaStorageSopClassUid: CT,
      mediaStorageSopInstanceUid: "1.2.3.4.5",
      transferSyntaxUid: EXPLICIT_LE,
      implementationClassUid: "1.2.826.0.1.3680043.10.1",
      implementationVersionName: "DICOMTLS_1",
      sourceAeTitle: " MODALITY ",
    });
    const ds = makeDataset(resolveSpec({ seed: 7, transferSyntax: EXPLICIT_LE, sopInstanceUid: "1.2.3.4.5" }));
    const file = Buffer.concat([meta, ds]);
    const { meta: read } = decodeWhole(file);
    assert.deepEqual(read, {
      mediaStorageSopClassUid: CT,
      mediaStorageSopInstanceUid: "1.2.3.4.5",
      transferSyntaxUid: EXPLICIT_LE,
      implementationClassUid: "1.2.826.0.1.3680043.10.1",
      implementationVersionName: "DICOMTLS_1",
      sourceAeTitle: "MODALITY",
      datasetOffset: meta.length,
    });
    const path = join(tmp.path, "written.dcm");
    writeFileSync(path, file);
    const dump = await runProcess("dcmdump", ["--print-all", "--search", "0002,0016", path]);
    assert.match(dump.stdout, /\(0002,0016\) AE \[MODALITY\]/);
  });

  it("reads the File Meta test-peers writes (another encoder) and the worker task agrees with it", () => {
    const spec = resolveSpec({ seed: 8 });
    const meta = makeFileMeta({ mediaStorageSopClassUid: spec.sopClassUid, mediaStorageSopInstanceUid: spec.sopInstanceUid, transferSyntaxUid: spec.transferSyntax });
    const file = Buffer.concat([meta, makeDataset(spec)]);
    const { meta: read } = decodeWhole(file);
    assert.equal(read.mediaStorageSopInstanceUid, spec.sopInstanceUid);
    assert.equal(read.datasetOffset, meta.length);
    const path = join(tmp.path, "peers.dcm");
    writeFileSync(path, file);
    const info = runCodecTask({ kind: "file-info", path });
    assert.ok(info.ok);
    assert.deepEqual(info.value, {
      sopClassUid: spec.sopClassUid,
      sopInstanceUid: spec.sopInstanceUid,
      transferSyntaxUid: spec.transferSyntax,
      datasetOffset: meta.length,
      datasetLength: file.length - meta.length,
      fileSize: file.length,
    });
  });

  it("walks group 0002 without a group length and reads on past the first 8 KB for a long File Meta", () => {
    const longValue = Buffer.alloc(20_000, 0x41);
    const group = Buffer.concat([el(0x0002, "UI", ui(CT)), el(0x0003, "UI", ui("1.2.3")), el(0x0010, "UI", ui(EXPLICIT_LE)), el(0x0100, "OB", longValue)]);
    const file = Buffer.concat([preamble(), group, Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x00, 0x00])]);
    const { meta, reads } = decodeWhole(file);
    assert.equal(meta.datasetOffset, 132 + group.length);
    assert.equal(meta.implementationClassUid, undefined, "a file without (0002,0012) is still read");
    assert.ok(reads.length > 1, `read again past the first read (${reads.join(", ")})`);
  });

  it("names the file and the fault for what is not Part 10", () => {
    notPart10(Buffer.alloc(100), /only 100 bytes/);
    notPart10(Buffer.alloc(400), /no "DICM" at offset 128/);
    notPart10(Buffer.concat([preamble(), el(0x0002, "UI", ui(CT)), el(0x0010, "UI", ui(EXPLICIT_LE))]), /lacks \(0002,0003\) Media Storage SOP Instance UID/);
    const cut = Buffer.concat([preamble(), el(0x0002, "UI", ui(CT))]);
    notPart10(cut.subarray(0, cut.length - 3), /runs past the end of the file/);
    const huge = Buffer.concat([preamble(), el(0x0002, "UI", ui(CT))]);
    const header = Buffer.alloc(12);
    header.writeUInt16LE(0x0002, 0);
    header.writeUInt16LE(0x0100, 2);
    header.write("OB", 4, "latin1");
    header.writeUInt32LE(0xfffffff0, 8);
    // A bogus 4 GB length in a 2 MB file: refused before reading anything like it.
    notPart10(Buffer.concat([huge, header, Buffer.alloc(2 * MAX_FILE_META_BYTES)]), /runs past 1048576 bytes/);
  });

  it("refuses to encode a value that is not a UID or an AE title, naming the attribute", () => {
    const base = { mediaStorageSopClassUid: CT, mediaStorageSopInstanceUid: "1.2.3", transferSyntaxUid: EXPLICIT_LE, implementationClassUid: "1.2.3.4" };
    const refused = (m: Parameters<typeof encodeFileMeta>[0], what: RegExp): void =>
      assert.throws(() => encodeFileMeta(m), (err: unknown) => err instanceof FileMetaError && err.code === FileMetaErrorCode.InvalidValue && what.test(err.message));
    refused({ ...base, mediaStorageSopInstanceUid: "../../etc/passwd" }, /Media Storage SOP Instance UID "..\/..\/etc\/passwd" is not a valid UID/);
    refused({ ...base, sourceAeTitle: "A\\B" }, /Source AE title/);
    refused({ ...base, implementationVersionName: "X".repeat(17) }, /Implementation Version Name/);
  });
});
