/**
 * Every input that once ended the server process (issue 9), or that the fuzzer found escaping into the error
 * boundary, as a named case against the built bin: on the DICOM TLS port with a client certificate, on the plain
 * port (DicomPlainPort), and on a server with anonymous TLS (DicomTlsRemoteCertificateRequired false). Each time
 * the server answers what PS3.8 prescribes (A-ASSOCIATE-RJ or A-ABORT, result/source/reason asserted), stays alive,
 * and echoscu +tls from another peer succeeds during and after.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { PduFramer, PduType, cEchoRq, decodeCommand, decodePdu, encodeCommand, type Pdu } from "@dicomtls/pdu-codec";
import { dcmtkEnv, requireTool, runProcess, stopAll, tempDir } from "@dicomtls/test-peers";
import { Rng, startTarget, templates, type FuzzTarget } from "../src/index.js";

requireTool("echoscu");
const tmp = tempDir("dicomtls-crash-regressions-");
const targets: FuzzTarget[] = [];
after(async () => {
  for (const t of targets) await t.stop();
  await stopAll();
  tmp.remove();
});

type Answer =
  | { readonly type: "rj"; readonly result: number; readonly source: number; readonly reason: number }
  | { readonly type: "abort"; readonly source: number; readonly reason: number }
  | { readonly type: "ac" }
  /** A DIMSE response in one P-DATA-TF: its command field and status. */
  | { readonly type: "response"; readonly commandField: number; readonly status: number };

/** An A-ASSOCIATE-RQ from the fuzzer's template with its called (offset 10) or calling (26) AE field overwritten. */
function rqWithTitle(offset: 10 | 26, title: string): Buffer {
  const b = templates.associateRq(new Rng(1), "DICOMTLS");
  b.write(title.padEnd(16, " "), offset, 16, "latin1");
  return b;
}

/** The template's application context name "1.2.840.10008.3.1.1.1" with its last digit changed (same length). */
function rqWithApplicationContext(): Buffer {
  const b = templates.associateRq(new Rng(1), "DICOMTLS");
  b[b.indexOf(Buffer.from("1.2.840.10008.3.1.1.1", "latin1")) + 20] = 0x32;
  return b;
}

function rqWithFirstContextId(id: number): Buffer {
  const b = templates.associateRq(new Rng(1), "DICOMTLS");
  b[b.indexOf(0x20, 74) + 4] = id;
  return b;
}

/** A C-ECHO-RQ command set whose affected SOP class UID is rewritten byte for byte (same length). */
function echoWithUid(uid: string): Buffer {
  const command = Buffer.from(encodeCommand(cEchoRq(1)));
  const at = command.indexOf(Buffer.from(templates.VERIFICATION, "latin1"));
  command.write(uid, at, uid.length, "latin1");
  return templates.pData(1, true, true, command);
}

/** An N-ACTION-RQ's command field (0x0130) in an otherwise valid C-ECHO-RQ command set. */
function nActionRq(): Buffer {
  const command = Buffer.from(encodeCommand(cEchoRq(1)));
  // (0000,0100) US: the tag, the 4-byte length, then the value.
  const at = command.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00])) + 8;
  command.writeUInt16LE(0x0130, at);
  return templates.pData(1, true, true, command);
}

interface Case {
  readonly name: string;
  /** Sent after an accepted association when set; the request itself otherwise. */
  readonly afterAssociation?: Buffer;
  readonly request?: Buffer;
  readonly expect: Answer;
}

const CASES: readonly Case[] = [
  { name: "calling AE title with a NUL inside (BAD\\0TITLE)", request: rqWithTitle(26, "BAD\0TITLE"), expect: { type: "rj", result: 1, source: 1, reason: 3 } },
  { name: "called AE title with a NUL inside", request: rqWithTitle(10, "DICOM\0TLS"), expect: { type: "rj", result: 1, source: 1, reason: 7 } },
  { name: "called AE title with a backslash", request: rqWithTitle(10, "DICOM\\TLS"), expect: { type: "rj", result: 1, source: 1, reason: 7 } },
  { name: "calling AE title with a control byte", request: rqWithTitle(26, "MODALITY\u0007"), expect: { type: "rj", result: 1, source: 1, reason: 3 } },
  { name: "calling AE title with a byte above 0x7E", request: rqWithTitle(26, "CAF\u00c9"), expect: { type: "rj", result: 1, source: 1, reason: 3 } },
  { name: "calling AE title of sixteen NULs (empty once the padding is gone)", request: rqWithTitle(26, "\0".repeat(16)), expect: { type: "rj", result: 1, source: 1, reason: 3 } },
  { name: "AE titles padded with NULs, as real devices send them, are accepted", request: rqWithTitle(26, "MODALITY".padEnd(16, "\0")), expect: { type: "ac" } },
  { name: "an application context other than DICOM's", request: rqWithApplicationContext(), expect: { type: "rj", result: 1, source: 1, reason: 2 } },
  { name: "even presentation context id (2)", request: rqWithFirstContextId(2), expect: { type: "abort", source: 2, reason: 6 } },
  { name: "presentation context id 0", request: rqWithFirstContextId(0), expect: { type: "abort", source: 2, reason: 6 } },
  { name: "fuzz seed 2: C-ECHO-RQ whose affected SOP class UID holds 0xff bytes", afterAssociation: echoWithUid("1.2.840.10008.\u00ff\u00ff1"), expect: { type: "abort", source: 2, reason: 6 } },
  // Once aborted (no N-ACTION-RSP could be built); now answered as PS3.7 C.4 says for an operation the SOP class has not.
  { name: "fuzz seed 2: N-ACTION-RQ (command field 0x0130) on the Verification context: N-ACTION-RSP 0x0211", afterAssociation: nActionRq(), expect: { type: "response", commandField: 0x8130, status: 0x0211 } },
];

/** Opens a connection, plays the case, resolves with the server's first PDU after the case's own bytes. */
async function play(transport: { kind: "plain" | "tls"; port: number; key?: string; cert?: string }, c: Case): Promise<Pdu> {
  const socket: Socket =
    transport.kind === "plain"
      ? netConnect({ host: "127.0.0.1", port: transport.port, noDelay: true })
      : tlsConnect({ host: "127.0.0.1", port: transport.port, rejectUnauthorized: false, ...(transport.key !== undefined && { key: transport.key, cert: transport.cert }) });
  const framer = new PduFramer({ maxPDataLength: 0 });
  const pdus: Pdu[] = [];
  let wake: () => void = () => undefined;
  socket.on("data", (b: Buffer) => {
    for (const p of framer.push(b)) pdus.push(decodePdu(p));
    wake();
  });
  socket.on("error", () => undefined);
  let closed = false;
  socket.once("close", () => {
    closed = true;
    wake();
  });
  const next = async (): Promise<Pdu> => {
    while (pdus.length === 0) {
      if (closed) throw new Error(`${c.name}: the server closed without answering`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return pdus.shift() as Pdu;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once(transport.kind === "plain" ? "connect" : "secureConnect", () => resolve());
      socket.once("error", reject);
    });
    if (c.afterAssociation !== undefined) {
      socket.write(templates.associateRq(new Rng(1), "DICOMTLS"));
      assert.equal((await next()).type, PduType.AAssociateAc, `${c.name}: the association before the case was not accepted`);
      socket.write(c.afterAssociation);
    } else {
      socket.write(c.request as Buffer);
    }
    return await next();
  } finally {
    socket.destroy();
  }
}

function assertAnswer(name: string, pdu: Pdu, expect: Answer): void {
  if (expect.type === "response") {
    assert.equal(pdu.type, PduType.PDataTf, `${name}: ${JSON.stringify(pdu)}`);
    const pdv = pdu.type === PduType.PDataTf ? pdu.pdvs[0] : undefined;
    assert.ok(pdv?.isCommand === true && pdv.isLast, `${name}: one whole command PDV expected`);
    const command = decodeCommand(pdv.data);
    assert.equal(command.commandField, expect.commandField, name);
    assert.equal(command.status, expect.status, name);
  } else if (expect.type === "ac") {
    assert.equal(pdu.type, PduType.AAssociateAc, `${name}: ${JSON.stringify(pdu)}`);
  } else if (expect.type === "rj") {
    assert.deepEqual(pdu, { type: PduType.AAssociateRj, result: expect.result, source: expect.source, reason: expect.reason }, name);
  } else {
    assert.deepEqual(pdu, { type: PduType.AAbort, source: expect.source, reason: expect.reason }, name);
  }
}

async function echoscuTls(t: FuzzTarget, aet: string): Promise<void> {
  const { clientKey, clientCert, ca } = t.files;
  const r = await runProcess("echoscu", ["-v", "-aet", aet, "-aec", "DICOMTLS", "127.0.0.1", String(t.endpoint.tlsPort), "+tls", clientKey, clientCert, "+cf", ca], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assert.match(r.output, /Received Echo Response \(Success\)/, r.output);
  assert.equal(r.code, 0, r.output);
}

/** The stop record's counters: the boundary caught nothing, and every RJ above came from the provider check. */
async function stopAndCount(t: FuzzTarget): Promise<Record<string, unknown>> {
  await t.stop();
  const line = t.logTail().split("\n").find((l) => l.includes('"event":"runtime-stats"'));
  assert.ok(line !== undefined, t.logTail());
  return JSON.parse(line) as Record<string, unknown>;
}

const rejections = CASES.filter((c) => c.expect.type === "rj").length;

describe("certificate required: TLS port with a client certificate, and the plain port", () => {
  let server: FuzzTarget;
  before(async () => {
    const dir = join(tmp.path, "required");
    mkdirSync(dir);
    server = await startTarget(dir, { anonymousTls: false });
    targets.push(server);
  });

  for (const c of CASES) {
    test(`TLS port: ${c.name}`, async () => {
      const [pdu] = await Promise.all([
        play({ kind: "tls", port: server.endpoint.tlsPort, key: server.endpoint.clientKey, cert: server.endpoint.clientCert }, c),
        echoscuTls(server, "DURINGTLS"),
      ]);
      assertAnswer(c.name, pdu, c.expect);
      assert.ok(server.alive());
    });
    test(`plain port: ${c.name}`, async () => {
      const [pdu] = await Promise.all([play({ kind: "plain", port: server.endpoint.plainPort }, c), echoscuTls(server, "DURINGPLAIN")]);
      assertAnswer(c.name, pdu, c.expect);
      assert.ok(server.alive());
    });
  }

  test("after all of them: alive, echoscu +tls answered, nothing caught by the boundary", async () => {
    assert.ok(server.alive(), server.logTail());
    await echoscuTls(server, "AFTER");
    const stats = await stopAndCount(server);
    assert.equal(stats["internalErrors"], 0);
    assert.equal(stats["providerRejections"], 2 * rejections);
  });
});

describe("anonymous TLS (DicomTlsRemoteCertificateRequired false), no client certificate", () => {
  let server: FuzzTarget;
  before(async () => {
    const dir = join(tmp.path, "anonymous");
    mkdirSync(dir);
    server = await startTarget(dir, { anonymousTls: true });
    targets.push(server);
  });

  for (const c of CASES) {
    test(`anonymous TLS: ${c.name}`, async () => {
      const [pdu] = await Promise.all([play({ kind: "tls", port: server.endpoint.tlsPort }, c), echoscuTls(server, "DURINGANON")]);
      assertAnswer(c.name, pdu, c.expect);
      assert.ok(server.alive());
    });
  }

  test("after all of them: alive, echoscu +tls answered, nothing caught by the boundary", async () => {
    await echoscuTls(server, "AFTER");
    const stats = await stopAndCount(server);
    assert.equal(stats["internalErrors"], 0);
    assert.equal(stats["providerRejections"], rejections);
  });
});
