/**
 * The floor for a C-ECHO SCP in Node (issue 13): a bare TLS server that answers DCMTK echoscu with hand-built PDUs
 * (A-ASSOCIATE-AC, a C-ECHO-RSP patched with the Message ID, A-RELEASE-RP) and nothing else: no state machine, no
 * DIMSE codec, no logging. Its CPU per echo is what Node's TLS socket, streams and event loop cost; dicomtls-server's
 * CPU above it is ours. All three servers answer echoscu --repeat N in the same run; CPU from /proc, user + system.
 * Run after `pnpm build`: node --conditions=dicomtls-source --import tsx tooling/bench/src/echo-floor.ts [--n 10000] [--rounds 3]
 *   [--before ROOT] (another built checkout's server too, e.g. /work/main)
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type TLSSocket } from "node:tls";
import { dcmtkEnv, freePort, repoRoot, requireTool, startProcess, stopAll, tempDir, waitListening } from "@dicomtls/test-peers";
import { makeDevPki, median, printTable, processCpuSeconds, startDicomTls, startStorescp, timedRun, type DevPki } from "./lib/index.js";

const VERIFICATION = "1.2.840.10008.1.1";
const BEFORE = ((i: number) => (i >= 0 ? process.argv[i + 1] : undefined))(process.argv.indexOf("--before"));
const IMPLICIT_VR_LE = "1.2.840.10008.1.2";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function item(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** PS3.8 §9.3.3: accepts presentation context `pcId` with Implicit VR LE; AE titles copied from the request. */
function associateAc(rq: Buffer, pcId: number): Buffer {
  const fixed = Buffer.from(rq.subarray(6, 6 + 68)); // protocol version, reserved, called, calling, 32 reserved
  const pc = item(0x21, Buffer.concat([Buffer.from([pcId, 0, 0, 0]), item(0x40, Buffer.from(IMPLICIT_VR_LE))]));
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(16384);
  const user = item(0x50, Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from("1.2.826.0.1.3680043.10.1.99"))]));
  return pdu(0x02, Buffer.concat([fixed, item(0x10, Buffer.from("1.2.840.10008.3.1.1.1")), pc, user]));
}

/** The first presentation context item (0x20) of an A-ASSOCIATE-RQ: its ID. */
function firstContextId(rq: Buffer): number {
  for (let pos = 6 + 68; pos + 4 <= rq.length; pos += 4 + rq.readUInt16BE(pos + 2)) if (rq[pos] === 0x20) return rq[pos + 4] ?? 1;
  return 1;
}

/** A C-ECHO-RSP P-DATA-TF (PS3.7 §9.3.5.2) whose Message ID Being Responded To is at `MESSAGE_ID_AT`. */
function echoRspTemplate(pcId: number): Buffer {
  const el = (element: number, value: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(element, 2);
    h.writeUInt32LE(value.length, 4);
    return Buffer.concat([h, value]);
  };
  const us = (n: number): Buffer => Buffer.from([n & 0xff, n >> 8]);
  const body = Buffer.concat([el(0x0002, Buffer.from(`${VERIFICATION}\0`)), el(0x0100, us(0x8030)), el(0x0120, us(0)), el(0x0800, us(0x0101)), el(0x0900, us(0))]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  const command = Buffer.concat([el(0x0000, groupLength), body]);
  const pdv = Buffer.concat([Buffer.alloc(4), Buffer.from([pcId, 0x03]), command]);
  pdv.writeUInt32BE(command.length + 2, 0);
  return pdu(0x04, pdv);
}
/** Where the response's (0000,0120) value sits: PDU 6 + PDV 6 + group length 12 + UI 8+18 + US 8+2 + header 8. */
const MESSAGE_ID_AT = 6 + 6 + 12 + 26 + 10 + 8;

/** The Message ID (0000,0110) of a command set. */
function messageId(command: Buffer): number {
  for (let pos = 0; pos + 8 <= command.length; pos += 8 + command.readUInt32LE(pos + 4)) {
    if (command.readUInt16LE(pos) === 0 && command.readUInt16LE(pos + 2) === 0x0110) return command.readUInt16LE(pos + 8);
  }
  return 0;
}

function serveConnection(socket: TLSSocket): void {
  socket.setNoDelay(true);
  let pending: Buffer = Buffer.alloc(0);
  let template: Buffer | undefined;
  let command: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 6 && pending.length >= 6 + pending.readUInt32BE(2)) {
      const length = 6 + pending.readUInt32BE(2);
      const p = pending.subarray(0, length);
      pending = pending.subarray(length);
      if (p[0] === 0x01) {
        const pcId = firstContextId(p);
        template = echoRspTemplate(pcId);
        socket.write(associateAc(p, pcId));
      } else if (p[0] === 0x04 && template !== undefined) {
        for (let pos = 6; pos < p.length; pos += 4 + p.readUInt32BE(pos)) {
          command.push(p.subarray(pos + 6, pos + 4 + p.readUInt32BE(pos)));
          if (((p[pos + 5] ?? 0) & 0x02) === 0) continue;
          const rsp = Buffer.from(template);
          rsp.writeUInt16LE(messageId(command.length === 1 ? command[0]! : Buffer.concat(command)), MESSAGE_ID_AT);
          command = [];
          socket.write(rsp);
        }
      } else if (p[0] === 0x05) {
        socket.end(pdu(0x06, Buffer.alloc(4)));
      } else {
        socket.destroy();
      }
    }
  });
  socket.on("error", () => socket.destroy());
}

async function serve(port: number, pkiDir: string): Promise<void> {
  const read = (name: string): Buffer => readFileSync(join(pkiDir, name));
  const server = createServer({ key: read("node.key"), cert: read("node.crt"), ca: read("ca.crt"), requestCert: true }, serveConnection);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  console.log(`floor listening on ${port}`);
}

async function bench(): Promise<void> {
  const n = flag("--n", 10000);
  const rounds = flag("--rounds", 3);
  requireTool("echoscu");
  const tmp = tempDir("dicomtls-echo-floor-");
  try {
    const pki = await makeDevPki(join(tmp.path, "pki"));
    const storescp = await startStorescp({ outputDir: tmp.path, pki });
    const dicomtls = await startDicomTls({ dir: tmp.path, pki, serverBin: join(repoRoot, "apps/server/bin/dicomtls-server.js") });
    const floorPort = await freePort();
    const floor = await startProcess(process.execPath, [...process.execArgv, process.argv[1]!, "--serve", String(floorPort), pki.dir], { readyPattern: /floor listening/ });
    await waitListening(floorPort);
    const targets = [
      { name: "storescp (DCMTK)", port: storescp.port, aet: "STORESCP", pid: storescp.process.pid },
      { name: "Node TLS floor", port: floorPort, aet: "FLOOR", pid: floor.pid },
      { name: "dicomtls-server", port: dicomtls.port, aet: "DICOMTLS", pid: dicomtls.process.pid },
    ];
    if (BEFORE !== undefined) {
      mkdirSync(join(tmp.path, "before"));
      const before = await startDicomTls({ dir: join(tmp.path, "before"), pki, serverBin: join(BEFORE, "apps/server/bin/dicomtls-server.js") });
      targets.push({ name: `dicomtls-server (${BEFORE})`, port: before.port, aet: "DICOMTLS", pid: before.process.pid });
    }
    const echo = (t: (typeof targets)[number], count: number, p: DevPki): Promise<unknown> =>
      timedRun("echoscu", ["--repeat", String(count), "-aet", "ECHOSCU", "-aec", t.aet, "+tls", p.clientKey, p.clientCert, "+cf", p.caCert, "127.0.0.1", String(t.port)], { env: dcmtkEnv(), timeoutMs: 600_000 });
    const samples = new Map<string, number[]>();
    const walls = new Map<string, number[]>();
    for (const t of targets) await echo(t, 500, pki);
    for (let r = 0; r < rounds; r++) {
      for (const t of targets) {
        const c0 = processCpuSeconds(t.pid);
        await echo(t, 1, pki);
        const c1 = processCpuSeconds(t.pid);
        const t1 = process.hrtime.bigint();
        await echo(t, n, pki);
        const wall = Number(process.hrtime.bigint() - t1) / 1e6;
        const c2 = processCpuSeconds(t.pid);
        samples.set(t.name, [...(samples.get(t.name) ?? []), ((c2 - c1 - (c1 - c0)) * 1000) / (n - 1)]);
        walls.set(t.name, [...(walls.get(t.name) ?? []), wall / n]);
      }
    }
    const ref = median(samples.get("storescp (DCMTK)") ?? []);
    const refWall = median(walls.get("storescp (DCMTK)") ?? []);
    console.log(`C-ECHO over DICOM TLS from echoscu, N=${n}, median of ${rounds}: server CPU per echo (/proc, user + system)`);
    printTable(
      ["server", "CPU ms/echo", "vs storescp", "wall ms/echo (with setup)", "vs storescp"],
      targets.map((t) => {
        const m = median(samples.get(t.name) ?? []);
        const w = median(walls.get(t.name) ?? []);
        return [t.name, m.toFixed(4), `${(m / ref).toFixed(2)}x`, w.toFixed(4), `${(w / refWall).toFixed(2)}x`];
      }),
    );
  } finally {
    await stopAll();
    tmp.remove();
  }
}

const at = process.argv.indexOf("--serve");
if (at >= 0) await serve(Number(process.argv[at + 1]), String(process.argv[at + 2]));
else await bench();
