import { encodePDataTfHeader, maxPdvDataLength, P_DATA_TF_HEADER_LENGTH } from "@dicomtls/pdu-codec";
import type { FileReader } from "./part10.js";
import type { DatasetSegment, EncodedBatch, PduLayout } from "./protocol.js";

/** Dataset bytes per batch: whole PDVs, at least one. */
export function batchDataLength(layout: PduLayout): number {
  const pdv = maxPdvDataLength(layout.maxPduLength);
  return Math.max(1, Math.floor(layout.batchBytes / pdv)) * pdv;
}

/** Bytes a batch of `dataLength` dataset bytes takes as PDUs (one 12-byte header per PDV, PS3.8 §9.3.5). */
export function batchByteLength(dataLength: number, maxPduLength: number): number {
  const pdv = maxPdvDataLength(maxPduLength);
  const pdus = Math.max(1, Math.ceil(dataLength / pdv));
  return dataLength + pdus * P_DATA_TF_HEADER_LENGTH;
}

/**
 * Encodes dataset range [start, end) as P-DATA-TF PDUs into one buffer: each PDU header is written, then its data is
 * copied from the segment bytes or read from the file straight into place (no intermediate buffer).
 * `segmentsStart` is the dataset offset of `segments[0]`.
 */
export function encodeBatch(
  file: FileReader | undefined,
  layout: PduLayout,
  segments: readonly DatasetSegment[],
  segmentsStart: number,
  start: number,
  end: number,
  datasetLength: number,
  reuse: ArrayBuffer | undefined,
): EncodedBatch {
  const pdv = maxPdvDataLength(layout.maxPduLength);
  const byteLength = batchByteLength(end - start, layout.maxPduLength);
  const buffer = reuse !== undefined && reuse.byteLength >= byteLength ? reuse : new ArrayBuffer(byteLength);
  const out = new Uint8Array(buffer, 0, byteLength);
  // The segment holding dataset offset `start`, and where it begins.
  let si = 0;
  let segStart = segmentsStart;
  const segLength = (s: DatasetSegment): number => (s.kind === "bytes" ? s.bytes.byteLength : s.end - s.start);
  const copy = (target: number, from: number, length: number): void => {
    let t = target;
    let pos = from;
    let left = length;
    while (left > 0) {
      const s = segments[si];
      if (s === undefined) throw new RangeError(`dataset offset ${pos} lies beyond the plan's segments`);
      const len = segLength(s);
      if (pos >= segStart + len) {
        segStart += len;
        si++;
        continue;
      }
      const within = pos - segStart;
      const n = Math.min(left, len - within);
      if (s.kind === "bytes") out.set(s.bytes.subarray(within, within + n), t);
      else {
        if (file === undefined) throw new RangeError("a file segment without a file");
        file.readInto(out, t, n, s.start + within);
      }
      t += n;
      pos += n;
      left -= n;
    }
  };
  let p = 0;
  let pduCount = 0;
  let at = start;
  do {
    const n = Math.min(pdv, end - at);
    const isLast = at + n === datasetLength;
    out.set(encodePDataTfHeader(layout.presentationContextId, false, isLast, n), p);
    p += P_DATA_TF_HEADER_LENGTH;
    copy(p, at, n);
    p += n;
    at += n;
    pduCount++;
  } while (at < end);
  return { buffer, byteLength, pduCount, dataLength: end - start, last: end === datasetLength };
}
