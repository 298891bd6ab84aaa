import assert from "node:assert/strict";
import { test } from "node:test";
import { joinAdjacent } from "../src/dimse/outgoing.js";

test("adjacent views of one buffer (a prebuilt batch's PDUs) become one view over the same memory", () => {
  const buffer = new ArrayBuffer(100);
  const parts = [new Uint8Array(buffer, 10, 30), new Uint8Array(buffer, 40, 20), new Uint8Array(buffer, 60, 5)];
  const joined = joinAdjacent(parts);
  assert.equal(joined.length, 1);
  const one = joined[0] as Uint8Array;
  assert.equal(one.buffer, buffer, "no copy: a view of the batch buffer");
  assert.equal(one.byteOffset, 10);
  assert.equal(one.byteLength, 55);
});

test("views with a gap, out of order or over different buffers are left as they are; so are 0 or 1 parts", () => {
  const buffer = new ArrayBuffer(100);
  const gap = [new Uint8Array(buffer, 0, 10), new Uint8Array(buffer, 11, 10)];
  const reversed = [new Uint8Array(buffer, 10, 10), new Uint8Array(buffer, 0, 10)];
  const two = [new Uint8Array(buffer, 0, 10), new Uint8Array(new ArrayBuffer(100), 10, 10)];
  for (const parts of [gap, reversed, two, [], [new Uint8Array(buffer, 5, 5)]]) assert.equal(joinAdjacent(parts), parts);
});
