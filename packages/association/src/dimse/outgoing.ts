import { encodeCommand, encodePDataTfHeader, fragmentMessage, maxPdvDataLength, type DimseCommand } from "@dicomtls/pdu-codec";

/** One P-DATA-TF PDU as consecutive byte views (header first), written as is. */
export type PduBytes = readonly Uint8Array[];

/** A data set to send: one buffer, or chunks (e.g. read from a file) in order. */
export type OutgoingDataset = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** PS3.8 Annex E: the command set of a message as P-DATA-TF PDUs within the peer's limit. */
export function* commandPdus(contextId: number, command: DimseCommand, peerMaxPduLength: number): Generator<PduBytes> {
  for (const f of fragmentMessage({ presentationContextId: contextId, isCommand: true, payload: encodeCommand(command), maxPduLength: peerMaxPduLength })) {
    yield [f.header, ...f.slices];
  }
}

function isAsyncIterable(x: OutgoingDataset): x is AsyncIterable<Uint8Array> {
  return typeof (x as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] === "function";
}

/**
 * PS3.8 Annex E: a data set as P-DATA-TF PDUs. Chunks are sliced, never copied; a full PDV is held back until the
 * next byte shows it is not the last one, which is how a stream of unknown length gets its last-fragment flag.
 */
export async function* datasetPdus(contextId: number, dataset: OutgoingDataset, peerMaxPduLength: number): AsyncGenerator<PduBytes> {
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
