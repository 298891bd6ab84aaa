/**
 * DeidentifyLogs (Orthanc's default true): no line the server prints carries the patient's name or ID. Checked on the
 * whole output of a real dicomtls-server process at debug level while DCMTK storescu stores an instance; with
 * DeidentifyLogs false the same run shows them, which proves the check can see them.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { dcmtkEnv, freePort, requireTool, runProcess, startServer, stopAll, SyntheticSopClass, tempDir, writePart10File } from "@dicomtls/test-peers";

requireTool("storescu");
const tmp = tempDir("dicomtls-deidentify-");
const PATIENT_NAME = "DEIDTEST^SECRETNAME";
const PATIENT_ID = "PID-7731-SECRET";
let file: string;
before(async () => {
  file = (await writePart10File(join(tmp.path, "ct.dcm"), { sopClassUid: SyntheticSopClass.CtImageStorage, rows: 8, columns: 8, patientName: PATIENT_NAME, patientId: PATIENT_ID })).path;
});
after(async () => {
  await stopAll();
  tmp.remove();
});

/** Start a server with DeidentifyLogs as given, store the instance twice (new, then duplicate), return everything it printed. */
async function serverOutput(name: string, deidentify: boolean | undefined): Promise<string> {
  const config = join(tmp.path, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({ DicomAet: "NODE", DicomPort: await freePort(), HttpServerEnabled: false, StorageDirectory: join(tmp.path, `${name}-storage`), ...(deidentify !== undefined && { DeidentifyLogs: deidentify }) }),
  );
  const server = await startServer(config, { env: { DICOMTLS_LOG_LEVEL: "debug" } });
  try {
    for (let i = 0; i < 2; i++) {
      const r = await runProcess("storescu", ["-aet", "MODALITY", "-aec", "NODE", "127.0.0.1", String(server.port), file], { env: dcmtkEnv(), timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.output);
    }
    await server.waitForRecord((r) => r["event"] === "instance-stored" && r["duplicate"] === true);
  } finally {
    await server.stop();
  }
  return server.process.output();
}

const leaks = (output: string): string[] =>
  output.split("\n").filter((line) => line.includes(PATIENT_ID) || line.includes("SECRETNAME") || line.includes("DEIDTEST"));

test("DeidentifyLogs unset (Orthanc's default true): no log line names the patient", async () => {
  const output = await serverOutput("default", undefined);
  assert.match(output, /"event":"instance-stored"/);
  assert.deepEqual(leaks(output), []);
});

test("DeidentifyLogs false: the stored-instance record names the patient (the check above can see a leak)", async () => {
  const output = await serverOutput("identified", false);
  assert.ok(leaks(output).some((l) => l.includes('"event":"instance-stored"') && l.includes(PATIENT_ID)), output);
});
