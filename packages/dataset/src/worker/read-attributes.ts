/**
 * Attribute values of a stored Part 10 file by keyword, for C-FIND keys the index does not hold (Orthanc's
 * StorageAccessOnFind): only the header is read (up to the pixel data), only the asked elements are decoded.
 */
import { decodeIdentifier, resolveKey, SPECIFIC_CHARACTER_SET_TAG } from "../dataset/identifier.js";
import { scanHeader } from "../dataset/element-reader.js";
import { datasetEncoding } from "../dataset/transfer-syntax.js";
import { readFileInfo, type FileReader } from "./part10.js";

/** First read of the dataset; grown while the header runs past it. */
const FIRST_READ = 64 * 1024;

function tagOf(keyword: string): number | undefined {
  try {
    return resolveKey(keyword).tag;
  } catch {
    return undefined;
  }
}

/**
 * keyword -> value (several values joined by '\', sequences and binary values left out) of the asked keywords the
 * file holds, text decoded with its (0008,0005). A Big Endian or deflated data set gives {} (no key is read).
 */
export function readAttributes(file: FileReader, keywords: readonly string[]): Record<string, string> {
  const info = readFileInfo(file);
  const enc = datasetEncoding(info.transferSyntaxUid);
  if (!enc.littleEndian || enc.deflated) return {};
  const select = new Set<number>([SPECIFIC_CHARACTER_SET_TAG]);
  for (const k of keywords) {
    const tag = tagOf(k);
    if (tag !== undefined) select.add(tag);
  }
  let length = Math.min(info.datasetLength, FIRST_READ);
  for (;;) {
    const bytes = file.read(info.datasetOffset, length);
    const selected: Array<[number, number]> = [];
    const scan = scanHeader(bytes, enc, select, selected);
    if (scan.truncated && length < info.datasetLength) {
      length = Math.min(info.datasetLength, length * 4);
      continue;
    }
    const parts = selected.map(([a, b]) => bytes.subarray(a, b));
    const decoded = decodeIdentifier(Buffer.concat(parts), info.transferSyntaxUid);
    const out: Record<string, string> = {};
    for (const k of keywords) {
      const values = decoded[k];
      if (values === undefined) continue;
      const texts = values.filter((v): v is string | number => typeof v !== "object");
      if (texts.length !== values.length) continue;
      out[k] = texts.map(String).join("\\");
    }
    return out;
  }
}
