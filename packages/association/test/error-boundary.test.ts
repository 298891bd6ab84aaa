/**
 * What no peer input may do: end the process. An AE title that cannot be one is refused with A-ASSOCIATE-RJ by the
 * provider (never echoed into the AC's encoder), and an exception out of our own code aborts that one association.
 */
import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { connect, type Socket } from "node:net";
import { after, test } from "node:test";
import { AbortSource, AssociateRjSource, PduFramer, PduType, cEchoRq, cEchoRsp, decodePdu, encodePdu, type AAssociateRq, type Pdu } from "@dicomtls/pdu-codec";
import { AssociationChannels, acceptAssociation, buildAssociateRq, requestAssociation, type AcceptOptions, type Association } from "../src/index.js";
import { IMPLICIT_LE, VERIFICATION, listen } from "./helpers.js";

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function acceptor(options: Partial<AcceptOptions> = {}): Promise<{ port: number; accepted: Array<Promise<Association | undefined>> }> {
  const accepted: Array<Promise<Association | undefined>> = [];
  const policy = { abstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }] };
  const srv = await listen((socket) => accepted.push(acceptAssociation(socket, { aeTitle: "ACCEPTOR", policy, onMessage: (m) => ({ command: cEchoRsp(m.command) }), ...options })));
  closers.push(srv.close);
  return { port: srv.port, accepted };
}

/** Sends `bytes` on a fresh connection and resolves with the first PDU the acceptor answers. */
async function firstAnswer(port: number, bytes: Buffer): Promise<Pdu> {
  const socket: Socket = connect({ host: "127.0.0.1", port, noDelay: true });
  const framer = new PduFramer({ maxPDataLength: 0 });
  try {
    return await new Promise<Pdu>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        const [first] = framer.push(chunk);
        if (first !== undefined) resolve(decodePdu(first));
      });
      socket.once("close", () => reject(new Error("closed without an answer")));
      socket.on("error", () => undefined);
      socket.write(bytes);
    });
  } finally {
    socket.destroy();
  }
}

/** An echo RQ whose 16-byte AE fields are exactly `called` and `calling` (latin1), however odd. */
function rqWithTitles(called: string, calling: string): Buffer {
  const b = encodePdu(buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "X", calledAeTitle: "Y", maxPduLength: 16384 }));
  b.write(called.padEnd(16, " "), 10, 16, "latin1");
  b.write(calling.padEnd(16, " "), 26, 16, "latin1");
  return b;
}

function collect(channel: string): { messages: unknown[]; stop: () => void } {
  const messages: unknown[] = [];
  const fn = (m: unknown): void => void messages.push(m);
  subscribe(channel, fn);
  return { messages, stop: () => unsubscribe(channel, fn) };
}

async function echoWorks(port: number): Promise<void> {
  const assoc = await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "OTHER",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
  });
  const rsp = await assoc.request(1, cEchoRq(assoc.nextMessageId()));
  assert.equal(rsp.command.status, 0);
  await assoc.release();
}

test("a calling AE title with a control byte: A-ASSOCIATE-RJ permanent, service user, reason 3, published once by the provider", async () => {
  const rejected = collect(AssociationChannels.rejected);
  try {
    const seen: string[] = [];
    const { port, accepted } = await acceptor({
      onAssociationRequest: (rq) => {
        seen.push(rq.callingAeTitle);
        return { accept: true };
      },
    });
    const rj = await firstAnswer(port, rqWithTitles("ACCEPTOR", "BAD\u0001TITLE"));
    assert.deepEqual(rj, { type: PduType.AAssociateRj, result: 1, source: AssociateRjSource.ServiceUser, reason: 3 });
    assert.equal(await accepted[0], undefined);
    assert.equal(rejected.messages.length, 1);
    assert.match(String((rejected.messages[0] as { text: string }).text), /calling AE title "BAD\\u0001TITLE".*0x01 at position 4/);
    await echoWorks(port);
    assert.deepEqual(seen, ["OTHER"], "access control never saw the refused request");
  } finally {
    rejected.stop();
  }
});

test("a called AE title with a backslash or a NUL inside: reason 7; NUL padding at the end is only padding", async () => {
  const { port } = await acceptor();
  assert.deepEqual(await firstAnswer(port, rqWithTitles("ACC\\EPTOR", "GOOD")), { type: PduType.AAssociateRj, result: 1, source: 1, reason: 7 });
  assert.deepEqual(await firstAnswer(port, rqWithTitles("ACC\0EPTOR", "GOOD")), { type: PduType.AAssociateRj, result: 1, source: 1, reason: 7 });
  const ac = await firstAnswer(port, rqWithTitles("ACCEPTOR".padEnd(16, "\0"), "MODALITY\0\0\0\0\0\0\0\0"));
  assert.equal(ac.type, PduType.AAssociateAc);
  assert.equal((ac as { calledAeTitle: string }).calledAeTitle, "ACCEPTOR");
  assert.equal((ac as { callingAeTitle: string }).callingAeTitle, "MODALITY");
});

test("an even presentation context id: A-ABORT source 2 reason 6 (invalid PDU parameter value)", async () => {
  const { port } = await acceptor();
  const rq = encodePdu(buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "X", calledAeTitle: "ACCEPTOR", maxPduLength: 0 }));
  rq[rq.indexOf(0x20, 74) + 4] = 2;
  assert.deepEqual(await firstAnswer(port, rq), { type: PduType.AAbort, source: AbortSource.ServiceProvider, reason: 6 });
  await echoWorks(port);
});

test("an A-ASSOCIATE-AC our encoder refuses: that association is aborted and counted, the next one is served", async () => {
  const internal = collect(AssociationChannels.internalError);
  try {
    // A server response longer than a user identity item holds: the AC cannot be encoded (a bug on our side, simulated).
    const { port, accepted } = await acceptor({ onAssociationRequest: () => ({ accept: true, userIdentityServerResponse: new Uint8Array(70_000) }) });
    const rq = buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "X", calledAeTitle: "ACCEPTOR", maxPduLength: 0 });
    const userIdentityRq = { type: 1, positiveResponseRequested: true, primaryField: Buffer.from("u"), secondaryField: new Uint8Array(0) } as const;
    const withIdentity: AAssociateRq = { ...rq, userInformation: { ...rq.userInformation, userIdentityRq } };
    assert.deepEqual(await firstAnswer(port, encodePdu(withIdentity)), { type: PduType.AAbort, source: AbortSource.ServiceProvider, reason: 0 });
    const assoc = await accepted[0];
    if (assoc !== undefined) assert.equal((await assoc.closed).kind, "aborted");
    assert.equal(internal.messages.length, 1);
    assert.match(String((internal.messages[0] as { error: Error }).error.stack), /PduEncodeError: item 0x50 would be \d+ bytes long/);
    const { port: port2 } = await acceptor();
    await echoWorks(port2);
  } finally {
    internal.stop();
  }
});

test("an application context other than DICOM's: A-ASSOCIATE-RJ permanent, service user, reason 2", async () => {
  const { port } = await acceptor();
  const rq = buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "X", calledAeTitle: "ACCEPTOR", maxPduLength: 0 });
  const answer = await firstAnswer(port, encodePdu({ ...rq, applicationContextName: "1.2.3.4.5" }));
  assert.deepEqual(answer, { type: PduType.AAssociateRj, result: 1, source: AssociateRjSource.ServiceUser, reason: 2 });
});
