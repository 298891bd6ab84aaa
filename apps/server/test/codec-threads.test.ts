/** DicomThreadsCount as the codec pool's upper bound, with one core left to the event loop. */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { codecThreadsOf } from "../src/plugins/storage.js";

test("DicomThreadsCount caps the codec pool at the cores less one, and never below one worker", () => {
  const rows: Array<[dicomThreadsCount: number, cores: number, threads: number]> = [
    [4, 2, 1], // Orthanc's default on this 2-core machine: the measured default, one worker
    [4, 16, 4], // Orthanc's default on a large machine: 4 workers
    [8, 16, 8], // raised by the administrator
    [32, 16, 15], // never the event loop's core
    [1, 16, 1],
    [4, 1, 1], // a single core: one worker all the same (the pool cannot be empty)
  ];
  for (const [count, cores, threads] of rows) assert.equal(codecThreadsOf(count, cores), threads, `DicomThreadsCount ${count} on ${cores} cores`);
});
