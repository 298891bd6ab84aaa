/**
 * DicomScpTimeout and MaximumPduLength observed on the wire, against an in-process server started from an Orthanc
 * configuration file: a raw association that stays idle is aborted, one that keeps working is not, and our
 * A-ASSOCIATE-AC announces MaximumPduLength (seen by our requestor and by DCMTK echoscu).
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { requestAssociation, type Association } from "@dicomtls/association";
import { loadConfig } from "@dicomtls/config";
import { Status, VERIFICATION_SOP_CLASS, cEchoRq } from "@dicomtls/pdu-codec";
import { dcmtkEnv, freePort, requireTool, runProcess, tempDir } from "@dicomtls/test-peers";
import { builtinPlugins, createLogger, DicomTlsServer } from "../src/index.js";

requireTool("echoscu");
const tmp = tempDir("dicomtls-network-");
const records: Array<Record<string, unknown>> = [];
let server: DicomTlsServer;
let port: number;
/** Orthanc's lower limit is 1 s; the tests wait for it, they never measure it. */
const SCP_TIMEOUT_S = 1;
const MAX_PDU = 32768;

before(async () => {
  const file = join(tmp.path, "orthanc.json");
  writeFileSync(file, JSON.stringify({ DicomAet: "NODE", DicomPort: await freePort(), HttpServerEnabled: false, DicomScpTimeout: SCP_TIMEOUT_S, MaximumPduLength: MAX_PDU, StorageDirectory: join(tmp.path, "storage") }));
  const { config } = await loadConfig(file, { env: {} });
  const logger = createLogger({ destination: { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) } });
  server = await DicomTlsServer.start(config, { logger, plugins: builtinPlugins(config) });
  port = server.ports.dicom;
});
after(async () => {
  await server.stop({ timeoutMs: 0 });
  tmp.remove();
});

async function open(callingAeTitle: string): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle,
    calledAeTitle: "NODE",
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
  });
}

/** The server's log record of EVENT for a calling AE title (the log may follow the PDU by a moment). */
async function record(event: string, callingAet: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 150; i++) {
    const found = records.find((r) => r["event"] === event && r["callingAet"] === callingAet);
    if (found !== undefined) return found;
    await sleep(20);
  }
  throw new Error(`no ${event} record for ${callingAet}; log:\n${records.map((r) => JSON.stringify(r)).join("\n")}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("MaximumPduLength is the maximum length announced in our A-ASSOCIATE-AC", async () => {
  const a = await open("PDU-CHECK");
  assert.equal(a.peerMaxPduLength, MAX_PDU);
  await a.release();
  // DCMTK's view: echoscu -d prints the acceptor's announced limit as the PDV size it may send.
  const r = await runProcess("echoscu", ["-d", "-aet", "PDU-DCMTK", "-aec", "NODE", "127.0.0.1", String(port)], { env: dcmtkEnv(), timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`Max Send PDV: ${MAX_PDU - 12}\\b`), r.output);
});

test("DicomScpTimeout: an association left idle is aborted by the server, which logs why", { timeout: 20_000 }, async () => {
  const a = await open("IDLER");
  const end = await a.closed;
  assert.equal(end.kind, "aborted");
  assert.ok(end.kind === "aborted" && end.error.code === "ERR_DICOM_ABORTED", end.kind === "aborted" ? end.error.message : "");
  const idle = await record("association-idle-timeout", "IDLER");
  assert.equal(idle["idleSeconds"], SCP_TIMEOUT_S);
  await record("association-aborted", "IDLER");
});

test("DicomScpTimeout: an association that keeps sending commands outlives several timeouts and is released normally", async () => {
  const a = await open("WORKER");
  const context = a.findContext(VERIFICATION_SOP_CLASS);
  assert.ok(context);
  // 10 echoes a third of the timeout apart: more than three timeouts in all, never one idle stretch that long.
  for (let i = 1; i <= 10; i++) {
    assert.equal((await a.request(context.id, cEchoRq(i))).command.status, Status.Success);
    await sleep((SCP_TIMEOUT_S * 1000) / 3);
  }
  assert.ok(a.isEstablished, a.state);
  await a.release();
  assert.equal((await a.closed).kind, "released");
  assert.ok(!records.some((r) => r["event"] === "association-idle-timeout" && r["callingAet"] === "WORKER"));
});
