import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeCommand, decodePdu, encodePdu, PduFramer, type Pdu } from "@dicomtls/pdu-codec";

interface Field {
  readonly hex: string;
  readonly comment: string;
  /** What our encoder writes where the captured peer wrote something else (reserved bytes). */
  readonly encodedHex?: string;
}
interface Vector {
  readonly description: string;
  readonly source: Record<string, string>;
  readonly fields: readonly Field[];
  readonly decoded: unknown;
  readonly command?: unknown;
}

const dir = new URL("./vectors/", import.meta.url);
const vectors = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, vector: JSON.parse(readFileSync(new URL(f, dir), "utf8")) as Vector }));

/** Byte fields in the JSON are { "hex": "..." }; everything else is plain data. */
function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o["hex"] === "string") return [...Buffer.from(o["hex"], "hex")];
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

/** The decoder's output with byte views turned into arrays, to compare with revived JSON. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** The JSON with byte arrays as Uint8Array, the input form encodePdu takes. */
function toPdu(v: unknown): Pdu {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === "object") {
      const o = x as Record<string, unknown>;
      if (Object.keys(o).length === 1 && typeof o["hex"] === "string") return Buffer.from(o["hex"], "hex");
      return Object.fromEntries(Object.entries(o).map(([k, y]) => [k, walk(y)]));
    }
    return x;
  };
  return walk(v) as Pdu;
}

function frame(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const framer = new PduFramer({ maxPDataLength: 16384 });
  const out: Buffer[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...framer.push(Buffer.from(bytes.subarray(prev, cut))));
    prev = cut;
  }
  assert.equal(framer.bufferedBytes, 0);
  return out;
}

describe("test vectors", () => {
  assert.ok(vectors.length >= 9, "the vector files are found");
  assert.ok(vectors.filter((v) => v.vector.source["tool"]?.startsWith("DCMTK 3.6.7")).length >= 2, "at least two vectors come from DCMTK");

  for (const { file, vector } of vectors) {
    const wire = Buffer.from(vector.fields.map((f) => f.hex).join(""), "hex");
    const ours = Buffer.from(vector.fields.map((f) => f.encodedHex ?? f.hex).join(""), "hex");

    describe(file, () => {
      it("every field has a comment and the PDU-length matches the bytes", () => {
        for (const f of vector.fields) assert.ok(f.comment.length > 0 && /^([0-9a-f]{2})*$/.test(f.hex), JSON.stringify(f));
        assert.equal(wire.readUInt32BE(2), wire.length - 6);
      });
      it("decodes", () => {
        assert.deepEqual(plain(decodePdu(wire)), revive(vector.decoded));
      });
      it("encodes", () => {
        assert.deepEqual(encodePdu(toPdu(vector.decoded)), ours);
      });
      it("encodes then decodes", () => {
        assert.deepEqual(plain(decodePdu(encodePdu(toPdu(vector.decoded)))), revive(vector.decoded));
      });
      it("frames whole, byte by byte and in random splits", () => {
        assert.deepEqual(frame(wire, []), [wire]);
        assert.deepEqual(frame(wire, Array.from({ length: wire.length - 1 }, (_, i) => i + 1)), [wire]);
        const twice = Buffer.concat([wire, wire]);
        for (let round = 0; round < 50; round++) {
          const cuts = Array.from({ length: 1 + (round % 6) }, () => Math.floor(Math.random() * twice.length)).sort((a, b) => a - b);
          assert.deepEqual(frame(twice, cuts), [wire, wire], `cuts ${cuts.join(",")}`);
        }
      });
      if (vector.command !== undefined) {
        it("its PDV holds the command set given", () => {
          const pdu = decodePdu(wire);
          assert.equal(pdu.type, 4);
          if (pdu.type === 4) assert.deepEqual(decodeCommand(pdu.pdvs[0]!.data), vector.command);
        });
      }
    });
  }
});
