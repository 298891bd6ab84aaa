/**
 * Orthanc's access control observed through real associations: DCMTK echoscu / storescu against an in-process
 * dicomtls server started from an Orthanc configuration file (bound to every interface, as in production, so the
 * peer address is the dual-stack form ::ffff:127.0.0.1). Both views are checked: what the peer printed and exited
 * with, and the server's JSON log record.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "@dicomtls/config";
import { dcmtkEnv, freePort, requireTool, runProcess, SyntheticSopClass, tempDir, writePart10File, type RunResult } from "@dicomtls/test-peers";
import { builtinPlugins, createLogger, DicomTlsServer } from "../src/index.js";

requireTool("echoscu");
requireTool("storescu");
const tmp = tempDir("dicomtls-access-");
let ctFile: string;
before(async () => {
  ctFile = (await writePart10File(join(tmp.path, "ct.dcm"), { sopClassUid: SyntheticSopClass.CtImageStorage, rows: 8, columns: 8 })).path;
});
after(() => tmp.remove());

interface Running {
  readonly port: number;
  readonly records: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Writes CONFIG as an administrator would, loads it as dicomtls-server does, starts the server in this process. */
async function start(name: string, config: Record<string, unknown>): Promise<Running> {
  const port = await freePort();
  const file = join(tmp.path, `${name}.json`);
  writeFileSync(file, JSON.stringify({ DicomAet: "NODE", DicomPort: port, HttpServerEnabled: false, StorageDirectory: join(tmp.path, `${name}-storage`), ...config }, null, 2));
  const { config: nodeConfig } = await loadConfig(file, { env: {} });
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) } });
  const server = await DicomTlsServer.start(nodeConfig, { logger, plugins: builtinPlugins(nodeConfig) });
  return { port: server.ports.dicom, records, stop: () => server.stop({ timeoutMs: 0 }) };
}

async function echoscu(port: number, callingAet: string, calledAet = "NODE"): Promise<RunResult> {
  return await runProcess("echoscu", ["-v", "-aet", callingAet, "-aec", calledAet, "127.0.0.1", String(port)], { env: dcmtkEnv(), timeoutMs: 30_000 });
}

async function storescu(port: number, callingAet: string): Promise<RunResult> {
  return await runProcess("storescu", ["-v", "-aet", callingAet, "-aec", "NODE", "127.0.0.1", String(port), ctFile], { env: dcmtkEnv(), timeoutMs: 30_000 });
}

const echoOk = (r: RunResult): void => {
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Received Echo Response \(Success\)/, r.output);
};

/** The peer's view of an A-ASSOCIATE-RJ, as DCMTK prints it (PS3.8 Table 9-21). */
const rejected = (r: RunResult, reason: RegExp): void => {
  assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /Association Rejected:/, r.output);
  assert.match(r.output, /Result: Rejected Permanent, Source: Service User/, r.output);
  assert.match(r.output, reason, r.output);
  assert.doesNotMatch(r.output, /Association Accepted/, r.output);
};

/**
 * The association was accepted, then the command was answered with an A-ABORT (no DIMSE response). DCMTK 3.6.7's
 * echoscu exits 0 even then ("Echo Failed ... Peer aborted Association"), so only storescu's exit code says it.
 */
const abortedAfterAccept = (r: RunResult, response: RegExp, exitCodeSaysIt: boolean): void => {
  if (exitCodeSaysIt) assert.notEqual(r.code, 0, r.output);
  assert.match(r.output, /Association Accepted/, r.output);
  assert.doesNotMatch(r.output, response, r.output);
  assert.match(r.output, /Peer aborted Association|Association Aborted/i, r.output);
};

/** The server's record of a refusal for this calling AE title (waits briefly: the log follows the PDU). */
async function record(s: Running, event: string, callingAet: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const found = s.records.find((r) => r["event"] === event && r["callingAet"] === callingAet);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${event} record for ${callingAet}; log:\n${s.records.map((r) => JSON.stringify(r)).join("\n")}`);
}

const NONE_ALWAYS_ALLOWED = {
  DicomAlwaysAllowEcho: false,
  DicomAlwaysAllowStore: false,
  DicomAlwaysAllowFind: false,
  DicomAlwaysAllowFindWorklist: false,
  DicomAlwaysAllowGet: false,
  DicomAlwaysAllowMove: false,
};

describe("every DicomAlwaysAllow* false, DicomCheckCalledAet and DicomCheckModalityHost on, case-insensitive AE titles", () => {
  let s: Running;
  before(async () => {
    s = await start("closed", {
      ...NONE_ALWAYS_ALLOWED,
      DicomCheckCalledAet: true,
      DicomCheckModalityHost: true,
      DicomModalities: {
        known: { AET: "KNOWN", Host: "127.0.0.1", Port: 104 },
        noecho: { AET: "NOECHO", Host: "127.0.0.1", Port: 104, AllowEcho: false },
        nostore: { AET: "NOSTORE", Host: "127.0.0.1", Port: 104, AllowStore: false },
        faraway: { AET: "FARAWAY", Host: "192.0.2.10", Port: 104 },
        // The array form, as many Orthanc files have it.
        legacy: ["LEGACY", "127.0.0.1", 104],
      },
    });
  });
  after(() => s.stop());

  test("a known calling AE title from its Host: echo succeeds", async () => {
    echoOk(await echoscu(s.port, "KNOWN"));
    echoOk(await echoscu(s.port, "LEGACY"));
    assert.ok(s.records.some((r) => r["event"] === "association-opened" && r["callingAet"] === "KNOWN"));
  });

  test("StrictAetComparison false: the calling AE title matches whatever its case", async () => {
    echoOk(await echoscu(s.port, "known"));
  });

  test("an unknown calling AE title: A-ASSOCIATE-RJ, calling AE title not recognized", async () => {
    rejected(await echoscu(s.port, "STRANGER"), /Reason: Calling AE Title Not Recognized/);
    const r = await record(s, "association-refused", "STRANGER");
    assert.equal(r["reason"], "CALLING_AE_NOT_RECOGNIZED");
    assert.match(String(r["peer"]), /^127\.0\.0\.1:\d+$/);
  });

  test("DicomCheckCalledAet: another called AE title is refused with called AE title not recognized", async () => {
    rejected(await echoscu(s.port, "KNOWN", "SOMEONE-ELSE"), /Reason: Called AE Title Not Recognized/);
    const r = s.records.find((x) => x["event"] === "association-refused" && x["calledAet"] === "SOMEONE-ELSE");
    assert.equal(r?.["reason"], "CALLED_AE_NOT_RECOGNIZED", JSON.stringify(s.records));
  });

  test("DicomCheckModalityHost: a modality whose Host is not the peer's address is refused", async () => {
    rejected(await echoscu(s.port, "FARAWAY"), /Reason: Calling AE Title Not Recognized/);
    const r = await record(s, "association-refused", "FARAWAY");
    assert.equal(r["reason"], "CALLING_AE_NOT_RECOGNIZED");
    assert.match(String(r["msg"]), /192\.0\.2\.10/);
  });

  test("AllowEcho false (and DicomAlwaysAllowEcho false): the association is accepted, the C-ECHO is answered with A-ABORT", async () => {
    const echo = await echoscu(s.port, "NOECHO");
    abortedAfterAccept(echo, /Received Echo Response/, false);
    assert.match(echo.output, /Echo Failed: .*Peer aborted Association/, echo.output);
    const r = await record(s, "command-refused", "NOECHO");
    assert.equal(r["reason"], "COMMAND_NOT_ALLOWED");
    assert.match(String(r["msg"]), /echo/i);
  });

  test("AllowStore false (and DicomAlwaysAllowStore false): storescu's C-STORE is answered with A-ABORT, nothing stored", async () => {
    abortedAfterAccept(await storescu(s.port, "NOSTORE"), /Received Store Response/, true);
    const r = await record(s, "command-refused", "NOSTORE");
    assert.match(String(r["msg"]), /store/i);
    assert.ok(!s.records.some((x) => x["event"] === "instance-stored" && x["callingAet"] === "NOSTORE"));
  });

  test("a known modality with AllowStore (default true): storescu's C-STORE is stored", async () => {
    const r = await storescu(s.port, "KNOWN");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Received Store Response \(Success\)/, r.output);
    assert.ok(s.records.some((x) => x["event"] === "instance-stored" && x["callingAet"] === "KNOWN"), JSON.stringify(s.records));
  });

  test("an unknown calling AE title cannot store either", async () => {
    rejected(await storescu(s.port, "STRANGER2"), /Reason: Calling AE Title Not Recognized/);
    await record(s, "association-refused", "STRANGER2");
  });
});

describe("StrictAetComparison true", () => {
  let s: Running;
  before(async () => {
    s = await start("strict", { ...NONE_ALWAYS_ALLOWED, StrictAetComparison: true, DicomModalities: { mixed: { AET: "MixedCase", Host: "10.0.0.1", Port: 104 } } });
  });
  after(() => s.stop());

  test("the exact AE title is accepted (Host not checked: DicomCheckModalityHost is off)", async () => {
    echoOk(await echoscu(s.port, "MixedCase"));
  });

  test("the same AE title in another case is refused", async () => {
    rejected(await echoscu(s.port, "MIXEDCASE"), /Reason: Calling AE Title Not Recognized/);
    assert.equal((await record(s, "association-refused", "MIXEDCASE"))["reason"], "CALLING_AE_NOT_RECOGNIZED");
  });
});

describe("Orthanc's defaults (DicomAlwaysAllowEcho and DicomAlwaysAllowStore true)", () => {
  let s: Running;
  before(async () => {
    s = await start("defaults", { DicomModalities: { noecho: { AET: "NOECHO", Host: "127.0.0.1", Port: 104, AllowEcho: false } } });
  });
  after(() => s.stop());

  test("anyone may associate and echo; DicomAlwaysAllowEcho wins over the modality's AllowEcho false", async () => {
    echoOk(await echoscu(s.port, "ANYBODY"));
    echoOk(await echoscu(s.port, "NOECHO"));
    assert.ok(!s.records.some((r) => r["event"] === "association-refused" || r["event"] === "command-refused"), JSON.stringify(s.records));
  });

  test("anyone may store", async () => {
    const r = await storescu(s.port, "ANYBODY");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Received Store Response \(Success\)/, r.output);
  });
});
