import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DatasetStream } from "@dicomtls/association";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe("DatasetStream.consume", () => {
  it("hands waiting and later fragments to the consumer synchronously, in order, and resolves at the end", async () => {
    const pressure: boolean[] = [];
    const s = new DatasetStream(1000, (p) => pressure.push(p));
    s.push(bytes(10, 1));
    const seen: number[] = [];
    const done = s.consume((f) => seen.push(f[0]!));
    assert.deepEqual(seen, [1], "the fragment that waited is delivered at once");
    s.push(bytes(10, 2));
    assert.deepEqual(seen, [1, 2], "a new fragment reaches the consumer within push(), no promise in between");
    s.end();
    await done;
    assert.equal(s.receivedBytes, 20);
    assert.deepEqual(pressure, []);
  });

  it("hold()/release() pause and resume the socket, reference-counted, and the backlog counts as unread", () => {
    const pressure: boolean[] = [];
    const s = new DatasetStream(1000, (p) => pressure.push(p));
    void s.consume(() => undefined);
    s.hold();
    s.hold();
    s.release();
    assert.deepEqual(pressure, [true]);
    s.backlog(300);
    assert.equal(s.bufferedBytes, 300);
    s.release();
    assert.deepEqual(pressure, [true, false]);
  });

  it("rejects when the association ends first, and when the consumer throws (the rest is discarded)", async () => {
    const a = new DatasetStream(1000, () => undefined);
    const aDone = a.consume(() => undefined);
    a.fail(new Error("aborted"));
    await assert.rejects(aDone, /aborted/);

    const b = new DatasetStream(1000, () => undefined);
    let calls = 0;
    const bDone = b.consume(() => {
      calls++;
      throw new Error("consumer bug");
    });
    b.push(bytes(4, 1));
    b.push(bytes(4, 2));
    b.end();
    await assert.rejects(bDone, /consumer bug/);
    assert.equal(calls, 1);
  });

  it("is read-once: consume after iteration (or twice) is refused", async () => {
    const s = new DatasetStream(1000, () => undefined);
    void s.consume(() => undefined);
    await assert.rejects(s.consume(() => undefined), { code: "ERR_DICOM_INVALID_STATE" });
  });
});
