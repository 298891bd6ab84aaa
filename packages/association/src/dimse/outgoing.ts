import { encodeCommandPdus, encodePDataTfHeader, fragmentMessage, maxPdvDataLength, type DimseCommand, type PduBatch } from "@dicomtls/pdu-codec";

/** One P-DATA-TF PDU as consecutive byte views (header first), written as is. */
export type PduBytes = readonly Uint8Array[];

/**
 * A data set already cut into whole P-DATA-TF PDUs (`CodecRunner.prepareFile`, made in a worker), written as they
 * are: the PDUs carry their presentation context ID and were sized for a PDU limit, both checked against the
 * association before the command goes out.
 */
export interface PrebuiltDataset {
  readonly kind: "prebuilt-pdus";
  /** The context ID the PDUs were built for; must be the message's. */
  readonly presentationContextId: number;
  /** The PDU limit they were built for; must not exceed the peer's. */
  readonly maxPduLength: number;
  /** Each batch's `release()` is called once the socket is done with its bytes. */
  readonly batches: AsyncIterable<PduBatch>;
}

/** A data set to send: one buffer, chunks (e.g. read from a file) in order, or prebuilt PDUs. */
export type OutgoingDataset = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | PrebuiltDataset;

/** Wraps PDU batches (e.g. a `PreparedFile`) built for `presentationContextId` and `maxPduLength` as a data set to send. */
export function prebuiltDataset(batches: AsyncIterable<PduBatch>, presentationContextId: number, maxPduLength: number): PrebuiltDataset {
  return { kind: "prebuilt-pdus", presentationContextId, maxPduLength, batches };
}

export function isPrebuiltDataset(x: OutgoingDataset): x is PrebuiltDataset {
  return (x as Partial<PrebuiltDataset>).kind === "prebuilt-pdus";
}

/** PS3.8 Annex E: the command set of a message as P-DATA-TF PDUs within the peer's limit. */
export function* commandPdus(contextId: number, command: DimseCommand, peerMaxPduLength: number): Generator<PduBytes> {
  for (const pdu of encodeCommandPdus(contextId, command, peerMaxPduLength)) yield [pdu];
}

function isAsyncIterable(x: Exclude<OutgoingDataset, PrebuiltDataset>): x is AsyncIterable<Uint8Array> {
  return typeof (x as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === "function";
}

/**
 * PS3.8 Annex E: a data set as P-DATA-TF PDUs. Chunks are sliced, never copied; a full PDV is held back until the
 * next byte shows it is not the last one, which is how a stream of unknown length gets its last-fragment flag.
 */
export async function* datasetPdus(contextId: number, dataset: Exclude<OutgoingDataset, PrebuiltDataset>, peerMaxPduLength: number): AsyncGenerator<PduBytes> {
  if (!isAsyncIterable(dataset)) {
    for (const f of fragmentMessage({ presentationContextId: contextId, isCommand: false, payload: dataset, maxPduLength: peerMaxPduLength })) {
      yield [f.header, ...f.slices];
    }
    return;
  }
  const max = maxPdvDataLength(peerMaxPduLength);
  let slices: Uint8Array[] = [];
  let length = 0;
  const flush = (isLast: boolean): PduBytes => {
    const pdu = [encodePDataTfHeader(contextId, false, isLast, length), ...slices];
    slices = [];
    length = 0;
    return pdu;
  };
  for await (const chunk of dataset) {
    let offset = 0;
    while (offset < chunk.length) {
      if (length === max) yield flush(false);
      const n = Math.min(max - length, chunk.length - offset);
      slices.push(offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
      length += n;
      offset += n;
    }
  }
  yield flush(true);
}

/**
 * Views that follow each other in one buffer (a prebuilt batch's PDUs) as one view: the socket then takes one write,
 * and TLS encrypts it where it lies (a write of several parts is copied into one buffer before encryption).
 */
export function joinAdjacent(parts: readonly Uint8Array[]): readonly Uint8Array[] {
  const first = parts[0];
  if (parts.length < 2 || first === undefined) return parts;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as Uint8Array;
    if (p.buffer !== first.buffer || p.byteOffset !== end) return parts;
    end += p.byteLength;
  }
  return [new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset)];
}
