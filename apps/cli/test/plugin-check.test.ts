/** `dicomtls plugin check CONFIG`: plugins loaded, validated and registered without any port; what is printed. */
import { strict as assert } from "node:assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "@dicomtls/test-peers";
import { runPluginCheck } from "../src/commands/plugin-command.js";

const tmp = tempDir("dicomtls-plugin-check-");
after(() => tmp.remove());

const PLUGIN = `
export default {
  name: "stamp",
  version: "3.0.1",
  dependencies: ["storage"],
  settingsKey: "Stamp",
  settings: (z) => z.object({ Text: z.string(), Times: z.number().int().default(1) }),
  register(app) {
    app.onAssociationRequest(() => undefined);
    app.onAssociationClosed(() => undefined);
    app.handle("1.2.826.0.1.3680043.10.1.1", () => undefined);
  },
};
`;

async function check(config: object, json = false): Promise<{ code: number; out: string[]; err: string[] }> {
  const path = join(tmp.path, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ HttpServerEnabled: false, StorageDirectory: "never-opened", ...config }));
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPluginCheck(path, { json }, {}, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test("each plugin with its version, settings (defaults applied), hooks and services; native plugins named in a warning", async () => {
  mkdirSync(join(tmp.path, "native"), { recursive: true });
  writeFileSync(join(tmp.path, "stamp.mjs"), PLUGIN);
  writeFileSync(join(tmp.path, "native", "libOrthancDicomWeb.so"), "");
  const r = await check({ Plugins: ["stamp.mjs", "native"], Stamp: { Text: "hello" } });
  assert.equal(r.code, 0, r.err.join("\n"));
  assert.deepEqual(r.out, [
    `stamp 3.0.1 (${join(tmp.path, "stamp.mjs")})`,
    "  dependencies: storage",
    '  settings (Stamp): {"Text":"hello","Times":1}',
    "  hooks: onAssociationRequest, onAssociationClosed",
    "  services: 1.2.826.0.1.3680043.10.1.1",
  ]);
  assert.equal(r.err.length, 1, r.err.join("\n"));
  assert.match(r.err[0]!, /libOrthancDicomWeb\.so is a native Orthanc plugin, which dicomtls cannot load; it is not running/);
  const json = await check({ Plugins: ["stamp.mjs"], Stamp: { Text: "x" } }, true);
  const parsed = JSON.parse(json.out[0]!) as { plugins: Array<{ name: string; hooks: string[] }> };
  assert.equal(parsed.plugins[0]?.name, "stamp");
});

test("a bad settings section, a missing file: exit 1 with the key path or the entry", async () => {
  writeFileSync(join(tmp.path, "stamp.mjs"), PLUGIN);
  const bad = await check({ Plugins: ["stamp.mjs"], Stamp: { Text: 5 } });
  assert.equal(bad.code, 1);
  assert.match(bad.err.join("\n"), /plugin "stamp" \(.*stamp\.mjs\): Stamp\.Text: .*expected string.*got 5/);
  const missing = await check({ Plugins: ["nowhere/x.mjs"] });
  assert.equal(missing.code, 1);
  assert.match(missing.err.join("\n"), /Plugins: "nowhere\/x\.mjs": no such file or folder/);
  const none = await check({});
  assert.deepEqual([none.code, none.out], [0, ["no plugin listed in Plugins"]]);
});

test("Debian's plugin folder: libModalityWorklists.so maps to the bundled worklist plugin, libServeFolders.so is named as not loadable", async () => {
  // The layout of Debian's /usr/share/orthanc/plugins (orthanc 1.10.1), with empty stand-ins for the libraries.
  const folder = join(tmp.path, "debian-plugins");
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "libModalityWorklists.so"), "");
  writeFileSync(join(folder, "libServeFolders.so"), "");
  const r = await check({ Plugins: [folder] });
  assert.equal(r.code, 0, r.err.join("\n"));
  const warnings = r.err.join("\n");
  assert.match(warnings, /libModalityWorklists\.so is served by the bundled @dicomtls\/plugin-worklist with the same Worklists section/);
  assert.match(warnings, /libServeFolders\.so is a native Orthanc plugin, which dicomtls cannot load; it is not running/);
  // Either the bundled plugin is installed and listed, or its absence is said (never silently skipped).
  assert.ok(r.out.some((l) => l.includes("@dicomtls/plugin-worklist")) || /plugin-worklist, which is not installed/.test(warnings), [...r.out, ...r.err].join("\n"));
});
