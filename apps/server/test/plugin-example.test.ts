/**
 * The plugin author's guide runs: the example of packages/plugin-api/README.md is the file examples/retired-aets.mjs
 * (checked here), and that file, listed in Plugins, refuses a retired AE, refuses a modality before commit, and counts
 * what is stored in its own metric.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { Writable } from "node:stream";
import { AssociationRejectedError } from "@dicomtls/association";
import { loadConfig } from "@dicomtls/config";
import { echo, store } from "@dicomtls/scu";
import { repoRoot, tempDir, writePart10File } from "@dicomtls/test-peers";
import { DicomTlsServer, builtinPlugins, createLogger, loadPlugins } from "../src/index.js";

const tmp = tempDir("dicomtls-plugin-example-");
const example = join(repoRoot, "packages/plugin-api/examples/retired-aets.mjs");
let server: DicomTlsServer | undefined;
after(async () => {
  await server?.stop();
  tmp.remove();
});

test("the README's example is examples/retired-aets.mjs, verbatim", () => {
  const readme = readFileSync(join(repoRoot, "packages/plugin-api/README.md"), "utf8");
  const block = /```js\n\/\/ examples\/retired-aets\.mjs\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined, "packages/plugin-api/README.md has no ```js block starting with // examples/retired-aets.mjs");
  assert.equal(block, readFileSync(example, "utf8"));
});

test("the example, listed in Plugins: a retired AE refused by name, a modality refused before commit, stores counted", async () => {
  const config = join(tmp.path, "orthanc.json");
  writeFileSync(config, JSON.stringify({ DicomAet: "EXAMPLE", HttpServerEnabled: false, StorageDirectory: "storage", Plugins: [example], RetiredAets: { Retired: ["OLDCT"], RefusedModality: "XA" } }));
  const loaded = await loadConfig(config, { env: {} });
  const { plugins } = await loadPlugins(loaded);
  const lines: string[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
  // Port 0: the system picks a free one (a configuration file says e.g. "DicomPort" : 4242).
  server = await DicomTlsServer.start({ ...loaded.config, dicomPort: 0 }, { logger, plugins: [...builtinPlugins(loaded.config), ...plugins], configDirectory: tmp.path });
  const port = server.ports.dicom;
  assert.deepEqual(server.plugins.map((p) => `${p.name} ${p.version}`), ["storage built-in", "query built-in", "retrieve built-in", "commitment built-in", "retired-aets 1.0.0"]);

  const refused = await echo({ host: "127.0.0.1", port, callingAeTitle: "OLDCT", calledAeTitle: "EXAMPLE" }).catch((e: unknown) => e);
  assert.ok(refused instanceof AssociationRejectedError, String(refused));
  // PS3.8 Table 9-21: rejected-permanent, service user, calling AE title not recognized.
  assert.deepEqual([refused.result, refused.source, refused.reason], [1, 1, 3]);
  assert.ok(lines.some((l) => l.includes('"event":"association-refused"') && l.includes("OLDCT is retired")), lines.join(""));

  const ct = await writePart10File(join(tmp.path, "ct.dcm"), { seed: 71, modality: "CT" });
  const xa = await writePart10File(join(tmp.path, "xa.dcm"), { seed: 72, modality: "XA" });
  const r = await store({ host: "127.0.0.1", port, callingAeTitle: "CT1", calledAeTitle: "EXAMPLE", files: [ct.path, xa.path] });
  assert.deepEqual(r.results.map((x) => [x.outcome, x.status]), [["stored", 0], ["failed", 0xa900]]);
  const metric = await server.metricsRegistry.getSingleMetricAsString("dicomtls_retired_aets_stored_total");
  assert.match(metric, /^dicomtls_retired_aets_stored_total 1$/m);
  const storedLine = lines.find((l) => l.includes('"event":"retired-aets-stored"'));
  assert.match(storedLine ?? "", /"plugin":"retired-aets"/);
  assert.ok(storedLine?.includes(join(tmp.path, "storage")), storedLine);
});
