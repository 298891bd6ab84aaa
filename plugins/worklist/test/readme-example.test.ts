/** The README's example is examples/match-folder.ts verbatim, and it runs on a folder of .wl files made by dump2dcm. */
import { strict as assert } from "node:assert";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "@dicomtls/test-peers";
import { ctScheduled } from "../examples/match-folder.js";
import { writeAll } from "./wl-support.js";

const tmp = tempDir("dicomtls-worklist-readme-");
after(() => tmp.remove());

test("the README example is the example file, and it finds the CT steps of a date range", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../examples/match-folder.ts", import.meta.url), "utf8");
  assert.ok(readme.includes(example.trim()), "README.md holds examples/match-folder.ts verbatim");
  const db = join(tmp.path, "db");
  mkdirSync(db);
  await writeAll(db);
  assert.deepEqual(await ctScheduled(db, "20261205-20261206"), ["e2.wl", "e4.wl", "e5.wl"]);
  assert.deepEqual(await ctScheduled(db, "20261204"), ["e1.wl"]);
});
