import { it } from "node:test";

it("the README example runs (a Part 10 file written, read back and sent as PDUs through a worker; it asserts each step)", async () => {
  await import("../examples/part10.js");
});
