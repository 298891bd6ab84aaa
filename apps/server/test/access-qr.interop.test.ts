/**
 * Orthanc's per-command access control for Query/Retrieve over DICOM TLS, with real associations: DCMTK findscu +tls
 * (Study Root and Modality Worklist) and our scu move() / get() against an in-process dicomtls server started from an
 * Orthanc configuration file. A refused command is an A-ABORT after the association was accepted (facts §0.8), logged
 * and audited with the configuration key that refused it; an allowed one reaches the service.
 *
 * The Q/R services themselves are not what is tested here: on an empty store the node's C-FIND, C-MOVE and C-GET answer
 * a bare Success (no match), and a stub plugin does the same for Modality Worklist, so "allowed" is observable as a
 * DIMSE response instead of an abort.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "@dicomtls/config";
import { Status } from "@dicomtls/pdu-codec";
import { statusResponse } from "@dicomtls/scp";
import { get, move, type GetOptions, type QueryRequestOptions } from "@dicomtls/scu";
import { dcmtkEnv, requireTool, runProcess, tempDir, type RunResult } from "@dicomtls/test-peers";
import { builtinPlugins, createLogger, DicomTlsServer, type ServerPlugin } from "../src/index.js";
import { writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

requireTool("findscu");
const tmp = tempDir("dicomtls-access-qr-");
let files: NodeFiles;
before(async () => {
  files = await writePki(tmp.path);
});
after(() => tmp.remove());

/** PS3.4 Annex C.6 and K.6: the Q/R and worklist SOP classes the stub serves. */
const QR_SOP_CLASSES = [
  "1.2.840.10008.5.1.4.1.2.1.1", // Patient Root FIND
  "1.2.840.10008.5.1.4.1.2.1.2", // Patient Root MOVE
  "1.2.840.10008.5.1.4.1.2.1.3", // Patient Root GET
  "1.2.840.10008.5.1.4.1.2.2.1", // Study Root FIND
  "1.2.840.10008.5.1.4.1.2.2.2", // Study Root MOVE
  "1.2.840.10008.5.1.4.1.2.2.3", // Study Root GET
  "1.2.840.10008.5.1.4.31", // Modality Worklist FIND
];

/**
 * Answers the Q/R requests no built-in serves (Modality Worklist, whose plugin is not configured here) with a final
 * Success and no match; Patient/Study Root FIND, MOVE and GET are the node's own services, on an empty store.
 */
const qrStub: ServerPlugin = {
  name: "qr-stub",
  register(app) {
    const served = new Set(app.scp.services.sopClasses());
    for (const uid of QR_SOP_CLASSES) {
      if (!served.has(uid)) app.scp.handle(uid, (message) => ({ command: statusResponse(message.command, Status.Success) }));
    }
  },
};

interface Running {
  readonly port: number;
  readonly records: Array<Record<string, unknown>>;
  readonly auditFile: string;
  stop(): Promise<void>;
}

async function start(name: string, extra: Record<string, unknown>): Promise<Running> {
  const auditFile = join(tmp.path, `${name}-audit.log`);
  const { path } = await writeNodeConfig(tmp.path, `${name}.json`, files, join(tmp.path, `${name}-storage`), { ...extra, AuditTrail: { File: auditFile } });
  const { config } = await loadConfig(path, { env: {} });
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", destination: { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) } });
  const server = await DicomTlsServer.start(config, { logger, plugins: [...builtinPlugins(config), qrStub] });
  return { port: server.ports.dicom, records, auditFile, stop: () => server.stop({ timeoutMs: 0 }) };
}

type Model = "-S" | "-P" | "-W";
async function findscu(s: Running, callingAet: string, model: Model = "-S", tls: "client-cert" | "anonymous" = "client-cert"): Promise<RunResult> {
  const level = model === "-W" ? [] : ["-k", "QueryRetrieveLevel=STUDY"];
  const keys = model === "-W" ? ["-k", "ScheduledProcedureStepSequence[0].Modality=CT", "-k", "PatientName"] : ["-k", "PatientName", "-k", "StudyInstanceUID"];
  const tlsArgs = tls === "client-cert" ? ["+tls", files.clientKey, files.clientCert] : ["+tla"];
  return await runProcess("findscu", ["-v", model, "-aet", callingAet, "-aec", "DICOMTLS", ...tlsArgs, "+cf", files.caFile, ...level, ...keys, "127.0.0.1", String(s.port)], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
}

/** findscu's C-FIND reached the service: a final response, no abort. */
function findAnswered(r: RunResult): void {
  assert.match(r.output, /Association Accepted/, r.output);
  assert.match(r.output, /Received Final Find Response \(Success\)/, r.output);
  assert.doesNotMatch(r.output, /Peer aborted Association/i, r.output);
  assert.equal(r.code, 0, r.output);
}

/** The association was accepted, then the C-FIND was answered with an A-ABORT, never a response. */
function findAborted(r: RunResult): void {
  assert.match(r.output, /Association Accepted/, r.output);
  assert.doesNotMatch(r.output, /Find Response/, r.output);
  assert.match(r.output, /Peer aborted Association/i, r.output);
}

/** The server's command-refused record for this calling AE title, and the audit message it left (PS3.15 A.5.3.11). */
async function refusal(s: Running, callingAet: string): Promise<{ record: Record<string, unknown>; audit: string }> {
  const auditLine = (): string | undefined =>
    readFileSync(s.auditFile, "utf8")
      .split("\n")
      .find((l) => l.includes(`AETITLES=${callingAet}"`) && l.includes('csd-code="110132"'));
  let record: Record<string, unknown> | undefined;
  let line: string | undefined;
  // Both follow the A-ABORT; the audit file sink writes asynchronously.
  for (let i = 0; i < 250 && (record === undefined || line === undefined); i++) {
    record = s.records.find((r) => r["event"] === "command-refused" && r["callingAet"] === callingAet);
    line = auditLine();
    if (record === undefined || line === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(record !== undefined, `no command-refused record for ${callingAet}; log:\n${s.records.map((r) => JSON.stringify(r)).join("\n")}`);
  assert.ok(line !== undefined, `no Use of Restricted Function audit message for ${callingAet}`);
  return { record, audit: `${line}\n${detailOf(line, "Reason")}\n${detailOf(line, "Alert Description")}` };
}

/** A ParticipantObjectDetail's value (base64 in the message, PS3.15 A.5.2). */
function detailOf(line: string, type: string): string {
  const m = new RegExp(`type="${type}" value="([^"]*)"`).exec(line);
  assert.ok(m !== null, `no ${type} detail in ${line}`);
  return Buffer.from(m[1]!, "base64").toString("utf8");
}

async function assertRefusedBy(s: Running, callingAet: string, key: string, command: RegExp): Promise<void> {
  const { record, audit } = await refusal(s, callingAet);
  assert.equal(record["key"], key, JSON.stringify(record));
  assert.equal(record["reason"], "COMMAND_NOT_ALLOWED");
  assert.match(String(record["msg"]), command);
  assert.match(String(record["peer"]), /^127\.0\.0\.1:\d+$/);
  // The audit message names the peer's certificate, its AE title and the key.
  assert.match(audit, /\nCOMMAND_NOT_ALLOWED\n/);
  assert.ok(audit.includes(`refused by ${key}`), audit);
  assert.match(audit, /CN=/);
}

const noRefusalFor = (s: Running, callingAet: string): void =>
  assert.ok(!s.records.some((r) => r["event"] === "command-refused" && r["callingAet"] === callingAet), JSON.stringify(s.records.filter((r) => r["event"] === "command-refused")));

function scuOptions(s: Running, callingAet: string): QueryRequestOptions {
  return {
    host: "127.0.0.1",
    port: s.port,
    tls: { ca: readFileSync(files.caFile), cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey), servername: "localhost" },
    callingAeTitle: callingAet,
    calledAeTitle: "DICOMTLS",
    level: "STUDY",
    keys: { StudyInstanceUID: "1.2.3.4" },
    timeouts: { dimseMs: 20_000 },
  };
}

const getOptions = (s: Running, callingAet: string): GetOptions => ({ ...scuOptions(s, callingAet), onInstance: () => undefined });

const MODALITIES = {
  full: { AET: "FULL", Host: "127.0.0.1", Port: 104 },
  nofind: { AET: "NOFIND", Host: "127.0.0.1", Port: 104, AllowFind: false },
  noworklist: { AET: "NOWORKLIST", Host: "127.0.0.1", Port: 104, AllowFindWorklist: false },
  nomove: { AET: "NOMOVE", Host: "127.0.0.1", Port: 104, AllowMove: false },
  noget: { AET: "NOGET", Host: "127.0.0.1", Port: 104, AllowGet: false },
  faraway: { AET: "FARAWAY", Host: "192.0.2.10", Port: 104 },
};

describe("Orthanc's defaults over DICOM TLS (DicomAlwaysAllowFind/Move/Get false), DicomCheckModalityHost on", () => {
  let s: Running;
  before(async () => {
    s = await start("defaults", { DicomCheckModalityHost: true, DicomModalities: MODALITIES });
  });
  after(() => s.stop());

  test("a modality with AllowFind (default true): findscu +tls gets its answer", async () => {
    findAnswered(await findscu(s, "FULL"));
    findAnswered(await findscu(s, "FULL", "-P"));
    noRefusalFor(s, "FULL");
  });

  test("an unknown AE title: associates (DicomAlwaysAllowEcho), its C-FIND is aborted, refused by DicomAlwaysAllowFind", async () => {
    findAborted(await findscu(s, "STRANGER"));
    await assertRefusedBy(s, "STRANGER", "DicomAlwaysAllowFind", /C-FIND/);
  });

  test("AllowFind false: aborted, refused by that modality's AllowFind", async () => {
    findAborted(await findscu(s, "NOFIND"));
    await assertRefusedBy(s, "NOFIND", "DicomModalities.nofind.AllowFind", /C-FIND/);
  });

  test("AllowFind false does not close the worklist; AllowFindWorklist false does, and not the Study Root C-FIND", async () => {
    findAnswered(await findscu(s, "NOFIND", "-W"));
    findAnswered(await findscu(s, "NOWORKLIST"));
    findAborted(await findscu(s, "NOWORKLIST", "-W"));
    await assertRefusedBy(s, "NOWORKLIST", "DicomModalities.noworklist.AllowFindWorklist", /C-FIND \(worklist\)/);
  });

  test("DicomCheckModalityHost: a modality whose Host is not the peer's address is refused per command", async () => {
    findAborted(await findscu(s, "FARAWAY"));
    await assertRefusedBy(s, "FARAWAY", "DicomCheckModalityHost", /192\.0\.2\.10/);
  });

  test("the TLS peer checks still come first: no client certificate, no association at all", async () => {
    const r = await findscu(s, "FULL", "-S", "anonymous");
    assert.doesNotMatch(r.output, /Association Accepted/, r.output);
    assert.notEqual(r.code, 0, r.output);
  });

  test("C-MOVE: allowed for a modality with AllowMove, aborted for AllowMove false and for an unknown AE title", async () => {
    const ok = await move({ ...scuOptions(s, "FULL"), destination: "FULL" }).result();
    assert.equal(ok.status, Status.Success);
    await assert.rejects(move({ ...scuOptions(s, "NOMOVE"), destination: "FULL" }).result(), /abort/i);
    await assertRefusedBy(s, "NOMOVE", "DicomModalities.nomove.AllowMove", /C-MOVE/);
    await assert.rejects(move({ ...scuOptions(s, "STRANGER2"), destination: "FULL" }).result(), /abort/i);
    await assertRefusedBy(s, "STRANGER2", "DicomAlwaysAllowMove", /C-MOVE/);
  });

  test("C-GET: allowed for a modality with AllowGet, aborted for AllowGet false and for an unknown AE title", async () => {
    const ok = await get(getOptions(s, "FULL")).result();
    assert.equal(ok.status, Status.Success);
    await assert.rejects(get(getOptions(s, "NOGET")).result(), /abort/i);
    await assertRefusedBy(s, "NOGET", "DicomModalities.noget.AllowGet", /C-GET/);
    await assert.rejects(get(getOptions(s, "STRANGER3")).result(), /abort/i);
    await assertRefusedBy(s, "STRANGER3", "DicomAlwaysAllowGet", /C-GET/);
  });
});

describe("DicomAlwaysAllowFind, DicomAlwaysAllowMove and DicomAlwaysAllowGet true", () => {
  let s: Running;
  before(async () => {
    s = await start("always", {
      DicomAlwaysAllowFind: true,
      DicomAlwaysAllowMove: true,
      DicomAlwaysAllowGet: true,
      DicomModalities: MODALITIES,
    });
  });
  after(() => s.stop());

  test("an unknown AE title may query, move and get; the worklist stays closed (DicomAlwaysAllowFindWorklist false)", async () => {
    findAnswered(await findscu(s, "STRANGER"));
    assert.equal((await move({ ...scuOptions(s, "STRANGER"), destination: "FULL" }).result()).status, Status.Success);
    assert.equal((await get(getOptions(s, "STRANGER")).result()).status, Status.Success);
    noRefusalFor(s, "STRANGER");
    findAborted(await findscu(s, "STRANGER", "-W"));
    await assertRefusedBy(s, "STRANGER", "DicomAlwaysAllowFindWorklist", /worklist/);
  });

  test("the global key wins over a modality's AllowFind false, as in Orthanc", async () => {
    findAnswered(await findscu(s, "NOFIND"));
    noRefusalFor(s, "NOFIND");
  });
});

describe("DicomTlsCheckModalityCertificate: the calling AE title is bound to the certificate, before any per-command rule", () => {
  let s: Running;
  before(async () => {
    s = await start("bound", {
      DicomTlsCheckModalityCertificate: true,
      DicomModalities: {
        bound: { AET: "BOUND", Host: "127.0.0.1", Port: 104, TlsCertificate: files.clientCert },
        other: { AET: "OTHER", Host: "127.0.0.1", Port: 104 },
      },
    });
  });
  after(() => s.stop());

  test("the certificate's own modality queries; the same certificate claiming another modality's AE title is rejected", async () => {
    findAnswered(await findscu(s, "BOUND"));
    const r = await findscu(s, "OTHER");
    assert.match(r.output, /Association Rejected/, r.output);
    assert.match(r.output, /Calling AE Title Not Recognized/, r.output);
    assert.doesNotMatch(r.output, /Find Response/, r.output);
    noRefusalFor(s, "OTHER");
  });
});
