/**
 * Issue 9, "what must be shown" 4: `kill -9` of the built server while four DCMTK `storescu +tls` send. After the
 * restart no `.partial` file is left, `dicomtls storage check` finds files and index in agreement (exit 0), and every
 * instance a storescu was told Success for is in the store with the dataset bytes it sent.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore, instanceRelativePath } from "@dicomtls/storage";
import {
  datasetSha256,
  freePort,
  makeDataset,
  resolveSpec,
  runCli,
  SyntheticPreset,
  startServer,
  stopAll,
  tempDir,
  writePart10File,
  type WrittenPart10File,
} from "@dicomtls/test-peers";
import { requirePeers, writeConfig } from "./helpers.js";
import { acknowledgedFiles, instanceLeftovers, storescuTls, writeNodeConfig, writePki } from "./store-support.js";

requirePeers("storescu");
const tmp = tempDir("dicomtls-crash-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const SENDERS = 4;
const FILES_PER_SENDER = 50;
/** Instances the server has logged as stored before it is killed: the senders are then mid-way. */
const KILL_AFTER = 20;

describe("kill -9 while four storescu +tls send, then restart", () => {
  test("no .partial left, storage check agrees, every acknowledged instance byte-identical", async (t) => {
    const files = await writePki(tmp.path);
    const storage = join(tmp.path, "storage");
    const config = await writeNodeConfig(tmp.path, "node.json", files, storage);
    const sources = new Map<string, WrittenPart10File>();
    const folders: string[] = [];
    for (let s = 0; s < SENDERS; s++) {
      const dir = join(tmp.path, `sender-${s}`);
      mkdirSync(dir);
      folders.push(dir);
      for (let i = 0; i < FILES_PER_SENDER; i++) {
        const name = `s${s}-${i}.dcm`;
        // No sequences: storescu sends these datasets byte for byte as they are in the file (see store-dcmtk).
        sources.set(name, await writePart10File(join(dir, name), { ...SyntheticPreset.Ct512k, seed: 9000 + s * 100 + i, sequences: false }));
      }
    }

    const server = await startServer(config.path, { built: true });
    const sending = folders.map((dir) => storescuTls(files, server.port, ["+sd", dir], 120_000));
    // Polls the log as waitForRecord does, counting records instead of finding one.
    const deadline = Date.now() + 60_000;
    while (server.records().filter((r) => r["event"] === "instance-stored").length < KILL_AFTER) {
      assert.ok(Date.now() < deadline, `fewer than ${KILL_AFTER} instances stored within 60 s; log:\n${server.process.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(server.process.pid, "SIGKILL");
    assert.equal(await server.process.exited, "SIGKILL");
    const runs = await Promise.all(sending);
    const acknowledged = runs.flatMap((r) => acknowledgedFiles(r.output));
    t.diagnostic(`acknowledged before the kill: ${acknowledged.length} of ${sources.size}; storescu exit codes ${runs.map((r) => r.code).join(", ")}`);
    assert.ok(acknowledged.length >= KILL_AFTER - SENDERS, `at least what the server logged was acknowledged: ${acknowledged.length}`);
    assert.ok(acknowledged.length < sources.size, "the kill interrupted the senders");

    const restarted = await startServer(config.path, { built: true });
    const recovered = restarted.records().find((r) => r["event"] === "storage-recovered");
    assert.ok(recovered, `one storage-recovered record at start-up; log:\n${restarted.process.output()}`);
    for (const key of ["files", "removedTemporaries", "reindexed", "quarantined", "removedRows"]) assert.equal(typeof recovered[key], "number", key);
    assert.equal(recovered["quarantined"], 0, JSON.stringify(recovered));
    t.diagnostic(`storage-recovered: ${JSON.stringify({ ...recovered, details: undefined })}`);
    await restarted.stop();

    assert.deepEqual(instanceLeftovers(storage).filter((p) => p.endsWith(".partial")), [], "no .partial file after the restart");
    const check = await runCli(["storage", "check", config.path], { built: true });
    assert.equal(check.code, 0, check.output);
    assert.match(check.stdout, /files and index agree/);

    for (const name of acknowledged) {
      const source = sources.get(name);
      assert.ok(source, name);
      const stored = join(storage, ...instanceRelativePath(source.spec.sopInstanceUid).split("/"));
      assert.equal(await datasetSha256(stored), await datasetSha256(source.path), `${name} (${source.spec.sopInstanceUid}): stored dataset differs from what was sent`);
    }
  });

  test("leftovers made by hand: one storage-recovered record (warn) with each count and what was touched", async () => {
    const storage = join(tmp.path, "by-hand");
    const store = await FileSystemInstanceStore.open({ folder: storage, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1" });
    const put = async (seed: number): Promise<string> => {
      const r = resolveSpec({ seed });
      const w = await store.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax });
      await w.write(makeDataset({ seed }));
      return (await w.commit(parseDatasetHeader(makeDataset({ seed }), r.transferSyntax))).relativePath;
    };
    const gone = await put(9501);
    await put(9502);
    await store.close();
    rmSync(join(storage, gone)); // a row without a file
    const stale = `${gone.split("/")[0]}/1.2.3.abc123.partial`;
    writeFileSync(join(storage, stale), "half");
    const noRow = instanceRelativePath(resolveSpec({ seed: 9503 }).sopInstanceUid);
    await writePart10File(join(storage, noRow), { seed: 9503 }); // a complete file without a row
    writeFileSync(join(storage, "00", "1.2.4.dcm"), "not DICOM");

    const config = writeConfig(tmp.path, "by-hand.json", { DicomAet: "NODE", DicomPort: await freePort(), StorageDirectory: storage });
    const server = await startServer(config);
    const rec = server.records().find((r) => r["event"] === "storage-recovered");
    await server.stop();
    assert.ok(rec, server.process.output());
    assert.equal(rec["level"], "warn");
    assert.deepEqual(
      { files: rec["files"], removedTemporaries: rec["removedTemporaries"], reindexed: rec["reindexed"], quarantined: rec["quarantined"], removedRows: rec["removedRows"] },
      { files: 3, removedTemporaries: 1, reindexed: 1, quarantined: 1, removedRows: 1 },
    );
    const details = rec["details"] as { reindexed: string[]; quarantined: Array<{ path: string }>; removedRows: Array<{ path: string }> };
    assert.deepEqual(details.reindexed, [noRow]);
    assert.deepEqual(details.quarantined.map((q) => q.path), ["00/1.2.4.dcm"]);
    assert.deepEqual(details.removedRows.map((r) => r.path), [gone]);
    const order = server.records().map((r) => r["event"]);
    assert.ok(order.indexOf("storage-recovered") < order.indexOf("listening"), "logged before the port opens");
    const check = await runCli(["storage", "check", config]);
    assert.equal(check.code, 0, check.output);
  });
});
