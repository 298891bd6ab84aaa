import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePDataTf, decodePDataTfPieces, encodePDataTf, PduDecodeError, PduFramer, type Pdv, type PduPieces } from "@dicomtls/pdu-codec";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const release = hex("05 00 00000004 00000000");
/** Two PDVs in one PDU (a command's last fragment, then a data set fragment), and a one-PDV PDU with empty data. */
const twoPdvs = encodePDataTf({
  type: 4,
  pdvs: [
    { presentationContextId: 1, isCommand: true, isLast: true, data: Buffer.alloc(70, 0x11) },
    { presentationContextId: 1, isCommand: false, isLast: false, data: Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff)) },
  ],
});
const emptyData = encodePDataTf({ type: 4, pdvs: [{ presentationContextId: 3, isCommand: false, isLast: true, data: Buffer.alloc(0) }] });
const stream = Buffer.concat([release, twoPdvs, release, emptyData, twoPdvs]);
const expected = [release, twoPdvs, release, emptyData, twoPdvs];

function feedPieces(framer: PduFramer, cuts: number[]): Array<Buffer | PduPieces> {
  const out: Array<Buffer | PduPieces> = [];
  let prev = 0;
  for (const cut of [...cuts, stream.length]) {
    // Each chunk in a buffer of its own, as a socket delivers them: views must point into these, never a copy.
    out.push(...framer.pushPieces(Buffer.from(stream.subarray(prev, cut))));
    prev = cut;
  }
  return out;
}

/** The PDVs with a split PDV's pieces joined again: consecutive PDVs of one context and kind, until the last-fragment bit. */
function joined(pdvs: readonly Pdv[]): Array<{ id: number; command: boolean; last: boolean; data: string }> {
  const out: Array<{ id: number; command: boolean; last: boolean; parts: Uint8Array[] }> = [];
  let open: (typeof out)[number] | undefined;
  for (const p of pdvs) {
    if (open === undefined || open.last || open.id !== p.presentationContextId || open.command !== p.isCommand) {
      open = { id: p.presentationContextId, command: p.isCommand, last: false, parts: [] };
      out.push(open);
    }
    open.parts.push(p.data);
    open.last = p.isLast;
  }
  return out.map((o) => ({ id: o.id, command: o.command, last: o.last, data: Buffer.concat(o.parts).toString("hex") }));
}

describe("PduFramer.pushPieces and decodePDataTfPieces", () => {
  it("whole PDUs inside one chunk still come back as single views", () => {
    const out = new PduFramer({ maxPDataLength: 16384 }).pushPieces(stream);
    assert.deepEqual(out, expected);
  });

  it("random splits: every PDU comes back whole, a split P-DATA-TF as views of the chunks that decode to the same message", () => {
    for (let round = 0; round < 300; round++) {
      const cuts = Array.from({ length: 1 + (round % 23) }, () => Math.floor(Math.random() * stream.length)).sort((a, b) => a - b);
      const out = feedPieces(new PduFramer({ maxPDataLength: 16384 }), cuts);
      assert.equal(out.length, expected.length, `cuts ${cuts.join(",")}`);
      out.forEach((pdu, i) => {
        const want = expected[i]!;
        if (pdu instanceof Uint8Array) {
          assert.deepEqual(pdu, want, `cuts ${cuts.join(",")}`);
          return;
        }
        assert.equal(want[0], 0x04, "only P-DATA-TF comes in pieces");
        assert.equal(pdu.length, want.length);
        assert.deepEqual(Buffer.concat(pdu.pieces), want, `cuts ${cuts.join(",")}`);
        // Views, not copies: every piece after the first lies in a chunk of the stream (the first may be the header copy).
        for (const piece of pdu.pieces.slice(1)) assert.ok(piece.byteOffset + piece.length <= piece.buffer.byteLength);
        const decoded = decodePDataTfPieces(pdu.pieces);
        assert.deepEqual(joined(decoded.pdvs), joined(decodePDataTf(want).pdvs), `cuts ${cuts.join(",")}`);
        const lastBits = decoded.pdvs.filter((p) => p.isLast).length;
        assert.equal(lastBits, decodePDataTf(want).pdvs.filter((p) => p.isLast).length, "the last-fragment bit is carried once per wire PDV");
      });
    }
  });

  it("byte by byte: the header held by the framer is copied, the body stays in views of the 1-byte chunks", () => {
    const framer = new PduFramer({ maxPDataLength: 16384 });
    const out: Array<Buffer | PduPieces> = [];
    for (let i = 0; i < twoPdvs.length; i++) out.push(...framer.pushPieces(Buffer.from(twoPdvs.subarray(i, i + 1))));
    assert.equal(out.length, 1);
    const pdu = out[0] as PduPieces;
    assert.equal(pdu.pieces.length, 1 + twoPdvs.length - 6);
    assert.deepEqual(pdu.pieces[0], twoPdvs.subarray(0, 6));
    assert.deepEqual(joined(decodePDataTfPieces(pdu.pieces).pdvs), joined(decodePDataTf(twoPdvs).pdvs));
    assert.equal(framer.bufferedBytes, 0);
  });

  it("bufferedBytes counts a P-DATA-TF held as pieces", () => {
    const framer = new PduFramer({ maxPDataLength: 16384 });
    assert.deepEqual(framer.pushPieces(Buffer.from(twoPdvs.subarray(0, 100))), []);
    assert.equal(framer.bufferedBytes, 100);
  });

  it("refuses what decodePDataTf refuses, with the same offsets", () => {
    const bad = [
      hex("04 00 00000008 00000001 01 03 00 00"), // item-length 1 < 2
      hex("04 00 00000008 00000009 01 03 00 00"), // item longer than the PDU
      hex("04 00 00000008 00000004 00 03 00 00"), // context 0
      hex("04 00 00000002 0000"), // 2 bytes: no room for an item-length
    ];
    for (const pdu of bad) {
      let want: PduDecodeError | undefined;
      try {
        decodePDataTf(pdu);
      } catch (err) {
        want = err as PduDecodeError;
      }
      assert.ok(want instanceof PduDecodeError, pdu.toString("hex"));
      const pieces = [pdu.subarray(0, 7), pdu.subarray(7, 9), pdu.subarray(9)];
      assert.throws(
        () => decodePDataTfPieces(pieces),
        (e: unknown) => e instanceof PduDecodeError && e.code === want.code && e.offset === want.offset,
        pdu.toString("hex"),
      );
    }
  });
});
