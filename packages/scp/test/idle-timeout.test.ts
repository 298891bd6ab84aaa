import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, test } from "node:test";
import { AssociationChannels, requestAssociation, type Association } from "@dicomtls/association";
import { CommandField, NO_DATASET, Status, cEchoRq } from "@dicomtls/pdu-codec";
import { createScp, type Scp } from "../src/index.js";
import { listen } from "./helpers.js";

const IMPLICIT_LE = "1.2.840.10008.1.2";
const VERIFICATION = "1.2.840.10008.1.1";
const OTHER = "1.2.3.4.5.6";
/** Short enough for a quick test; the assertions are about behaviour, never about elapsed time. */
const IDLE_MS = 300;

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function serve(scp: Scp): Promise<number> {
  const srv = await listen((s) => void scp.handleConnection(s));
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  return srv.port;
}

async function open(port: number, abstractSyntaxes = [VERIFICATION]): Promise<Association> {
  return await requestAssociation({
    host: "127.0.0.1",
    port,
    callingAeTitle: "SCU",
    calledAeTitle: "SCP",
    presentationContexts: abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [IMPLICIT_LE] })),
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("an association that stays idle longer than idleTimeoutMs is aborted by the SCP (as Orthanc's DicomScpTimeout)", { timeout: 20_000 }, async () => {
  const published: Array<{ timeoutMs: number; phase: string; association: Association }> = [];
  const onIdle = (m: unknown): void => void published.push(m as { timeoutMs: number; phase: string; association: Association });
  subscribe(AssociationChannels.stalled, onIdle);
  try {
    const scp = createScp({ aeTitle: "SCP", idleTimeoutMs: IDLE_MS });
    const a = await open(await serve(scp));
    const end = await a.closed;
    assert.equal(end.kind, "aborted");
    assert.ok(end.kind === "aborted" && end.error.code === "ERR_DICOM_ABORTED", String(end.kind === "aborted" && end.error.message));
    assert.deepEqual(published.map((p) => [p.timeoutMs, p.phase]), [[IDLE_MS, "command"]]);
    // The SCP's own end of it is over too (it sent the A-ABORT).
    assert.equal((await published[0]!.association.closed).kind, "aborted");
    await sleep(0);
    assert.equal(scp.associations.size, 0);
  } finally {
    unsubscribe(AssociationChannels.stalled, onIdle);
  }
});

test("an association that keeps working past several idle periods is not closed; the clock restarts after each response", async () => {
  const scp = createScp({ aeTitle: "SCP", idleTimeoutMs: IDLE_MS });
  const a = await open(await serve(scp));
  const context = a.findContext(VERIFICATION);
  assert.ok(context);
  // 12 echoes 100 ms apart: well past the idle limit in total, never idle that long in one stretch.
  for (let i = 1; i <= 12; i++) {
    const rsp = await a.request(context.id, cEchoRq(i));
    assert.equal(rsp.command.status, Status.Success);
    await sleep(IDLE_MS / 3);
  }
  assert.ok(a.isEstablished, `state ${a.state}`);
  await a.release();
  assert.equal((await a.closed).kind, "released");
});

test("a request that takes longer than the idle limit to serve is not cut off: the clock stops while it is in progress", { timeout: 20_000 }, async () => {
  const scp = createScp({ aeTitle: "SCP", idleTimeoutMs: IDLE_MS });
  scp.handle(OTHER, async function* (m) {
    // Pending responses spread over 3 idle periods, then the final one.
    for (let i = 0; i < 3; i++) {
      await sleep(IDLE_MS);
      yield { command: { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: m.command.messageId ?? 0, commandDataSetType: NO_DATASET, status: Status.Pending } };
    }
    await sleep(IDLE_MS);
    yield { command: { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: m.command.messageId ?? 0, commandDataSetType: NO_DATASET, status: Status.Success } };
  });
  const a = await open(await serve(scp), [OTHER]);
  const context = a.findContext(OTHER);
  assert.ok(context);
  const statuses: number[] = [];
  for await (const rsp of a.responses(context.id, { ...cEchoRq(1), affectedSopClassUid: OTHER })) statuses.push(rsp.command.status ?? -1);
  assert.deepEqual(statuses, [Status.Pending, Status.Pending, Status.Pending, Status.Success]);
  assert.ok(a.isEstablished, `state ${a.state}`);
  // ...and once it is done, idleness counts again.
  assert.equal((await a.closed).kind, "aborted");
});

test("idleTimeoutMs 0 (DicomScpTimeout 0): no limit", async () => {
  const scp = createScp({ aeTitle: "SCP", idleTimeoutMs: 0 });
  const a = await open(await serve(scp));
  await sleep(IDLE_MS * 3);
  assert.ok(a.isEstablished, `state ${a.state}`);
  await a.release();
});
