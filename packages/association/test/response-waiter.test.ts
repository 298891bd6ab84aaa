import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { DimseMessage } from "../src/dimse/message.js";
import { RESPONSES_HIGH_WATER, RESPONSES_LOW_WATER, ResponseWaiter } from "../src/dimse/response-waiter.js";

const pending = (n: number): DimseMessage => ({ presentationContextId: 1, command: { commandField: 0x8020, messageIdBeingRespondedTo: 1, status: 0xff00, messageId: n } }) as unknown as DimseMessage;

test("unread responses press on the transport at the high-water mark and release it at the low-water mark", async () => {
  const calls: boolean[] = [];
  const waiter = new ResponseWaiter((pressed) => calls.push(pressed));
  for (let i = 0; i < RESPONSES_HIGH_WATER - 1; i++) waiter.push(pending(i));
  assert.deepEqual(calls, [], "below the high-water mark nothing is paused");
  waiter.push(pending(RESPONSES_HIGH_WATER - 1));
  assert.deepEqual(calls, [true], "paused once at the high-water mark");
  waiter.push(pending(RESPONSES_HIGH_WATER));
  assert.deepEqual(calls, [true], "not paused twice");
  let read = 0;
  while (calls.length === 1) {
    await waiter.next();
    read++;
  }
  assert.deepEqual(calls, [true, false]);
  assert.equal(RESPONSES_HIGH_WATER + 1 - read, RESPONSES_LOW_WATER, "resumed with the low-water mark's count still unread");
});

test("a reader that stops, or a request that fails, never leaves the transport paused", () => {
  for (const end of ["abandon", "fail"] as const) {
    const calls: boolean[] = [];
    const waiter = new ResponseWaiter((pressed) => calls.push(pressed));
    for (let i = 0; i < RESPONSES_HIGH_WATER; i++) waiter.push(pending(i));
    if (end === "abandon") waiter.abandon();
    else waiter.fail(new Error("aborted"));
    assert.deepEqual(calls, [true, false], end);
    if (end === "abandon") {
      waiter.push(pending(99));
      assert.deepEqual(calls, [true, false], "what arrives after abandon is discarded, not queued");
    }
  }
});
