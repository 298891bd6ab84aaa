/**
 * C-FIND of many matches over DICOM TLS: a query matching 10,000 instances streams (the server's RSS does not grow
 * with the match count), and C-CANCEL from our SCU (an AbortSignal) ends a long find with Cancel after fewer answers.
 * 10,000 small instances (no pixel data) are written into the storage folder through the store API before the
 * server starts (the C-STORE path is tested elsewhere; this keeps the test short).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { find, QueryStatus, type FindOptions } from "@dicomtls/scu";
import { startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { MB, rssOf, sampleRss, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";
import { CT_IMAGE, instanceDataset, loadStore } from "./find-support.js";

const STUDIES = 10;
const PER_STUDY = 1000;
const ROOT = "1.2.826.0.1.3680043.10.1172.77";
const study = (s: number): string => `${ROOT}.${s}`;

function* bulk(): Generator<ReturnType<typeof instanceDataset>> {
  for (let s = 0; s < STUDIES; s++) {
    for (let i = 1; i <= PER_STUDY; i++) {
      yield instanceDataset(CT_IMAGE, `${study(s)}.1.${i}`, {
        PatientID: "BULK10K",
        PatientName: "Bulk^Ten^Thousand",
        StudyInstanceUID: study(s),
        StudyDate: "20240101",
        SeriesInstanceUID: `${study(s)}.1`,
        Modality: "CT",
        InstanceNumber: String(i),
      });
    }
  }
}

describe("C-FIND with 10,000 matches over DICOM TLS", () => {
  const tmp = tempDir("dicomtls-find-stream-");
  let files: NodeFiles;
  let server: StartedServer;

  const options = (level: string, keys: FindOptions["keys"], signal?: AbortSignal): FindOptions => ({
    host: "127.0.0.1",
    port: server.port,
    callingAeTitle: "FINDSCU",
    calledAeTitle: "DICOMTLS",
    tls: { ca: files.pki.trustedBundle, cert: files.pki.client.chain, key: files.pki.client.key },
    timeouts: { dimseMs: 60_000 },
    level,
    keys,
    ...(signal !== undefined && { signal }),
  });

  /** Runs a query to its end; the number of matches and the server's RSS peak above its level before the query. */
  async function measured(keys: FindOptions["keys"]): Promise<{ matches: number; growth: number }> {
    const start = rssOf(server.process.pid);
    const sampler = sampleRss(server.process.pid, 10);
    const query = find(options("IMAGE", keys));
    let matches = 0;
    for await (const m of query) {
      matches++;
      assert.equal(m.index, matches);
    }
    const { peak } = sampler.stop();
    assert.equal((await query.result()).status, QueryStatus.Success);
    return { matches, growth: peak - start };
  }

  before(async () => {
    files = await writePki(tmp.path);
    const storage = join(tmp.path, "storage");
    assert.equal(await loadStore(storage, bulk()), STUDIES * PER_STUDY);
    const { path } = await writeNodeConfig(tmp.path, "node.json", files, storage, { DicomAlwaysAllowFind: true });
    server = await startServer(path);
  });

  after(async () => {
    await stopAll();
    tmp.remove();
  });

  it("a 10,000-match query streams: the server's RSS grows no more than for 1,000 matches (+32 MB)", async (t) => {
    // Warm-up: code paths compiled, pools filled, so the two measured queries compare like with like.
    await measured({ StudyInstanceUID: study(0), SOPInstanceUID: "" });
    const small = await measured({ StudyInstanceUID: study(1), SOPInstanceUID: "", InstanceNumber: "", PatientName: "" });
    const large = await measured({ PatientID: "BULK10K", SOPInstanceUID: "", InstanceNumber: "", PatientName: "" });
    assert.equal(small.matches, PER_STUDY);
    assert.equal(large.matches, STUDIES * PER_STUDY);
    t.diagnostic(`server RSS growth: ${(small.growth / MB).toFixed(1)} MB for 1,000 matches, ${(large.growth / MB).toFixed(1)} MB for 10,000`);
    assert.ok(large.growth < small.growth + 32 * MB, `RSS grew ${(large.growth / MB).toFixed(1)} MB for 10,000 matches against ${(small.growth / MB).toFixed(1)} MB for 1,000`);
  });

  it("C-CANCEL (AbortSignal) after 5 answers: final Cancel, far fewer answers than matches, the association released", async () => {
    const controller = new AbortController();
    const query = find(options("IMAGE", { PatientID: "BULK10K", SOPInstanceUID: "" }, controller.signal));
    let seen = 0;
    for await (const _ of query) {
      if (++seen === 5) controller.abort();
    }
    const result = await query.result();
    assert.ok(result.cancelled);
    assert.equal(result.status, QueryStatus.Cancel, result.statusName);
    assert.ok(result.pendingResponses < STUDIES * PER_STUDY / 10, `${result.pendingResponses} Pending responses before Cancel`);
    const record = await server.waitForRecord((r) => r["event"] === "find-done" && r["status"] === "0xFE00");
    assert.ok(Number(record["matches"]) < STUDIES * PER_STUDY / 10, JSON.stringify(record));
  });
});
