import { strict as assert } from "node:assert";
import { test } from "node:test";
import { AssociationLimits } from "../src/index.js";

test("the total limit refuses past its count, across addresses, and a release frees a slot", () => {
  const limits = new AssociationLimits(2, 0);
  assert.equal(limits.admit("10.0.0.1"), undefined);
  assert.equal(limits.admit("10.0.0.2"), undefined);
  assert.deepEqual(limits.admit("10.0.0.3"), { kind: "total", limit: 2, open: 2 });
  limits.release("10.0.0.1");
  assert.equal(limits.admit("10.0.0.3"), undefined);
  assert.equal(limits.held, 2);
});

test("the per-host limit counts each address apart; a refusal takes no slot", () => {
  const limits = new AssociationLimits(0, 1);
  assert.equal(limits.admit("10.0.0.1"), undefined);
  assert.deepEqual(limits.admit("10.0.0.1"), { kind: "per-host", limit: 1, open: 1 });
  assert.equal(limits.admit("10.0.0.2"), undefined);
  assert.equal(limits.held, 2);
  limits.release("10.0.0.1");
  assert.equal(limits.admit("10.0.0.1"), undefined);
});

test("0 means no limit of that kind", () => {
  const limits = new AssociationLimits(0, 0);
  for (let i = 0; i < 1000; i++) assert.equal(limits.admit("10.0.0.1"), undefined);
  assert.equal(limits.held, 1000);
});
