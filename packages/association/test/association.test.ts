import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { Status, cEchoRq, cEchoRsp, CommandField } from "@dicomtls/pdu-codec";
import { acceptAssociation, requestAssociation, reject, type Association, AssociationRejectedError } from "../src/index.js";
import { IMPLICIT_LE, VERIFICATION, listen } from "./helpers.js";

const servers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of servers) await close();
});

test("C-ECHO between our requestor and our acceptor, then release", async () => {
  const accepted: Array<Promise<Association | undefined>> = [];
  const srv = await listen((socket) => {
    accepted.push(
      acceptAssociation(socket, {
        aeTitle: "ACCEPTOR",
        policy: { abstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }] },
        onMessage: (m) => (m.command.commandField === CommandField.CEchoRq ? { command: cEchoRsp(m.command) } : undefined),
      }),
    );
  });
  servers.push(srv.close);
  const assoc = await requestAssociation({
    host: "127.0.0.1",
    port: srv.port,
    callingAeTitle: "REQUESTOR",
    calledAeTitle: "ACCEPTOR",
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
  });
  assert.equal(assoc.contexts.length, 1);
  assert.equal(assoc.contexts[0]!.transferSyntax, IMPLICIT_LE);
  for (let i = 0; i < 3; i++) {
    const rsp = await assoc.request(1, cEchoRq(assoc.nextMessageId()));
    assert.equal(rsp.command.commandField, CommandField.CEchoRsp);
    assert.equal(rsp.command.status, Status.Success);
  }
  await assoc.release();
  assert.deepEqual(await assoc.closed, { kind: "released" });
  const theirs = await accepted[0]!;
  assert.ok(theirs);
  assert.equal((await theirs.closed).kind, "released");
});

test("a rejection from the acceptor's hook reaches the requestor as ERR_DICOM_ASSOCIATION_REJECTED with words", async () => {
  const srv = await listen((socket) => {
    void acceptAssociation(socket, {
      aeTitle: "ACCEPTOR",
      policy: { abstractSyntaxes: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }] },
      onAssociationRequest: (rq) => (rq.callingAeTitle === "STRANGER" ? reject(3) : { accept: true }),
    });
  });
  servers.push(srv.close);
  await assert.rejects(
    requestAssociation({
      host: "127.0.0.1",
      port: srv.port,
      callingAeTitle: "STRANGER",
      calledAeTitle: "ACCEPTOR",
      presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    }),
    (err: unknown) => {
      assert.ok(err instanceof AssociationRejectedError);
      assert.equal(err.code, "ERR_DICOM_ASSOCIATION_REJECTED");
      assert.equal(err.reason, 3);
      assert.match(err.message, /calling AE title not recognized/);
      return true;
    },
  );
});
