import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { connect, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortSource,
  CommandField,
  PduFramer,
  PduType,
  Status,
  cEchoRq,
  cEchoRsp,
  cStoreRq,
  cStoreRsp,
  decodePdu,
  encodePdu,
  encodeCommand,
  encodePDataTf,
  type Pdu,
} from "@dicomtls/pdu-codec";
import { createTestPki, type TestPki } from "@dicomtls/test-pki";
import {
  AssociationAbortedError,
  AssociationChannels,
  acceptAssociation,
  buildAssociateRq,
  requestAssociation,
  type AcceptOptions,
  type Association,
} from "../src/index.js";
import { EXPLICIT_LE, IMPLICIT_LE, VERIFICATION, listen } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

const basePolicy: AcceptOptions["policy"] = {
  abstractSyntaxes: [
    { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
  ],
};

/** An acceptor server; returns the port and the promises of what acceptAssociation resolved to. */
async function acceptor(options: Partial<AcceptOptions> = {}): Promise<{ port: number; accepted: Array<Promise<Association | undefined>> }> {
  const accepted: Array<Promise<Association | undefined>> = [];
  const srv = await listen((socket) => accepted.push(acceptAssociation(socket, { aeTitle: "ACCEPTOR", policy: basePolicy, ...options })));
  closers.push(srv.close);
  return { port: srv.port, accepted };
}

/** A raw peer speaking PDUs by hand, to break the protocol on purpose. */
class RawPeer {
  readonly socket: Socket;
  readonly #framer = new PduFramer({ maxPDataLength: 0 });
  readonly #pdus: Pdu[] = [];
  #wake: (() => void) | undefined;
  closed: Promise<void>;
  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => {
      for (const p of this.#framer.push(chunk)) this.#pdus.push(decodePdu(p));
      this.#wake?.();
    });
    this.socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
  }
  send(pdu: Pdu | Buffer): void {
    this.socket.write(Buffer.isBuffer(pdu) ? pdu : encodePdu(pdu));
  }
  async next(): Promise<Pdu> {
    for (let i = 0; i < 200; i++) {
      const p = this.#pdus.shift();
      if (p !== undefined) return p;
      await Promise.race([new Promise<void>((r) => (this.#wake = r)), this.closed, sleep(50)]);
    }
    throw new Error("no PDU from the acceptor");
  }
  async associate(): Promise<void> {
    this.send(
      buildAssociateRq(
        [
          { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
          { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
        ],
        { callingAeTitle: "RAW", calledAeTitle: "ACCEPTOR", maxPduLength: 16384 },
      ),
    );
    assert.equal((await this.next()).type, PduType.AAssociateAc);
  }
}

async function expectAbort(peer: RawPeer, reason: number): Promise<void> {
  const pdu = await peer.next();
  assert.equal(pdu.type, PduType.AAbort, `expected A-ABORT, got PDU type ${pdu.type}`);
  assert.equal((pdu).source, AbortSource.ServiceProvider);
  assert.equal((pdu).reason, reason);
}

test("a data set PDV before any command: A-ABORT source 2 reason 5, and pdu-error is published", async () => {
  const errors: unknown[] = [];
  const onError = (m: unknown): void => void errors.push(m);
  subscribe(AssociationChannels.pduError, onError);
  try {
    const { port, accepted } = await acceptor();
    const peer = new RawPeer(port);
    await peer.associate();
    peer.send(encodePDataTf({ type: PduType.PDataTf, pdvs: [{ presentationContextId: 3, isCommand: false, isLast: true, data: new Uint8Array(8) }] }));
    await expectAbort(peer, 5);
    const assoc = await accepted[0]!;
    const end = await assoc!.closed;
    assert.equal(end.kind, "aborted");
    assert.ok(errors.length >= 1);
  } finally {
    unsubscribe(AssociationChannels.pduError, onError);
  }
});

test("a PDV on a presentation context that was not accepted: A-ABORT reason 6", async () => {
  const { port } = await acceptor();
  const peer = new RawPeer(port);
  await peer.associate();
  peer.send(encodePDataTf({ type: PduType.PDataTf, pdvs: [{ presentationContextId: 9, isCommand: true, isLast: true, data: encodeCommand(cEchoRq(1)) }] }));
  await expectAbort(peer, 6);
});

test("a new command in the middle of a data set (messages interleaved): A-ABORT reason 5", async () => {
  const { port } = await acceptor({ onMessage: async (m) => void (await m.dataset?.discard()) });
  const peer = new RawPeer(port);
  await peer.associate();
  const store = encodeCommand(cStoreRq({ messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: "1.2.3" }));
  peer.send(
    encodePDataTf({
      type: PduType.PDataTf,
      pdvs: [
        { presentationContextId: 3, isCommand: true, isLast: true, data: store },
        { presentationContextId: 3, isCommand: false, isLast: false, data: new Uint8Array(16) },
        { presentationContextId: 1, isCommand: true, isLast: true, data: encodeCommand(cEchoRq(2)) },
      ],
    }),
  );
  await expectAbort(peer, 5);
});

test("an unknown PDU type: A-ABORT reason 1 (unrecognized PDU)", async () => {
  const { port } = await acceptor();
  const peer = new RawPeer(port);
  await peer.associate();
  peer.send(Buffer.from([0x09, 0, 0, 0, 0, 2, 0, 0]));
  await expectAbort(peer, 1);
});

test("a P-DATA PDU longer than our max PDU is refused before it is buffered: A-ABORT", async () => {
  const { port } = await acceptor({ maxPduLength: 16384 });
  const peer = new RawPeer(port);
  await peer.associate();
  // Only the header: the acceptor must refuse from the announced length alone.
  peer.send(Buffer.from([0x04, 0, 0x00, 0x10, 0x00, 0x00]));
  const pdu = await peer.next();
  assert.equal(pdu.type, PduType.AAbort);
  assert.equal((pdu).source, AbortSource.ServiceProvider);
});

test("ARTIM: a connection that never sends A-ASSOCIATE-RQ is closed, and no association results", async () => {
  const { port, accepted } = await acceptor({ timeouts: { artimMs: 150 } });
  const peer = new RawPeer(port);
  await peer.closed;
  assert.equal(await accepted[0]!, undefined);
});

test("a second A-ASSOCIATE-RQ on an established association: A-ABORT reason 2 (unexpected PDU)", async () => {
  const { port } = await acceptor();
  const peer = new RawPeer(port);
  await peer.associate();
  peer.send(buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "RAW", calledAeTitle: "X", maxPduLength: 0 }));
  await expectAbort(peer, 2);
});

test("the requestor's abort reaches the acceptor as an A-ABORT from the peer; pending requests fail", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { port, accepted } = await acceptor({
    onMessage: async (m) => {
      await gate;
      return { command: cEchoRsp(m.command) };
    },
  });
  const assoc = await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "REQ",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
  });
  const pending = assoc.request(1, cEchoRq(assoc.nextMessageId()));
  await sleep(20);
  await assoc.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof AssociationAbortedError && !e.byPeer);
  release();
  const theirs = (await accepted[0]!)!;
  const end = await theirs.closed;
  assert.equal(end.kind, "aborted");
  assert.ok(end.kind === "aborted" && end.error instanceof AssociationAbortedError && end.error.byPeer);
  assert.equal((await assoc.closed).kind, "aborted");
});

test("backpressure: a slow consumer keeps the unread data set bounded while 4 MB stream through 16 KB PDUs", async () => {
  const total = 4 * 1024 * 1024;
  const payload = Buffer.alloc(total);
  for (let i = 0; i < total; i++) payload[i] = (i * 31 + 7) & 0xff;
  let maxBuffered = 0;
  let digest = "";
  const hwm = 64 * 1024;
  const { port } = await acceptor({
    maxPduLength: 16384,
    datasetHighWaterMark: hwm,
    onMessage: async (m) => {
      const hash = createHash("sha256");
      let n = 0;
      for await (const chunk of m.dataset!) {
        hash.update(chunk);
        maxBuffered = Math.max(maxBuffered, m.dataset!.bufferedBytes);
        if (++n % 8 === 0) await sleep(1);
      }
      digest = hash.digest("hex");
      return { command: cStoreRsp(m.command, Status.Success) };
    },
  });
  const assoc = await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "REQ",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
  });
  assert.equal(assoc.peerMaxPduLength, 16384);
  // Streamed in odd-sized chunks: PDUs must still respect the acceptor's 16 KB limit (its framer would abort).
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < total; off += 10_007) {
      // Like a file read: each chunk arrives on a later tick.
      await Promise.resolve();
      yield payload.subarray(off, Math.min(total, off + 10_007));
    }
  }
  const rsp = await assoc.request(1, cStoreRq({ messageId: assoc.nextMessageId(), affectedSopClassUid: CT, affectedSopInstanceUid: "1.2.3.4" }), chunks());
  assert.equal(rsp.command.commandField, CommandField.CStoreRsp);
  assert.equal(rsp.command.status, Status.Success);
  assert.equal(digest, createHash("sha256").update(payload).digest("hex"));
  // Without pausing the socket the whole 4 MB would pile up; with it: the mark, one socket read and one PDU.
  assert.ok(maxBuffered <= hwm + 64 * 1024 + 16 * 1024 + 12, `buffered up to ${maxBuffered} bytes`);
  await assoc.release();
});

let pki: TestPki;
before(async () => {
  pki = await createTestPki({ name: "association-driver " });
});

test("TLS requestor: verifyTransport runs after the handshake and before the A-ASSOCIATE-RQ; a refusal is ERR_DICOM_TLS", async () => {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: pki.server.key, cert: pki.server.chain, ca: pki.trustedBundle, requestCert: true, rejectUnauthorized: true }, (s) => {
    sockets.add(s);
    void acceptAssociation(s, {
      aeTitle: "ACCEPTOR",
      policy: basePolicy,
      onAssociationRequest: () => {
        requests++;
        return { accept: true };
      },
      onMessage: (m) => ({ command: cEchoRsp(m.command) }),
    });
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as { port: number }).port;
  const tls = { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key };
  const seen: string[] = [];
  const ok = await requestAssociation({
    host: "127.0.0.1",
    port,
    tls,
    callingAeTitle: "REQ",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    verifyTransport: (socket) => {
      seen.push(`${requests}`);
      assert.equal((socket as TLSSocket).authorized, true);
    },
  });
  assert.deepEqual(seen, ["0"], "the hook ran before the acceptor saw any A-ASSOCIATE-RQ");
  assert.equal(ok.peer.tls?.authorized, true);
  assert.equal((await ok.request(1, cEchoRq(ok.nextMessageId()))).command.status, Status.Success);
  await ok.release();
  await assert.rejects(
    requestAssociation({
      host: "127.0.0.1",
      port,
      tls,
      callingAeTitle: "REQ",
      calledAeTitle: "ACCEPTOR",
      presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
      verifyTransport: () => {
        throw new Error("server certificate is not the one pinned for ACCEPTOR");
      },
    }),
    (e: unknown) => (e as { code?: string }).code === "ERR_DICOM_TLS" && /pinned for ACCEPTOR/.test((e as Error).message),
  );
  assert.equal(requests, 1, "the refused connection never sent an A-ASSOCIATE-RQ");
});
