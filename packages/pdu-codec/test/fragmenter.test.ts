import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { decodePdu, fragmentMessage, fragmentToBuffers, PduEncodeError, PduFramer, PduType, type PDataTf } from "@dicomtls/pdu-codec";

const BIG = randomBytes(5 * 1024 * 1024 + 3);

/** Checks every PDU against the limit through the framer and the decoder, and returns the reassembled payload. */
function reassemble(pdus: Buffer[], maxPduLength: number, isCommand: boolean): Buffer {
  const limit = maxPduLength === 0 ? 64 * 1024 : maxPduLength;
  const framer = new PduFramer({ maxPDataLength: limit });
  const parts: Uint8Array[] = [];
  pdus.forEach((bytes, i) => {
    assert.ok(bytes.length - 6 <= limit, `PDU ${i} is ${bytes.length} bytes, over ${limit} + 6`);
    assert.deepEqual(framer.push(bytes), [bytes]);
    const pdu = decodePdu(bytes) as PDataTf;
    assert.equal(pdu.type, PduType.PDataTf);
    assert.equal(pdu.pdvs.length, 1, "exactly one PDV per PDU");
    const pdv = pdu.pdvs[0]!;
    assert.equal(pdv.presentationContextId, 3);
    assert.equal(pdv.isCommand, isCommand);
    assert.equal(pdv.isLast, i === pdus.length - 1, `only the last PDU is flagged last (PDU ${i})`);
    parts.push(pdv.data);
  });
  return Buffer.concat(parts);
}

describe("fragmentMessage", () => {
  for (const maxPduLength of [4096, 16384, 131072, 0]) {
    const max = maxPduLength === 0 ? 65536 : maxPduLength;
    for (const size of [0, 1, max - 6, max - 5, BIG.length]) {
      it(`limit ${maxPduLength}, payload ${size} bytes`, () => {
        const payload = BIG.subarray(0, size);
        const pdus = fragmentToBuffers({ presentationContextId: 3, isCommand: false, payload, maxPduLength });
        assert.equal(pdus.length, Math.max(1, Math.ceil(size / (max - 6))));
        assert.deepEqual(reassemble(pdus, maxPduLength, false), payload);
      });
    }
  }

  it("takes the payload as several views and never copies them", () => {
    const chunks = [BIG.subarray(0, 10), BIG.subarray(10, 10), BIG.subarray(10, 5000), BIG.subarray(5000, 9000), BIG.subarray(9000, 9001)];
    const fragments = [...fragmentMessage({ presentationContextId: 3, isCommand: true, payload: chunks, maxPduLength: 4096 })];
    for (const f of fragments) {
      assert.equal(f.header.length, 12);
      for (const s of f.slices) assert.equal(s.buffer, BIG.buffer, "slices are views of the payload");
      assert.equal(f.dataLength, f.slices.reduce((n, s) => n + s.length, 0));
    }
    const pdus = fragments.map((f) => Buffer.concat([f.header, ...f.slices]));
    assert.deepEqual(reassemble(pdus, 4096, true), BIG.subarray(0, 9001));
  });

  it("flags the last PDU when the payload ends exactly on a PDU boundary of an iterable", () => {
    const fragments = [...fragmentMessage({ presentationContextId: 3, isCommand: false, payload: [BIG.subarray(0, 4090), new Uint8Array(0)], maxPduLength: 4096 })];
    assert.deepEqual(fragments.map((f) => [f.dataLength, f.isLast]), [[4090, true]]);
  });

  it("gives one empty last PDV for an empty payload", () => {
    const [only, ...rest] = [...fragmentMessage({ presentationContextId: 3, isCommand: true, payload: [], maxPduLength: 0 })];
    assert.equal(rest.length, 0);
    assert.deepEqual(only?.header, Buffer.from("040000000006000000020303", "hex"));
  });

  it("refuses a limit that leaves no room for data", () => {
    assert.throws(() => fragmentToBuffers({ presentationContextId: 1, isCommand: true, payload: BIG.subarray(0, 1), maxPduLength: 6 }), PduEncodeError);
  });
});
