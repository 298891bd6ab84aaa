import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, test } from "node:test";
import { AssociationAbortedError, requestAssociation, type Association } from "@dicomtls/association";
import { CommandField, Status, cEchoRq } from "@dicomtls/pdu-codec";
import { ANY_SOP_CLASS, ScpChannels, createScp, type Scp } from "../src/index.js";
import { listen } from "./helpers.js";

const IMPLICIT_LE = "1.2.840.10008.1.2";
const VERIFICATION = "1.2.840.10008.1.1";
const OTHER = "1.2.3.4.5";
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function serve(scp: Scp): Promise<number> {
  const srv = await listen((s) => void scp.handleConnection(s));
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  return srv.port;
}

async function open(port: number, abstractSyntaxes: string[]): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "SCU",
    calledAeTitle: "SCP",
    presentationContexts: abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [IMPLICIT_LE] })),
  });
}

test("an unregistered SOP class is not accepted at negotiation (result 3) unless '*' is registered", async () => {
  const scp = createScp({ aeTitle: "SCP" });
  const port = await serve(scp);
  const a = await open(port, [VERIFICATION, OTHER]);
  assert.deepEqual(a.outcomes.map((o) => o.result), [0, 3]);
  await a.release();
  scp.handle(ANY_SOP_CLASS, (m) => ({ command: { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: m.command.messageId ?? 0, commandDataSetType: 0x0101, status: Status.Success } }));
  const b = await open(port, [OTHER]);
  assert.deepEqual(b.outcomes.map((o) => o.result), [0]);
  assert.equal((await b.request(1, cEchoRq(b.nextMessageId(), OTHER))).command.status, Status.Success);
  await b.release();
});

test("a handler that throws gives the peer a failure status (C001) with the error comment, and publishes handler-error", async () => {
  const seen: unknown[] = [];
  const onErr = (m: unknown): void => void seen.push(m);
  subscribe(ScpChannels.handlerError, onErr);
  try {
    const scp = createScp({ aeTitle: "SCP" }).handle(VERIFICATION, () => {
      throw new Error("disk full");
    });
    const port = await serve(scp);
    const a = await open(port, [VERIFICATION]);
    const rsp = await a.request(1, cEchoRq(a.nextMessageId()));
    assert.equal(rsp.command.status, Status.UnableToProcess);
    assert.equal(rsp.command.errorComment, "disk full");
    assert.equal(seen.length, 1);
    await a.release();
  } finally {
    unsubscribe(ScpChannels.handlerError, onErr);
  }
});

test("authorizeCommand refusing a command aborts the association (as Orthanc does)", async () => {
  const scp = createScp({ aeTitle: "SCP", authorizeCommand: (_m, assoc) => (assoc.callingAeTitle === "SCU" ? { allow: false, why: "C-ECHO not allowed for SCU" } : { allow: true }) });
  const port = await serve(scp);
  const a = await open(port, [VERIFICATION]);
  await assert.rejects(a.request(1, cEchoRq(a.nextMessageId())), (e: unknown) => e instanceof AssociationAbortedError && e.byPeer);
  assert.equal((await a.closed).kind, "aborted");
});

test("close() lets an idle association go after the timeout by aborting it, and refuses new ones", async () => {
  const scp = createScp({ aeTitle: "SCP" });
  const port = await serve(scp);
  const a = await open(port, [VERIFICATION]);
  // Wait until the SCP has registered it.
  for (let i = 0; i < 100 && scp.associations.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(scp.associations.size, 1);
  await scp.close({ timeoutMs: 50 });
  const end = await a.closed;
  assert.equal(end.kind, "aborted");
  assert.equal(scp.associations.size, 0);
  await assert.rejects(open(port, [VERIFICATION]));
});
