import { PduEncodeError } from "./errors.js";
import { encodePDataTfHeader, PDV_HEADER_LENGTH } from "./pdu/p-data-tf.js";

/** Used when the peer announced no limit (PS3.8 D.1: 0): a size that keeps PDUs and their buffers modest. */
export const UNLIMITED_PEER_PDU_LENGTH = 64 * 1024;

export interface FragmentOptions {
  readonly presentationContextId: number;
  readonly isCommand: boolean;
  /** The whole message (command set or data set), in one view or as consecutive views. */
  readonly payload: Uint8Array | Iterable<Uint8Array>;
  /** The peer's maximum PDU length (its PDU-length field limit, PS3.8 D.1); 0 = no limit. */
  readonly maxPduLength: number;
}

/** One P-DATA-TF PDU holding one PDV: send `header`, then each slice, in order. */
export interface PDataTfFragment {
  /** PDU header + PDV item header (12 bytes). */
  readonly header: Buffer;
  /** Views of the payload (never copies) that make up this PDV's data. */
  readonly slices: readonly Uint8Array[];
  readonly dataLength: number;
  readonly isLast: boolean;
}

/** Largest PDV data size that fits a peer's limit: the PDV item header counts in the PDU variable field. */
export function maxPdvDataLength(maxPduLength: number): number {
  const limit = maxPduLength === 0 ? UNLIMITED_PEER_PDU_LENGTH : maxPduLength;
  if (!Number.isInteger(limit) || limit <= PDV_HEADER_LENGTH || limit > 0xffffffff) {
    throw new PduEncodeError(`maximum PDU length ${maxPduLength} leaves no room for PDV data; it must exceed ${PDV_HEADER_LENGTH}`);
  }
  return limit - PDV_HEADER_LENGTH;
}

/**
 * PS3.8 §9.3.5 + Annex E: cuts a message into P-DATA-TF PDUs of one PDV each, every PDU within the peer's
 * limit, the last one flagged. An empty payload gives one empty last PDV.
 */
export function* fragmentMessage(options: FragmentOptions): Generator<PDataTfFragment, void, undefined> {
  const { presentationContextId, isCommand } = options;
  const max = maxPdvDataLength(options.maxPduLength);
  const source = (options.payload instanceof Uint8Array ? [options.payload] : options.payload)[Symbol.iterator]();
  // The current chunk and how far into it we are; the next non-empty chunk is pulled only when needed,
  // which is also how the last fragment is known without knowing the total length.
  let chunk: Uint8Array | undefined;
  let offset = 0;
  const nextChunk = (): Uint8Array | undefined => {
    for (let r = source.next(); r.done !== true; r = source.next()) if (r.value.length > 0) return r.value;
    return undefined;
  };
  chunk = nextChunk();
  for (;;) {
    const slices: Uint8Array[] = [];
    let dataLength = 0;
    while (chunk !== undefined && dataLength < max) {
      const n = Math.min(max - dataLength, chunk.length - offset);
      slices.push(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
      dataLength += n;
      offset += n;
      if (offset === chunk.length) {
        chunk = nextChunk();
        offset = 0;
      }
    }
    const isLast = chunk === undefined;
    yield { header: encodePDataTfHeader(presentationContextId, isCommand, isLast, dataLength), slices, dataLength, isLast };
    if (isLast) return;
  }
}

/** Each PDU as one Buffer (copies the payload): for tests and small messages. */
export function fragmentToBuffers(options: FragmentOptions): Buffer[] {
  const out: Buffer[] = [];
  for (const f of fragmentMessage(options)) {
    const pdu = Buffer.allocUnsafe(f.header.length + f.dataLength);
    f.header.copy(pdu, 0);
    let pos = f.header.length;
    for (const s of f.slices) {
      pdu.set(s, pos);
      pos += s.length;
    }
    out.push(pdu);
  }
  return out;
}

/**
 * One batch of a data set cut into P-DATA-TF PDUs ahead of sending (e.g. `CodecRunner.prepareFile` of
 * @dicomtls/dataset, in a worker): complete PDUs in order, each within the peer's limit.
 */
export interface PduBatch {
  /** Each element is one whole PDU (header + PDV), a view of one batch buffer. */
  readonly pdus: readonly Uint8Array[];
  /** Bytes of all PDUs. */
  readonly byteLength: number;
  /** Dataset bytes carried. */
  readonly dataLength: number;
  /** The last batch: its last PDU carries the last-fragment bit. */
  readonly last: boolean;
  /**
   * Hands the batch buffer back for the next batch to fill (fresh memory costs ~3 ms/MB to touch the first time).
   * Call it only once every PDU has been written out (the socket write callback ran); optional.
   */
  release(): void;
}
