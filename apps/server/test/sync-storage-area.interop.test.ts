/**
 * Issue 13, SyncStorageArea: with the key false the server answers before anything is fsynced, and still a `kill -9`
 * right after storescu reported its Nth Success loses nothing it acknowledged: each such instance has its complete file
 * and its index row already in the killed server's store (before any recovery), and after the restart
 * `dicomtls storage check` finds files and index in agreement.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { checkStorage, DisagreementKind, instanceRelativePath } from "@dicomtls/storage";
import { datasetSha256, runCli, SyntheticPreset, startServer, stopAll, tempDir, writePart10File, type WrittenPart10File } from "@dicomtls/test-peers";
import { requirePeers } from "./helpers.js";
import { acknowledgedFiles, instanceLeftovers, startStorescuTls, writeNodeConfig, writePki } from "./store-support.js";

requirePeers("storescu");
const tmp = tempDir("dicomtls-unsynced-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const FILES = 40;
/** The server is killed as soon as storescu printed this many Success responses. */
const KILL_AFTER_ACKS = 12;

describe("SyncStorageArea false: kill -9 after the Nth acknowledged instance, then restart", () => {
  test("every acknowledged instance is indexed and byte-identical, before and after the restart", async (t) => {
    const files = await writePki(tmp.path);
    const storage = join(tmp.path, "storage");
    const config = await writeNodeConfig(tmp.path, "node.json", files, storage, { SyncStorageArea: false });
    const sources = new Map<string, WrittenPart10File>();
    const folder = join(tmp.path, "sender");
    mkdirSync(folder);
    for (let i = 0; i < FILES; i++) {
      const name = `f${i}.dcm`;
      // No sequences: storescu sends these datasets byte for byte as they are in the file (see store-dcmtk).
      sources.set(name, await writePart10File(join(folder, name), { ...SyntheticPreset.Ct512k, seed: 13_000 + i, sequences: false }));
    }

    const server = await startServer(config.path, { built: true });
    assert.ok(server.records().some((r) => r["event"] === "storage-not-synced" && r["level"] === "warn"), `the key reached the store; log:\n${server.process.output()}`);
    const storescu = await startStorescuTls(files, server.port, ["+sd", folder]);
    await storescu.waitFor(new RegExp(`(?:Received Store Response \\(Success\\)[\\s\\S]*?){${KILL_AFTER_ACKS}}`), 60_000);
    process.kill(server.process.pid, "SIGKILL");
    assert.equal(await server.process.exited, "SIGKILL");
    await storescu.exited;
    const acknowledged = acknowledgedFiles(storescu.output());
    t.diagnostic(`acknowledged before the kill: ${acknowledged.length} of ${FILES}`);
    assert.ok(acknowledged.length >= KILL_AFTER_ACKS, `storescu saw ${acknowledged.length} Success responses`);
    assert.ok(acknowledged.length < FILES, "the kill interrupted the sender");

    // The killed server's store as it left it: what it acknowledged has its row (the WAL is read too) and its file.
    const left = await checkStorage({ folder: storage, readIdentifiers: parseDatasetHeader });
    const acknowledgedUids = new Set(acknowledged.map((name) => sources.get(name)!.spec.sopInstanceUid));
    for (const d of left.disagreements) {
      // An instance in flight at the kill: its temporary, or its file renamed into place before its row was written.
      assert.ok(d.kind === DisagreementKind.StaleTemporary || d.kind === DisagreementKind.FileWithoutRow, `${d.kind} ${d.path}: ${d.detail}`);
      assert.ok(d.sopInstanceUid === undefined || !acknowledgedUids.has(d.sopInstanceUid), `an acknowledged instance: ${d.kind} ${d.path}`);
    }
    assert.ok(left.rows >= acknowledged.length, `${left.rows} rows for ${acknowledged.length} acknowledged instances`);

    const restarted = await startServer(config.path, { built: true });
    const recovered = restarted.records().find((r) => r["event"] === "storage-recovered");
    assert.ok(recovered, restarted.process.output());
    assert.equal(recovered["quarantined"], 0, JSON.stringify(recovered));
    assert.equal(recovered["removedRows"], 0, JSON.stringify(recovered));
    await restarted.stop();
    assert.deepEqual(instanceLeftovers(storage).filter((p) => p.endsWith(".partial")), [], "no .partial file after the restart");
    const check = await runCli(["storage", "check", config.path], { built: true });
    assert.equal(check.code, 0, check.output);
    assert.match(check.stdout, /files and index agree/);

    for (const name of acknowledged) {
      const source = sources.get(name)!;
      const stored = join(storage, ...instanceRelativePath(source.spec.sopInstanceUid).split("/"));
      assert.equal(await datasetSha256(stored), await datasetSha256(source.path), `${name} (${source.spec.sopInstanceUid}): stored dataset differs from what was sent`);
    }
  });
});
