/**
 * The index's CPU per received instance as the C-STORE path meets it (numbers for the README; never asserted): between
 * two rows the process writes a 512 KB file and waits a few milliseconds, so the rows' pages and SQLite's code are cold
 * again, as in the server (a tight loop of upserts costs a third of it). Only the CPU of the index calls is summed
 * (upsert, and the batch commits with group commit), which keeps other load on the machine out of the figure.
 *
 *   node --conditions=dicomtls-source --import tsx packages/storage/test/index-commit.bench.ts [instances] [rounds]
 *
 * Modes, interleaved round by round: one transaction per instance; group commit (256 rows or 20 / 100 ms).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@dicomtls/test-peers";
import type { GroupCommitOptions } from "../src/index.js";
import { SqliteIndex, type IndexedInstance } from "../src/sqlite-index.js";

const N = Number(process.argv[2] ?? 600);
const ROUNDS = Number(process.argv[3] ?? 5);
const GAP_MS = 3;
const PREFILL = 2_000;

function instance(k: number): IndexedInstance {
  const study = k % 200;
  const patient = study % 100;
  const series = study * 2 + (Math.floor(k / 200) % 2);
  const uid = `1.2.826.0.1.3680043.9.7433.50.${k}`;
  return {
    sopInstanceUid: uid,
    sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
    transferSyntaxUid: "1.2.840.10008.1.2.1",
    relativePath: `${(k % 256).toString(16).padStart(2, "0")}/${uid}.dcm`,
    size: 524_288,
    receivedAt: new Date().toISOString(),
    sourceAeTitle: "STORESCU",
    peerAddress: "127.0.0.1",
    patientId: `PAT${patient}`,
    studyInstanceUid: `1.2.826.0.1.3680043.9.7433.51.${study}`,
    seriesInstanceUid: `1.2.826.0.1.3680043.9.7433.52.${series}`,
    tags: { PatientName: `NAME${patient}^GIVEN`, PatientBirthDate: "19700101", PatientSex: "F", StudyDate: "20200101", AccessionNumber: `ACC${study}`, Modality: "CT", InstanceNumber: String(k) },
  };
}

const cpuUs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

/** CPU of the index calls per instance (us), for one mode. */
async function run(groupCommit: GroupCommitOptions | undefined): Promise<number> {
  const dir = tempDir("index-commit-");
  try {
    const index = new SqliteIndex(join(dir.path, "index.sqlite"), groupCommit === undefined ? {} : { groupCommit });
    for (let k = 0; k < PREFILL; k++) index.upsert(instance(1_000_000 + k));
    index.flush();
    let spent = 0;
    const group = index.group;
    if (group !== undefined) {
      const flush = group.flush.bind(group);
      group.flush = () => {
        const t = process.cpuUsage();
        flush();
        spent += cpuUs(t);
      };
    }
    const blob = Buffer.alloc(512 * 1024, 7);
    for (let k = 0; k < N; k++) {
      const fd = openSync(join(dir.path, "blob"), "w");
      writeSync(fd, blob);
      closeSync(fd);
      const row = instance(k);
      const t = process.cpuUsage();
      index.upsert(row);
      spent += cpuUs(t);
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    }
    index.close();
    return spent / N;
  } finally {
    dir.remove();
  }
}

const modes: Array<[string, GroupCommitOptions | undefined]> = [
  ["one transaction per instance", undefined],
  ["group commit, 256 rows / 20 ms", { maxRows: 256, maxDelayMs: 20 }],
  ["group commit, 256 rows / 100 ms", { maxRows: 256, maxDelayMs: 100 }],
];
const results = new Map<string, number[]>(modes.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, options] of modes) results.get(name)!.push(await run(options));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`index CPU per instance (us), ${N} instances after ${PREFILL}, ${ROUNDS} rounds: median [each round]`);
for (const [name, xs] of results) console.log(`${name}: ${median(xs).toFixed(0)} [${xs.map((x) => x.toFixed(0)).join(", ")}]`);
