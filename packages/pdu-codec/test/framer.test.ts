import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodePDataTfHeader, PduDecodeError, PduFramer, PduTooLargeError } from "@dicomtls/pdu-codec";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const release = hex("05 00 00000004 00000000");
const abort = hex("07 00 00000004 0000 02 00");
function pData(dataLength: number, fill = 0xab): Buffer {
  return Buffer.concat([encodePDataTfHeader(1, false, true, dataLength), Buffer.alloc(dataLength, fill)]);
}

function feed(framer: PduFramer, stream: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...framer.push(stream.subarray(prev, cut)));
    prev = cut;
  }
  return out;
}

describe("PduFramer", () => {
  const stream = Buffer.concat([release, pData(100), abort, pData(0), pData(3000, 7)]);
  const expected = [release, pData(100), abort, pData(0), pData(3000, 7)];

  it("returns whole PDUs from one chunk as views of it", () => {
    const framer = new PduFramer({ maxPDataLength: 16384 });
    const out = framer.push(stream);
    assert.deepEqual(out, expected);
    for (const pdu of out) assert.equal(pdu.buffer, stream.buffer);
    assert.equal(framer.bufferedBytes, 0);
  });

  it("reassembles byte-by-byte input, including split headers", () => {
    const framer = new PduFramer({ maxPDataLength: 16384 });
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      out.push(...framer.push(stream.subarray(i, i + 1)));
      if (i === 2) assert.equal(framer.bufferedBytes, 3);
    }
    assert.deepEqual(out, expected);
    assert.equal(framer.bufferedBytes, 0);
  });

  it("reassembles random splits", () => {
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + (round % 9) }, () => Math.floor(Math.random() * stream.length)).sort((a, b) => a - b);
      const framer = new PduFramer({ maxPDataLength: 16384 });
      assert.deepEqual(feed(framer, stream, cuts), expected, `cuts ${cuts.join(",")}`);
    }
  });

  it("allows a P-DATA-TF whose PDU-length equals the limit (total limit + 6) and refuses one byte more before buffering", () => {
    const max = 4096;
    const atLimit = pData(max - 6);
    assert.equal(atLimit.length, max + 6);
    assert.deepEqual(new PduFramer({ maxPDataLength: max }).push(atLimit), [atLimit]);

    const framer = new PduFramer({ maxPDataLength: max });
    const over = pData(max - 5);
    assert.throws(
      () => framer.push(over.subarray(0, 6)),
      (err: unknown) =>
        err instanceof PduTooLargeError && err.code === "ERR_DICOM_PDU_TOO_LARGE" && err.announced === max + 1 && err.allowed === max && err.pduType === 4,
    );
    // Refused on the header alone, read straight from the chunk: nothing was buffered.
    assert.equal(framer.bufferedBytes, 0);

    const split = new PduFramer({ maxPDataLength: max });
    assert.deepEqual(split.push(over.subarray(0, 3)), []);
    assert.throws(() => split.push(over.subarray(3)), PduTooLargeError);
    assert.equal(split.bufferedBytes, 6, "only the header was held");
    assert.throws(() => framer.push(over.subarray(6)), PduTooLargeError, "the framer stays failed");
  });

  it("bounds other PDU types by maxOtherLength (1 MiB by default)", () => {
    const big = hex("01 00 00100001");
    assert.throws(() => new PduFramer({ maxPDataLength: 0 }).push(big), (e: unknown) => e instanceof PduTooLargeError && e.allowed === 1024 * 1024);
    assert.throws(() => new PduFramer({ maxPDataLength: 0, maxOtherLength: 3 }).push(release), PduTooLargeError);
  });

  it("treats 0 as unlimited and applies setMaxPDataLength to the next PDU", () => {
    const framer = new PduFramer({ maxPDataLength: 0 });
    assert.equal(framer.push(pData(100_000)).length, 1);
    framer.setMaxPDataLength(1000);
    assert.throws(() => framer.push(pData(1000)), PduTooLargeError);
  });

  it("rejects an unknown PDU type from its first byte, with the stream offset", () => {
    const framer = new PduFramer({ maxPDataLength: 0 });
    assert.deepEqual(framer.push(release), [release]);
    assert.throws(
      () => framer.push(hex("08")),
      (e: unknown) => e instanceof PduDecodeError && e.code === "ERR_DICOM_PDU_UNKNOWN_TYPE" && e.offset === release.length,
    );
  });
});
