/**
 * Issue 11, "What must be shown" 3: the bundled router plugin, listed by package name in the built dicomtls-server,
 * forwards what `storescu +tls` sends to a `storescp +tls` destination, byte-identical; with the destination down
 * jobs wait and arrive once it is back; after a `kill -9` of the node they arrive after the restart; a rule that
 * matches nothing forwards nothing; past the maximum age jobs become dead letters, and `dicomtls router retry` sends them.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { datasetSha256, readPart10Dataset, dcmtkEnv, freePort, runCli, startProcess, startServer, stopAll, tempDir, waitListening, writePart10File, type StartedServer, type TrackedProcess } from "@dicomtls/test-peers";
import { requirePeers } from "./helpers.js";
import { storedFiles, storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

requirePeers("storescu", "storescp");
const tmp = tempDir("dicomtls-router-");
let files: NodeFiles;
before(async () => {
  files = await writePki(tmp.path);
});
after(async () => {
  await stopAll();
  tmp.remove();
});

/** DCMTK storescp +tls as the destination PACS, writing what it receives to `folder` bit-preserving (+B: as received, not re-encoded). */
async function startPacs(port: number, folder: string): Promise<TrackedProcess> {
  mkdirSync(folder, { recursive: true });
  const scp = await startProcess("storescp", ["-v", "+B", "+tls", files.serverKey, files.serverCert, "+cf", files.caFile, "-aet", "PACS", "--output-directory", folder, String(port)], { env: dcmtkEnv() });
  await waitListening(port);
  return scp;
}

async function nodeConfig(name: string, pacsPort: number, router: Record<string, unknown>): Promise<string> {
  const { path } = await writeNodeConfig(tmp.path, `${name}.json`, files, join(tmp.path, `${name}-storage`), {
    DicomModalities: { pacs: { AET: "PACS", Host: "localhost", Port: pacsPort, UseDicomTls: true } },
    Plugins: ["@dicomtls/plugin-router"],
    Router: {
      Rules: [{ Name: "ct-to-pacs", Match: { CallingAet: "STORESCU", Modality: "CT" }, Destinations: ["pacs"] }],
      RetryIntervalSeconds: 1,
      ...router,
    },
  });
  return path;
}

/** Waits until the node logged `router-forwarded` records adding up to `count` instances (from `since` on). */
async function forwarded(server: StartedServer, count: number, since = 0): Promise<void> {
  const total = (): number => server.records().filter((r) => r["event"] === "router-forwarded").reduce((n, r) => n + Number(r["instances"]), 0);
  await server.waitForRecord(() => total() >= since + count, 60_000);
  assert.equal(total(), since + count);
}

/**
 * What the destination holds is what the node stored, byte for byte (data sets compared; each side writes its own
 * File Meta): one file per forwarded instance. (storescu re-encodes a file as it sends it; the node keeps what it got.)
 */
async function sameDatasets(sent: readonly string[], storage: string, folder: string): Promise<void> {
  const uids = await Promise.all(sent.map(async (f) => (await readPart10Dataset(f)).mediaStorageSopInstanceUid));
  const received = readdirSync(folder).sort();
  assert.deepEqual(received, uids.map((u) => `CT.${u}`).sort());
  const stored = new Map(storedFiles(storage).map((f) => [basename(f, ".dcm"), f]));
  for (const uid of uids) {
    const kept = stored.get(uid);
    assert.ok(kept !== undefined, `${uid} is not in the node's storage`);
    assert.equal(await datasetSha256(join(folder, `CT.${uid}`)), await datasetSha256(kept), uid);
  }
}

const write = (prefix: string, n: number, seed: number, modality = "CT") =>
  Promise.all(Array.from({ length: n }, (_, i) => writePart10File(join(tmp.path, `${prefix}-${i}.dcm`), { seed: seed + i, modality }).then((f) => f.path)));

test("forwarded byte-identical to storescp +tls; a rule that matches nothing forwards nothing", async () => {
  const pacsPort = await freePort();
  const folder = join(tmp.path, "pacs-1");
  await startPacs(pacsPort, folder);
  const server = await startServer(await nodeConfig("forward", pacsPort, {}), { built: true });
  const ct = await write("fwd-ct", 4, 2000);
  const mr = await write("fwd-mr", 2, 2100, "MR");
  const r = await storescuTls(files, server.port, [...ct, ...mr]);
  assert.equal(r.code, 0, r.output);
  await forwarded(server, 4);
  await sameDatasets(ct, join(tmp.path, "forward-storage"), folder);
  assert.ok(!server.records().some((x) => x["event"] === "router-retry"), server.process.output());
  assert.equal(await server.stop(), 0);
});

test("destination down: jobs wait and arrive once it is back; kill -9 of the node: they arrive after the restart", async () => {
  const pacsPort = await freePort();
  const config = await nodeConfig("down", pacsPort, {});
  let server = await startServer(config, { built: true });
  const first = await write("down-a", 3, 2200);
  assert.equal((await storescuTls(files, server.port, first)).code, 0);
  await server.waitForRecord((x) => x["event"] === "router-retry" && x["destination"] === "pacs", 30_000);
  const folder = join(tmp.path, "pacs-2");
  const pacs = await startPacs(pacsPort, folder);
  await forwarded(server, 3);
  await sameDatasets(first, join(tmp.path, "down-storage"), folder);

  // Down again; the node is killed while jobs wait; the restart sends them.
  await pacs.stop();
  const second = await write("down-b", 2, 2300);
  assert.equal((await storescuTls(files, server.port, second)).code, 0);
  // Each waiting job has failed once against the closed port: it is in the queue, durable, when the node dies.
  const uids = await Promise.all(second.map(async (f) => (await readPart10Dataset(f)).mediaStorageSopInstanceUid));
  for (const uid of uids) await server.waitForRecord((x) => x["event"] === "router-retry" && x["sopInstanceUid"] === uid, 30_000);
  server.process.child.kill("SIGKILL");
  await server.process.exited;
  await startPacs(pacsPort, folder);
  server = await startServer(config, { built: true });
  const started = await server.waitForRecord((x) => x["event"] === "router-started");
  assert.equal(started["waiting"], 2);
  await forwarded(server, 2);
  await sameDatasets([...first, ...second], join(tmp.path, "down-storage"), folder);
  assert.equal(await server.stop(), 0);
});

test("past MaxAgeSeconds a job is a dead letter; router status names it, router retry sends it", async () => {
  const pacsPort = await freePort();
  const config = await nodeConfig("dead", pacsPort, { MaxAgeSeconds: 1 });
  const server = await startServer(config, { built: true });
  const files1 = await write("dead", 1, 2400);
  assert.equal((await storescuTls(files, server.port, files1)).code, 0);
  await server.waitForRecord((x) => x["event"] === "router-dead-letter", 30_000);
  const status = await runCli(["router", "status", config], { built: true });
  assert.equal(status.code, 0, status.output);
  assert.match(status.stdout, /^pacs: 0 waiting, 1 dead letter$/m);
  assert.match(status.stdout, /dead .* after \d+ attempts?: /);
  const folder = join(tmp.path, "pacs-3");
  await startPacs(pacsPort, folder);
  const retry = await runCli(["router", "retry", config, "pacs"], { built: true });
  assert.equal(retry.code, 0, retry.output);
  assert.match(retry.stdout, /1 dead letter of pacs back in the queue/);
  await forwarded(server, 1);
  await sameDatasets(files1, join(tmp.path, "dead-storage"), folder);
  assert.equal(await server.stop(), 0);
});
