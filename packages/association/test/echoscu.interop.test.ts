import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { CommandField, Status, cEchoRsp } from "@dicomtls/pdu-codec";
import { dcmtkEnv, requireTool, runProcess, stopAll } from "@dicomtls/test-peers";
import { acceptAssociation, type Association, type DimseMessage } from "../src/index.js";
import { EXPLICIT_LE, IMPLICIT_LE, VERIFICATION, listen } from "./helpers.js";

requireTool("echoscu");
const closers: Array<() => Promise<void>> = [];
after(async () => {
  await stopAll();
  for (const c of closers) await c();
});

test("DCMTK echoscu (plain TCP) -> our acceptor: 3 C-ECHOs in one association, released", async () => {
  const associations: Array<Promise<Association | undefined>> = [];
  const seen: DimseMessage[] = [];
  const srv = await listen((socket) => {
    associations.push(
      acceptAssociation(socket, {
        aeTitle: "DICOMTLS",
        policy: { abstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] }] },
        onMessage: (m) => {
          seen.push(m);
          return { command: cEchoRsp(m.command, Status.Success) };
        },
      }),
    );
  });
  closers.push(srv.close);
  const r = await runProcess("echoscu", ["-v", "-aet", "ECHOSCU", "-aec", "DICOMTLS", "--repeat", "3", "127.0.0.1", String(srv.port)], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.output);
  assert.equal((r.output.match(/Received Echo Response \(Success\)/g) ?? []).length, 3, r.output);
  assert.match(r.output, /Releasing Association/);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((m) => m.command.commandField === CommandField.CEchoRq));
  const assoc = await associations[0]!;
  assert.ok(assoc);
  assert.equal(assoc.callingAeTitle, "ECHOSCU");
  // DCMTK proposes Implicit VR LE first only; our preference order decides among what it offers.
  assert.ok([EXPLICIT_LE, IMPLICIT_LE].includes(assoc.contexts[0]!.transferSyntax));
  assert.equal((await assoc.closed).kind, "released");
});

test("DCMTK echoscu sees our rejection of an unknown calling AE title", async () => {
  const srv = await listen((socket) => {
    void acceptAssociation(socket, {
      aeTitle: "DICOMTLS",
      policy: { abstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }] },
      onAssociationRequest: (rq) => (rq.callingAeTitle === "KNOWN" ? { accept: true } : { accept: false, result: 1, source: 1, reason: 3 }),
    });
  });
  closers.push(srv.close);
  const r = await runProcess("echoscu", ["-aet", "UNKNOWN", "-aec", "DICOMTLS", "127.0.0.1", String(srv.port)], { env: dcmtkEnv(), timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Association Rejected/i, r.output);
  assert.match(r.output, /Calling AE Title Not Recognized/i, r.output);
});
