import { it } from "node:test";

it("the README example runs (it asserts its own round trip)", async () => {
  await import("../examples/associate.js");
});
