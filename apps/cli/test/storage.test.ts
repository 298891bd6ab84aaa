/**
 * `dicomtls storage check CONFIG` and `storage reindex CONFIG` against stores made with @dicomtls/storage and
 * spoiled by hand: exit codes, text and JSON output, progress on a terminal and off it.
 */
import { strict as assert } from "node:assert";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseDatasetHeader } from "@dicomtls/dataset";
import { FileSystemInstanceStore, INDEX_FILE_NAME, instanceRelativePath, type IndexedInstance } from "@dicomtls/storage";
import { makeDataset, resolveSpec, runCli, tempDir, writePart10File } from "@dicomtls/test-peers";
import { main } from "../src/index.js";
import { runStorageReindex } from "../src/commands/storage.js";

const tmp = tempDir("dicomtls-cli-storage-");
after(() => tmp.remove());
let n = 0;

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(...l.split("\n")), err: (l) => err.push(...l.split("\n")) }, {});
  return { code, out, err };
}

/** A configuration whose StorageDirectory holds instances of `seeds`; returns its path, the folder and the rows. */
async function storeWithConfig(seeds: number[]): Promise<{ config: string; folder: string; rows: IndexedInstance[] }> {
  const folder = join(tmp.path, `store-${++n}`);
  const config = join(tmp.path, `config-${n}.json`);
  writeFileSync(config, JSON.stringify({ StorageDirectory: folder }));
  const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1" });
  const rows: IndexedInstance[] = [];
  for (const seed of seeds) {
    const r = resolveSpec({ seed });
    const w = await s.begin({ sopClassUid: r.sopClassUid, sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntax, sourceAeTitle: "CT" });
    await w.write(makeDataset({ seed }));
    await w.commit(parseDatasetHeader(makeDataset({ seed }), r.transferSyntax));
    rows.push((await s.get(r.sopInstanceUid))!);
  }
  await s.close();
  return { config, folder, rows };
}

/** A Part 10 file put where the store keeps `seed`'s instance, behind the index's back: a file without a row. */
async function fileWithoutRow(folder: string, seed: number): Promise<string> {
  const relativePath = instanceRelativePath(resolveSpec({ seed }).sopInstanceUid);
  await writePart10File(join(folder, relativePath), { seed });
  return relativePath;
}

describe("storage check CONFIG", () => {
  test("files and index in agreement: exit 0, one summary line", async () => {
    const { config, folder } = await storeWithConfig([501, 502]);
    const r = await cli("storage", "check", config);
    assert.equal(r.code, 0, [...r.out, ...r.err].join("\n"));
    assert.deepEqual(r.out, [`storage ${folder}: files and index agree (2 files, 2 index rows)`]);
  });

  test("disagreements: exit 1, one line each naming kind and path, a summary; --json for scripts", async () => {
    const { config, folder, rows } = await storeWithConfig([504, 505]);
    const [noFile] = rows;
    const noRow = await fileWithoutRow(folder, 503);
    rmSync(join(folder, noFile!.relativePath));
    const stale = `${rows[1]!.relativePath.split("/")[0]}/${rows[1]!.sopInstanceUid}.abc.partial`;
    writeFileSync(join(folder, stale), "half");

    const r = await cli("storage", "check", config);
    assert.equal(r.code, 1, r.err.join("\n"));
    const lines = r.out.filter((l) => l !== "");
    assert.equal(lines.length, 4, r.out.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("file-without-row") && l.includes(noRow)), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("row-without-file") && l.includes(noFile!.relativePath)), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("stale-temporary") && l.includes(stale)), lines.join("\n"));
    assert.match(lines[3]!, /3 disagreements \(.*1 stale-temporary.*\) between 2 files and 2 index rows/);
    assert.match(lines[3]!, /storage reindex CONFIG/);

    const j = await cli("storage", "check", "--json", config);
    assert.equal(j.code, 1);
    const report = JSON.parse(j.out.join("\n")) as { agree: boolean; folder: string; disagreements: Array<{ kind: string; path: string; sopInstanceUid?: string }> };
    assert.equal(report.agree, false);
    assert.equal(report.folder, folder);
    assert.deepEqual(report.disagreements.map((d) => d.kind).sort(), ["file-without-row", "row-without-file", "stale-temporary"]);
    assert.equal(report.disagreements.find((d) => d.kind === "row-without-file")?.sopInstanceUid, noFile!.sopInstanceUid);
    assert.equal(existsSync(join(folder, stale)), true, "check changes nothing");
  });

  test("a storage folder that does not exist: exit 1, the folder named, nothing created (check and reindex)", async () => {
    const folder = join(tmp.path, "no-such-store");
    const config = join(tmp.path, "missing.json");
    writeFileSync(config, JSON.stringify({ StorageDirectory: folder }));
    for (const cmd of ["check", "reindex"]) {
      const r = await cli("storage", cmd, config);
      assert.equal(r.code, 1, cmd);
      assert.deepEqual(r.out, [], cmd);
      assert.equal(r.err.length, 1, r.err.join("\n"));
      assert.equal(r.err[0], `dicomtls: the storage folder ${folder} does not exist (StorageDirectory): nothing to check or index [ERR_DICOM_STORAGE_IO]`);
    }
    assert.equal(existsSync(folder), false);
  });

  test("an invalid configuration: exit 1, its problems listed", async () => {
    const config = join(tmp.path, "bad.json");
    writeFileSync(config, JSON.stringify({ StorageDirectory: 42 }));
    const r = await cli("storage", "check", config);
    assert.equal(r.code, 1);
    assert.match(r.err.join("\n"), /configuration .*bad\.json is not valid/);
    assert.match(r.err.join("\n"), /StorageDirectory/);
  });
});

describe("storage reindex CONFIG", () => {
  test("rebuilds the index: plain progress lines off a terminal, a summary; check agrees after", async () => {
    const { config, folder, rows } = await storeWithConfig([510, 511, 512]);
    for (const f of ["", "-wal", "-shm"]) rmSync(join(folder, `${INDEX_FILE_NAME}${f}`), { force: true });
    writeFileSync(join(folder, `${rows[0]!.relativePath.split("/")[0]}/x.1.partial`), "half");
    assert.equal((await cli("storage", "check", config)).code, 1);

    const r = await cli("storage", "reindex", config);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(r.out[0]!, new RegExp(`^storage ${folder.replace(/[/.]/g, "\\$&")}: index rebuilt with 3 instances in [\\d.]+ s; 0 files skipped, 1 temporary file of interrupted writes removed$`));
    assert.deepEqual(r.err.filter((l) => l !== "").at(-1), "storage reindex: 3/3 files");
    assert.ok(r.err.every((l) => !l.includes("\x1b")), "no terminal codes off a terminal");
    const c = await cli("storage", "check", config);
    assert.equal(c.code, 0, c.out.join("\n"));

    const s = await FileSystemInstanceStore.open({ folder, implementationClassUid: "1.2.826.0.1.3680043.9.7433.1.1", recover: false });
    for (const row of rows) assert.equal((await s.get(row.sopInstanceUid))?.studyInstanceUid, row.studyInstanceUid);
    await s.close();
  });

  test("a file it cannot index: listed on stderr, exit 1; --json result", async () => {
    const { config, folder } = await storeWithConfig([513]);
    writeFileSync(join(folder, "00", "1.2.3.dcm"), "not DICOM");
    const r = await cli("storage", "reindex", "--json", config);
    assert.equal(r.code, 1);
    const result = JSON.parse(r.out.join("\n")) as { indexed: number; skipped: Array<{ path: string; reason: string }> };
    assert.equal(result.indexed, 1);
    assert.deepEqual(result.skipped.map((s) => s.path), ["00/1.2.3.dcm"]);
    assert.match(result.skipped[0]!.reason, /not a DICOM Part 10 file/);
  });

  test("on a terminal: one bar redrawn in place, cleared at the end", async () => {
    const { config } = await storeWithConfig([514, 515]);
    const drawn: string[] = [];
    const io = { out: () => undefined, err: (l: string) => drawn.push(`line:${l}`) };
    const code = await runStorageReindex(config, { json: false }, {}, io, { tty: true, write: (t) => drawn.push(t) });
    assert.equal(code, 0);
    assert.ok(drawn.some((t) => t.startsWith(`\r\x1b[2Kstorage reindex [${"#".repeat(24)}] 2/2 files`)), JSON.stringify(drawn));
    assert.equal(drawn.at(-1), "\r\x1b[2K", "the bar is cleared");
    assert.ok(!drawn.some((t) => t.startsWith("line:")), "no plain lines on a terminal");
  });
});

describe("as a process", () => {
  test("exit codes reach the shell: 1 with a disagreement, 0 after reindex", async () => {
    const { config, folder } = await storeWithConfig([520]);
    await fileWithoutRow(folder, 521);
    const bad = await runCli(["storage", "check", config]);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.stdout, /file-without-row/);
    const fix = await runCli(["storage", "reindex", config]);
    assert.equal(fix.code, 0, fix.output);
    const good = await runCli(["storage", "check", config]);
    assert.equal(good.code, 0, good.output);
  });
});
