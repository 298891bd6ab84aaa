/**
 * Storage Commitment Push Model (PS3.4 Annex J) with Orthanc 1.10.1 both ways, over DICOM TLS:
 * - Orthanc -> dicomtls-server: Orthanc stores instances into dicomtls (REST /modalities/{id}/store), then asks for
 *   commitment (REST /modalities/{id}/storage-commitment); dicomtls answers the N-ACTION and sends the report on a new
 *   association to Orthanc's DicomModalities entry (UseDicomTls), which Orthanc shows at /storage-commitment/{uid}.
 * - dicomtls CLI -> Orthanc: `dicomtls store --commit --commit-port P` sends, asks, and takes the report Orthanc sends
 *   on a new association to the CLI's short-lived TLS listener.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, runCli, startServer, stopAll, tempDir, writePart10File, SyntheticPreset, type StartedOrthanc, type StartedServer } from "@dicomtls/test-peers";
import { writeCert } from "@dicomtls/test-pki";
import { writeNodeConfig, writePki, type NodeFiles, startOrthancOverTls } from "./store-support.js";

const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const tmp = tempDir("dicomtls-commitment-orthanc-");
after(async () => {
  await stopAll();
  tmp.remove();
});

interface OrthancReport {
  readonly Status: string;
  readonly Success?: ReadonlyArray<{ readonly SOPClassUID: string; readonly SOPInstanceUID: string }>;
  readonly Failures?: ReadonlyArray<{ readonly SOPClassUID: string; readonly SOPInstanceUID: string; readonly FailureReason: number }>;
}

describe("storage commitment with Orthanc over DICOM TLS", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let orthanc: StartedOrthanc;
  let cli: { certFile: string; keyFile: string };
  let cliPort: number;

  before(async () => {
    files = await writePki(tmp.path);
    const orthancPort = await freePort();
    cliPort = await freePort();
    const config = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), {
      DicomModalities: { orthanc: { AET: "ORTHANC", Host: "127.0.0.1", Port: orthancPort, UseDicomTls: true } },
    });
    server = await startServer(config.path);
    // The CLI's certificate (both EKUs: client and server of a commitment exchange); Orthanc's is made by the helper.
    cli = writeCert(join(tmp.path, "cli-pki"), "cli", await files.pki.issue({ commonName: "stgcmtscu" }));
    orthanc = await startOrthancOverTls(tmp.path, files, server.port, {
      dicomPort: orthancPort,
      modalities: { cli: { AET: "STGCMTSCU", Host: "127.0.0.1", Port: cliPort, UseDicomTls: true } },
    });
  });
  after(async () => {
    await orthanc.stop();
    await server.stop();
  });

  /** Uploads synthetic CT instances to Orthanc; returns their Orthanc IDs and UIDs. */
  async function upload(seeds: readonly number[]): Promise<Array<{ id: string; sopClassUid: string; sopInstanceUid: string; path: string }>> {
    const out = [];
    for (const seed of seeds) {
      const src = await writePart10File(join(tmp.path, `ct-${seed}.dcm`), { ...SyntheticPreset.Ct512k, seed, sequences: false });
      const up = (await orthanc.restOk("POST", "/instances", readFileSync(src.path))) as { ID: string };
      out.push({ id: up.ID, sopClassUid: src.spec.sopClassUid, sopInstanceUid: src.spec.sopInstanceUid, path: src.path });
    }
    return out;
  }

  /** Orthanc asks dicomtls for commitment; resolves with dicomtls' report record and Orthanc's view of the report. */
  async function orthancAsks(instances: ReadonlyArray<readonly [string, string]>): Promise<{ record: Record<string, unknown>; report: OrthancReport }> {
    const started = (await orthanc.restOk("POST", "/modalities/dicomtls/storage-commitment", { DicomInstances: instances })) as { ID: string };
    assert.match(started.ID, /^2\.25\./);
    const record = await server.waitForRecord((r) => r["event"] === "commitment-report-sent" && r["transactionUid"] === started.ID, 30_000);
    // dicomtls logs once Orthanc answered the N-EVENT-REPORT-RQ, so Orthanc holds the report by now.
    const report = (await orthanc.restOk("GET", `/storage-commitment/${started.ID}`)) as OrthancReport;
    return { record, report };
  }

  test("Orthanc -> dicomtls: stored instances are committed, the report comes on a new TLS association to Orthanc", async () => {
    const [a, b] = await upload([5101, 5102]);
    assert.ok(a !== undefined && b !== undefined);
    const job = (await orthanc.restOk("POST", "/modalities/dicomtls/store", { Resources: [a.id, b.id], Synchronous: true })) as Record<string, unknown>;
    assert.equal(job["FailedInstancesCount"], 0, JSON.stringify(job));

    const { record, report } = await orthancAsks([
      [a.sopClassUid, a.sopInstanceUid],
      [b.sopClassUid, b.sopInstanceUid],
    ]);
    assert.equal(record["via"], "new-association");
    assert.equal(record["eventTypeId"], 1);
    assert.equal(record["requester"], "ORTHANC");
    assert.equal(report.Status, "Success", JSON.stringify(report));
    assert.deepEqual(new Set(report.Success?.map((s) => s.SOPInstanceUID)), new Set([a.sopInstanceUid, b.sopInstanceUid]));
    assert.equal(report.Failures?.length ?? 0, 0);
    const opened = await server.waitForRecord((r) => r["event"] === "association-opened" && r["callingAet"] === "ORTHANC");
    assert.match(String(opened["tls"]), /^TLSv1\.[23]$/, "Orthanc's N-ACTION came over DICOM TLS");
  });

  test("Orthanc -> dicomtls: a UID never stored fails with 0x0112, a stored one under another SOP class with 0x0122", async () => {
    const [c] = await upload([5103]);
    assert.ok(c !== undefined);
    await orthanc.restOk("POST", "/modalities/dicomtls/store", { Resources: [c.id], Synchronous: true });
    const never = "1.2.826.0.1.3680043.10.1234.5103.99";
    const { record, report } = await orthancAsks([
      [c.sopClassUid, c.sopInstanceUid],
      [c.sopClassUid, never],
    ]);
    assert.equal(record["eventTypeId"], 2);
    assert.equal(report.Status, "Failure", JSON.stringify(report));
    assert.deepEqual(report.Success?.map((s) => s.SOPInstanceUID), [c.sopInstanceUid]);
    assert.deepEqual(report.Failures?.map((f) => [f.SOPInstanceUID, f.FailureReason]), [[never, 0x0112]]);

    const wrongClass = await orthancAsks([[MR_IMAGE_STORAGE, c.sopInstanceUid]]);
    assert.equal(wrongClass.report.Status, "Failure", JSON.stringify(wrongClass.report));
    assert.equal(wrongClass.report.Success?.length ?? 0, 0);
    assert.deepEqual(wrongClass.report.Failures?.map((f) => [f.SOPInstanceUID, f.SOPClassUID, f.FailureReason]), [[c.sopInstanceUid, MR_IMAGE_STORAGE, 0x0122]]);
  });

  test("dicomtls store --commit -> Orthanc: the files are stored, Orthanc reports on a new TLS association to the CLI's port", async () => {
    const files2 = [
      await writePart10File(join(tmp.path, "cli-1.dcm"), { ...SyntheticPreset.Ct512k, seed: 5201, sequences: false }),
      await writePart10File(join(tmp.path, "cli-2.dcm"), { ...SyntheticPreset.Ct512k, seed: 5202, sequences: false }),
    ];
    const r = await runCli(
      [
        "store", "127.0.0.1", String(orthanc.dicomPort),
        "--aet", "STGCMTSCU", "--call", "ORTHANC",
        "--key", cli.keyFile, "--cert", cli.certFile, "--trusted", files.caFile,
        "--commit-port", String(cliPort), "--commit-timeout", "60",
        ...files2.map((f) => f.path),
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /2 of 2 stored, 0 failed/);
    assert.match(r.output, /commit to ORTHANC at 127\.0\.0\.1:\d+: 2 committed, 0 failed \(transaction 2\.25\.\d+, report on a new association from ORTHANC\)/);
    const transaction = /transaction (2\.25\.\d+)/.exec(r.output)?.[1];
    assert.ok(transaction !== undefined);
    // Orthanc's own log of the exchange: it received our N-ACTION and sent its report.
    assert.match(orthanc.output(), new RegExp(`${transaction.replace(/\./g, "\\.")}`));
  });
});
