/**
 * Synthetic DICOM datasets and Part 10 files for tests: deterministic (seeded), encoded by hand (no dcmjs round
 * trip), with pixel data streamed through a file handle so a 200 MB file never sits in memory.
 *
 * The encoder here is deliberately independent of the production code (pdu-codec, storage), so the tests that
 * use these files check that code against a second implementation of the same rules (PS3.5, PS3.10).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { deflateRawSync } from "node:zlib";

/** PS3.5 §10 and PS3.6 Annex A: the transfer syntaxes this generator can encode. */
export const SyntheticTransferSyntax = {
  ImplicitVrLittleEndian: "1.2.840.10008.1.2",
  ExplicitVrLittleEndian: "1.2.840.10008.1.2.1",
  DeflatedExplicitVrLittleEndian: "1.2.840.10008.1.2.1.99",
  /** Retired, still seen from old modalities. */
  ExplicitVrBigEndian: "1.2.840.10008.1.2.2",
} as const;
export type SyntheticTransferSyntaxUid = (typeof SyntheticTransferSyntax)[keyof typeof SyntheticTransferSyntax];

/** PS3.4 Annex B.5: a few storage SOP classes the tests use. */
export const SyntheticSopClass = {
  CtImageStorage: "1.2.840.10008.5.1.4.1.1.2",
  MrImageStorage: "1.2.840.10008.5.1.4.1.1.4",
  SecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7",
  MultiFrameGrayscaleWordSecondaryCaptureImageStorage: "1.2.840.10008.5.1.4.1.1.7.3",
} as const;

/** Implementation Class UID written by this generator (a 2.25 UUID-derived UID, PS3.5 §B.2). */
export const SYNTHETIC_IMPLEMENTATION_CLASS_UID = "2.25.160307384736432409236741402915871462017";
export const SYNTHETIC_IMPLEMENTATION_VERSION_NAME = "DICOMTLS_SYNTH";

export interface SyntheticDatasetSpec {
  /** Drives every generated value (UIDs, names, pixel bytes) that is not given explicitly. */
  seed?: number;
  sopClassUid?: string;
  sopInstanceUid?: string;
  transferSyntax?: SyntheticTransferSyntaxUid;
  rows?: number;
  columns?: number;
  frames?: number;
  bitsAllocated?: 8 | 16;
  patientId?: string;
  patientName?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  studyDate?: string;
  accessionNumber?: string;
  modality?: string;
  /** Adds a private creator (0009,0010) and a private element (0009,1001). */
  privateTags?: boolean;
  /** Adds two sequences: one of undefined length (items of both kinds), one of defined length. Default true. */
  sequences?: boolean;
}

/** Every field resolved; what the encoder and the tests see. */
export interface ResolvedDatasetSpec {
  seed: number;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: SyntheticTransferSyntaxUid;
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: 8 | 16;
  patientId: string;
  patientName: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  studyDate: string;
  accessionNumber: string;
  modality: string;
  privateTags: boolean;
  sequences: boolean;
}

/** Sizes the tests talk about ("512 KB CT", "10 MB multi-frame", "200 MB multi-frame"). */
export const SyntheticPreset = {
  Ct512k: { sopClassUid: SyntheticSopClass.CtImageStorage, rows: 512, columns: 512, frames: 1, bitsAllocated: 16, modality: "CT" },
  MultiFrame10m: {
    sopClassUid: SyntheticSopClass.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    rows: 512,
    columns: 512,
    frames: 20,
    bitsAllocated: 16,
    modality: "OT",
  },
  MultiFrame200m: {
    sopClassUid: SyntheticSopClass.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    rows: 512,
    columns: 512,
    frames: 400,
    bitsAllocated: 16,
    modality: "OT",
  },
} as const satisfies Record<string, SyntheticDatasetSpec>;

/** mulberry32: a tiny, fast, seedable PRNG; quality is irrelevant, determinism is what matters. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A deterministic UID under the 2.25 root (PS3.5 §B.2), at most 64 characters. */
export function syntheticUid(seed: number, salt: number): string {
  const next = prng((seed * 2654435761 + salt * 40503) >>> 0);
  let n = 0n;
  for (let i = 0; i < 4; i++) n = (n << 32n) | BigInt(next());
  return `2.25.${(n % 10n ** 38n) + 1n}`;
}

export function resolveSpec(spec: SyntheticDatasetSpec = {}): ResolvedDatasetSpec {
  const seed = spec.seed ?? 1;
  return {
    seed,
    sopClassUid: spec.sopClassUid ?? SyntheticSopClass.CtImageStorage,
    sopInstanceUid: spec.sopInstanceUid ?? syntheticUid(seed, 3),
    transferSyntax: spec.transferSyntax ?? SyntheticTransferSyntax.ExplicitVrLittleEndian,
    rows: spec.rows ?? 64,
    columns: spec.columns ?? 64,
    frames: spec.frames ?? 1,
    bitsAllocated: spec.bitsAllocated ?? 16,
    patientId: spec.patientId ?? `PID${seed}`,
    patientName: spec.patientName ?? `SYNTHETIC^PATIENT${seed}`,
    studyInstanceUid: spec.studyInstanceUid ?? syntheticUid(seed, 1),
    seriesInstanceUid: spec.seriesInstanceUid ?? syntheticUid(seed, 2),
    studyDate: spec.studyDate ?? "20240131",
    accessionNumber: spec.accessionNumber ?? `ACC${seed}`,
    modality: spec.modality ?? "CT",
    privateTags: spec.privateTags ?? false,
    sequences: spec.sequences ?? true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A minimal element encoder (PS3.5 §7.1).

interface El {
  tag: number;
  vr: string;
  value?: Buffer;
  items?: Item[];
  undefinedLength?: boolean;
}
interface Item {
  elements: El[];
  undefinedLength: boolean;
}

/** PS3.5 §7.1.2 Table 7.1-1: VRs whose explicit header has 2 reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

interface Enc {
  explicit: boolean;
  little: boolean;
}

/** PS3.5 §6.2: text values are padded to even length with a space, UIDs with a NUL. */
function text(vr: string, s: string): Buffer {
  const b = Buffer.from(s, "latin1");
  if (b.length % 2 === 0) return b;
  return Buffer.concat([b, Buffer.from([vr === "UI" ? 0 : 0x20])]);
}
function us(values: readonly number[], enc: Enc): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => (enc.little ? b.writeUInt16LE(v, i * 2) : b.writeUInt16BE(v, i * 2)));
  return b;
}

function tagBytes(tag: number, enc: Enc): Buffer {
  const b = Buffer.alloc(4);
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (enc.little) {
    b.writeUInt16LE(group, 0);
    b.writeUInt16LE(element, 2);
  } else {
    b.writeUInt16BE(group, 0);
    b.writeUInt16BE(element, 2);
  }
  return b;
}
function u32(n: number, enc: Enc): Buffer {
  const b = Buffer.alloc(4);
  if (enc.little) b.writeUInt32LE(n, 0);
  else b.writeUInt32BE(n, 0);
  return b;
}

/** Element header for a value of `length` bytes (0xFFFFFFFF = undefined length). */
function header(tag: number, vr: string, length: number, enc: Enc): Buffer {
  const t = tagBytes(tag, enc);
  if (!enc.explicit) return Buffer.concat([t, u32(length, enc)]);
  if (LONG_VRS.has(vr)) return Buffer.concat([t, Buffer.from(vr, "latin1"), Buffer.alloc(2), u32(length, enc)]);
  if (length > 0xffff) throw new Error(`synthetic encoder: ${vr} value of ${length} bytes does not fit a 16-bit length`);
  const l = Buffer.alloc(2);
  if (enc.little) l.writeUInt16LE(length, 0);
  else l.writeUInt16BE(length, 0);
  return Buffer.concat([t, Buffer.from(vr, "latin1"), l]);
}

const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;

function encodeElements(elements: readonly El[], enc: Enc): Buffer[] {
  const out: Buffer[] = [];
  for (const el of elements) {
    if (el.items) {
      /** PS3.5 §7.5: items are always tag + 32-bit length, whatever the VR encoding. */
      const body: Buffer[] = [];
      for (const item of el.items) {
        const content = Buffer.concat(encodeElements(item.elements, enc));
        body.push(tagBytes(ITEM, enc), u32(item.undefinedLength ? 0xffffffff : content.length, enc), content);
        if (item.undefinedLength) body.push(tagBytes(ITEM_DELIMITATION, enc), u32(0, enc));
      }
      if (el.undefinedLength) body.push(tagBytes(SEQUENCE_DELIMITATION, enc), u32(0, enc));
      const content = Buffer.concat(body);
      out.push(header(el.tag, "SQ", el.undefinedLength ? 0xffffffff : content.length, enc), content);
    } else {
      const value = el.value ?? Buffer.alloc(0);
      out.push(header(el.tag, el.vr, value.length, enc), value);
    }
  }
  return out;
}

/** The elements before (7FE0,0010), in ascending tag order (PS3.5 §7.1). */
function headerElements(s: ResolvedDatasetSpec, enc: Enc): El[] {
  const next = prng(s.seed ^ 0x5eed);
  const t = (tag: number, vr: string, v: string): El => ({ tag, vr, value: text(vr, v) });
  const els: El[] = [
    t(0x00080005, "CS", "ISO_IR 100"),
    t(0x00080008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"),
    t(0x00080016, "UI", s.sopClassUid),
    t(0x00080018, "UI", s.sopInstanceUid),
    t(0x00080020, "DA", s.studyDate),
    t(0x00080030, "TM", "101010"),
    t(0x00080050, "SH", s.accessionNumber),
    t(0x00080060, "CS", s.modality),
    t(0x00080070, "LO", "dicomtls synthetic"),
  ];
  if (s.sequences) {
    const ref = (i: number): Item => ({
      undefinedLength: i === 0,
      elements: [t(0x00081150, "UI", s.sopClassUid), t(0x00081155, "UI", syntheticUid(s.seed, 100 + i))],
    });
    // Referenced Image Sequence: undefined length, one item of each kind (PS3.5 §7.5.2).
    els.push({ tag: 0x00081140, vr: "SQ", undefinedLength: true, items: [ref(0), ref(1)] });
  }
  if (s.privateTags) {
    // PS3.5 §7.8.1: private creator (LO) reserving block 0x10 of group 0x0009, then one element of that block.
    els.push(t(0x00090010, "LO", "DICOMTLS SYNTHETIC"));
    const priv = Buffer.alloc(8);
    priv.writeUInt32LE(next(), 0);
    priv.writeUInt32LE(next(), 4);
    // UN, not a guessed VR: what an Implicit VR dataset turns into when made explicit without a private dictionary.
    els.push({ tag: 0x00091001, vr: "UN", value: priv });
  }
  els.push(
    { tag: 0x00100010, vr: "PN", value: text("PN", s.patientName) },
    t(0x00100020, "LO", s.patientId),
    t(0x00100030, "DA", "19700101"),
    t(0x00100040, "CS", "O"),
    t(0x00180050, "DS", "1.25"),
    t(0x0020000d, "UI", s.studyInstanceUid),
    t(0x0020000e, "UI", s.seriesInstanceUid),
    t(0x00200010, "SH", `S${s.seed}`),
    t(0x00200011, "IS", "1"),
    t(0x00200013, "IS", String(s.seed)),
    t(0x00200032, "DS", "-100\\-100\\0"),
    { tag: 0x00280002, vr: "US", value: us([1], enc) },
    t(0x00280004, "CS", "MONOCHROME2"),
  );
  if (s.frames > 1) els.push(t(0x00280008, "IS", String(s.frames)));
  els.push(
    { tag: 0x00280010, vr: "US", value: us([s.rows], enc) },
    { tag: 0x00280011, vr: "US", value: us([s.columns], enc) },
    t(0x00280030, "DS", "0.5\\0.5"),
    { tag: 0x00280100, vr: "US", value: us([s.bitsAllocated], enc) },
    { tag: 0x00280101, vr: "US", value: us([s.bitsAllocated], enc) },
    { tag: 0x00280102, vr: "US", value: us([s.bitsAllocated - 1], enc) },
    { tag: 0x00280103, vr: "US", value: us([0], enc) },
    t(0x00281050, "DS", "40"),
    t(0x00281051, "DS", "400"),
  );
  if (s.sequences) {
    // Request Attributes Sequence: defined lengths all the way down.
    els.push({
      tag: 0x00400275,
      vr: "SQ",
      undefinedLength: false,
      items: [{ undefinedLength: false, elements: [t(0x00400009, "SH", `SPS${s.seed}`), t(0x00401001, "SH", `RP${s.seed}`)] }],
    });
  }
  return els;
}

/** Pixel data value length: rows x columns x frames x bytes per sample, padded to even (PS3.5 §8.1.1). */
export function pixelDataLength(s: ResolvedDatasetSpec): number {
  const n = s.rows * s.columns * s.frames * (s.bitsAllocated / 8);
  return n + (n % 2);
}

function encodingOf(ts: SyntheticTransferSyntaxUid): Enc {
  return {
    explicit: ts !== SyntheticTransferSyntax.ImplicitVrLittleEndian,
    little: ts !== SyntheticTransferSyntax.ExplicitVrBigEndian,
  };
}

/** Dataset bytes up to and including the (7FE0,0010) element header; the pixel value follows. */
function datasetPrefix(s: ResolvedDatasetSpec, enc: Enc): Buffer {
  // PS3.5 Annex A.1: OW for 16-bit native pixel data; 8-bit may be OB in Explicit VR (OW in Implicit).
  const vr = s.bitsAllocated === 8 ? "OB" : "OW";
  return Buffer.concat([...encodeElements(headerElements(s, enc), enc), header(0x7fe00010, vr, pixelDataLength(s), enc)]);
}

/**
 * Fills `target` with the pixel bytes starting at `position` within the pixel value. The content is a function of
 * (seed, position / 4) only, so any chunking gives the same bytes. Big Endian swaps each 16-bit word so the image
 * is the same whatever the syntax (PS3.5 §7.3).
 */
function fillPixels(s: ResolvedDatasetSpec, position: number, target: Buffer, bigEndian: boolean): void {
  // Blocks of 64 KiB each start from their own seed, so a chunk can start anywhere without replaying the stream.
  const BLOCK = 65536;
  let off = 0;
  while (off < target.length) {
    const abs = position + off;
    const block = Math.floor(abs / BLOCK);
    const next = prng((s.seed * 0x9e3779b1 + block) >>> 0);
    const within = abs - block * BLOCK;
    const words = Math.floor(within / 4);
    for (let i = 0; i < words; i++) next();
    let w = next();
    let k = within % 4;
    const end = Math.min(target.length, off + (BLOCK - within));
    for (; off < end; off++) {
      target[off] = (w >>> (k * 8)) & 0xff;
      if (++k === 4) {
        k = 0;
        w = next();
      }
    }
  }
  if (bigEndian && s.bitsAllocated === 16) target.swap16();
}

/** Dataset bytes in chunks of about `chunkSize`, each a fresh Buffer (safe to keep). Not for Deflated. */
export function* datasetChunks(spec: SyntheticDatasetSpec = {}, chunkSize = 1 << 20): Generator<Buffer> {
  const s = resolveSpec(spec);
  if (s.transferSyntax === SyntheticTransferSyntax.DeflatedExplicitVrLittleEndian) {
    yield makeDataset(s);
    return;
  }
  const enc = encodingOf(s.transferSyntax);
  yield datasetPrefix(s, enc);
  const total = pixelDataLength(s);
  const size = chunkSize - (chunkSize % 2);
  for (let pos = 0; pos < total; pos += size) {
    const b = Buffer.allocUnsafe(Math.min(size, total - pos));
    fillPixels(s, pos, b, !enc.little);
    yield b;
  }
}

/** The whole dataset (no preamble, no File Meta) in the requested transfer syntax. */
export function makeDataset(spec: SyntheticDatasetSpec = {}): Buffer {
  const s = resolveSpec(spec);
  if (s.transferSyntax === SyntheticTransferSyntax.DeflatedExplicitVrLittleEndian) {
    /** PS3.5 §A.5: the Explicit VR Little Endian encoding, compressed with raw deflate (RFC 1951, no zlib header). */
    return deflateRawSync(makeDataset({ ...s, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian }));
  }
  const enc = encodingOf(s.transferSyntax);
  const prefix = datasetPrefix(s, enc);
  const pixels = Buffer.allocUnsafe(pixelDataLength(s));
  fillPixels(s, 0, pixels, !enc.little);
  return Buffer.concat([prefix, pixels]);
}

export interface FileMetaSpec {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceAeTitle?: string;
}

/** PS3.10 §7.1: 128-byte preamble, "DICM", then group 0002 in Explicit VR Little Endian with its group length. */
export function makeFileMeta(m: FileMetaSpec): Buffer {
  const enc: Enc = { explicit: true, little: true };
  const els: El[] = [
    { tag: 0x00020001, vr: "OB", value: Buffer.from([0x00, 0x01]) },
    { tag: 0x00020002, vr: "UI", value: text("UI", m.mediaStorageSopClassUid) },
    { tag: 0x00020003, vr: "UI", value: text("UI", m.mediaStorageSopInstanceUid) },
    { tag: 0x00020010, vr: "UI", value: text("UI", m.transferSyntaxUid) },
    { tag: 0x00020012, vr: "UI", value: text("UI", m.implementationClassUid ?? SYNTHETIC_IMPLEMENTATION_CLASS_UID) },
    { tag: 0x00020013, vr: "SH", value: text("SH", m.implementationVersionName ?? SYNTHETIC_IMPLEMENTATION_VERSION_NAME) },
  ];
  if (m.sourceAeTitle !== undefined) els.push({ tag: 0x00020016, vr: "AE", value: text("AE", m.sourceAeTitle) });
  const body = Buffer.concat(encodeElements(els, enc));
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from("DICM", "latin1"),
    ...encodeElements([{ tag: 0x00020000, vr: "UL", value: groupLength }], enc),
    body,
  ]);
}

export interface WrittenPart10File {
  path: string;
  spec: ResolvedDatasetSpec;
  /** Total file size in bytes. */
  size: number;
  /** Where the dataset starts (after preamble and File Meta). */
  datasetOffset: number;
  datasetLength: number;
}

export interface WritePart10Options extends SyntheticDatasetSpec {
  /** Aim at this total file size: the number of frames is chosen to come within one frame of it. */
  targetSize?: number;
  sourceAeTitle?: string;
}

/** Frames needed for a file of about `targetSize` bytes (never fewer than one). */
export function framesForSize(targetSize: number, spec: SyntheticDatasetSpec = {}): number {
  const s = resolveSpec({ ...spec, frames: 1 });
  const overhead = makeFileMeta({ mediaStorageSopClassUid: s.sopClassUid, mediaStorageSopInstanceUid: s.sopInstanceUid, transferSyntaxUid: s.transferSyntax }).length +
    datasetPrefix(s, encodingOf(s.transferSyntax)).length + 16;
  const frameBytes = s.rows * s.columns * (s.bitsAllocated / 8);
  return Math.max(1, Math.round((targetSize - overhead) / frameBytes));
}

/** Writes a Part 10 file; pixel data goes through the file handle in 1 MiB chunks (one reused buffer). */
export async function writePart10File(path: string, options: WritePart10Options = {}): Promise<WrittenPart10File> {
  const { targetSize, sourceAeTitle, ...rest } = options;
  const s = resolveSpec(targetSize === undefined ? rest : { ...rest, frames: framesForSize(targetSize, rest) });
  const meta = makeFileMeta({
    mediaStorageSopClassUid: s.sopClassUid,
    mediaStorageSopInstanceUid: s.sopInstanceUid,
    transferSyntaxUid: s.transferSyntax,
    ...(sourceAeTitle === undefined ? {} : { sourceAeTitle }),
  });
  const fh = await open(path, "w");
  try {
    await fh.write(meta);
    if (s.transferSyntax === SyntheticTransferSyntax.DeflatedExplicitVrLittleEndian) {
      const ds = makeDataset(s);
      await fh.write(ds);
      return { path, spec: s, size: meta.length + ds.length, datasetOffset: meta.length, datasetLength: ds.length };
    }
    const enc = encodingOf(s.transferSyntax);
    const prefix = datasetPrefix(s, enc);
    await fh.write(prefix);
    const total = pixelDataLength(s);
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, total));
    for (let pos = 0; pos < total; pos += chunk.length) {
      const view = chunk.subarray(0, Math.min(chunk.length, total - pos));
      fillPixels(s, pos, view, !enc.little);
      await fh.write(view);
    }
    const datasetLength = prefix.length + total;
    return { path, spec: s, size: meta.length + datasetLength, datasetOffset: meta.length, datasetLength };
  } finally {
    await fh.close();
  }
}

export interface Part10Meta {
  fileMetaInformationVersion: Uint8Array;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid: string;
  implementationVersionName?: string;
  sourceAeTitle?: string;
  /** (0002,0000) as written in the file. */
  groupLength: number;
  /** Byte offset of the first dataset element: 132 + 12 + groupLength. */
  datasetOffset: number;
  fileSize: number;
}

/** Reads preamble and File Meta (PS3.10 §7.1) and says where the dataset starts; checks what it relies on. */
export async function readPart10Dataset(path: string): Promise<Part10Meta> {
  const fh = await open(path, "r");
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(144);
    const { bytesRead } = await fh.read(head, 0, 144, 0);
    if (bytesRead < 144 || head.toString("latin1", 128, 132) !== "DICM") throw new Error(`${path}: no DICM prefix at offset 128`);
    if (head.readUInt32LE(132) !== 0x00000002 || head.toString("latin1", 136, 138) !== "UL") {
      throw new Error(`${path}: File Meta does not start with (0002,0000) UL`);
    }
    const groupLength = head.readUInt32LE(140);
    const group = Buffer.alloc(groupLength);
    await fh.read(group, 0, groupLength, 144);
    const fields = new Map<number, Buffer>();
    let off = 0;
    while (off < group.length) {
      const tag = ((group.readUInt16LE(off) << 16) | group.readUInt16LE(off + 2)) >>> 0;
      const vr = group.toString("latin1", off + 4, off + 6);
      let len: number;
      if (LONG_VRS.has(vr)) {
        len = group.readUInt32LE(off + 8);
        off += 12;
      } else {
        len = group.readUInt16LE(off + 6);
        off += 8;
      }
      if (tag >>> 16 !== 0x0002) throw new Error(`${path}: element ${tag.toString(16)} inside the File Meta group length`);
      fields.set(tag, group.subarray(off, off + len));
      off += len;
    }
    const str = (tag: number): string | undefined => {
      const v = fields.get(tag);
      return v === undefined ? undefined : v.toString("latin1").replace(/[\0 ]+$/, "");
    };
    const need = (tag: number, name: string): string => {
      const v = str(tag);
      if (v === undefined) throw new Error(`${path}: File Meta lacks ${name}`);
      return v;
    };
    const meta: Part10Meta = {
      fileMetaInformationVersion: new Uint8Array(fields.get(0x00020001) ?? []),
      mediaStorageSopClassUid: need(0x00020002, "(0002,0002) Media Storage SOP Class UID"),
      mediaStorageSopInstanceUid: need(0x00020003, "(0002,0003) Media Storage SOP Instance UID"),
      transferSyntaxUid: need(0x00020010, "(0002,0010) Transfer Syntax UID"),
      implementationClassUid: need(0x00020012, "(0002,0012) Implementation Class UID"),
      groupLength,
      datasetOffset: 144 + groupLength,
      fileSize,
    };
    const version = str(0x00020013);
    if (version !== undefined) meta.implementationVersionName = version;
    const ae = str(0x00020016);
    if (ae !== undefined) meta.sourceAeTitle = ae;
    return meta;
  } finally {
    await fh.close();
  }
}

/** The dataset bytes of a Part 10 file (small files: it reads them into memory). */
export async function readDatasetBytes(path: string): Promise<Buffer> {
  const meta = await readPart10Dataset(path);
  const fh = await open(path, "r");
  try {
    const b = Buffer.alloc(meta.fileSize - meta.datasetOffset);
    await fh.read(b, 0, b.length, meta.datasetOffset);
    return b;
  } finally {
    await fh.close();
  }
}

/** SHA-256 of the dataset bytes of a Part 10 file, streamed (for files too large to compare in memory). */
export async function datasetSha256(path: string): Promise<string> {
  const meta = await readPart10Dataset(path);
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { start: meta.datasetOffset })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** SHA-256 of a synthetic dataset without materialising it. */
export function syntheticDatasetSha256(spec: SyntheticDatasetSpec = {}): string {
  const hash = createHash("sha256");
  for (const c of datasetChunks(spec)) hash.update(c);
  return hash.digest("hex");
}
