import { strict as assert } from "node:assert";
import { after, before, test } from "node:test";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Association } from "@dicomtls/association";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { dcmtkEnv, requireTool, runProcess, stopAll, tempDir } from "@dicomtls/test-peers";
import { createScp } from "../src/index.js";
import { listen } from "./helpers.js";

requireTool("echoscu");
const closers: Array<() => Promise<void> | void> = [];
let pki: TestPki;
let files: { clientKey: string; clientCrt: string; ca: string };
const tmp = tempDir("dicomtls-scp-");

before(async () => {
  pki = await createTestPki({ name: "scp-echo " });
  const client = writeCert(tmp.path, "client", pki.client);
  files = { clientKey: client.keyFile, clientCrt: client.certFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
});
after(async () => {
  await stopAll();
  for (const c of closers) await c();
  tmp.remove();
});

test("echoscu over plain TCP: Verification is served by default, 2 echoes, released", async () => {
  const scp = createScp({ aeTitle: "DICOMTLS" });
  const opened: Array<Promise<Association | undefined>> = [];
  const srv = await listen((s) => opened.push(scp.handleConnection(s)));
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  const r = await runProcess("echoscu", ["-v", "--repeat", "2", "-aet", "MODALITY", "-aec", "DICOMTLS", "127.0.0.1", String(srv.port)], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.output);
  assert.equal((r.output.match(/Received Echo Response \(Success\)/g) ?? []).length, 2, r.output);
  const assoc = await opened[0]!;
  assert.ok(assoc);
  assert.equal((await assoc.closed).kind, "released");
  assert.equal(scp.associations.size, 0);
});

test("echoscu +tls with a client certificate: the verify hook sees it before any PDU, echo succeeds", async () => {
  const verified: string[] = [];
  let handshakeSeenBeforeRq = false;
  const scp = createScp({
    aeTitle: "DICOMTLS",
    verifyTransport: (socket: Socket) => {
      assert.ok(socket instanceof TLSSocket);
      verified.push(socket.getPeerX509Certificate()?.subject ?? "none");
    },
    onAssociationRequest: (rq) => {
      handshakeSeenBeforeRq = verified.length === 1;
      return rq.callingAeTitle === "MODALITY" ? { accept: true } : { accept: false, result: 1, source: 1, reason: 3 };
    },
  });
  const srv = await listen((s) => void scp.handleConnection(s), {
    key: pki.server.key,
    cert: pki.server.chain,
    ca: pki.trustedBundle,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
  });
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  const r = await runProcess(
    "echoscu",
    ["-v", "+tls", files.clientKey, files.clientCrt, "+cf", files.ca, "-aet", "MODALITY", "-aec", "DICOMTLS", "127.0.0.1", String(srv.port)],
    { env: dcmtkEnv(), timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Received Echo Response \(Success\)/, r.output);
  assert.equal(verified.length, 1);
  assert.match(verified[0]!, /client/);
  assert.ok(handshakeSeenBeforeRq, "verifyTransport must run before the A-ASSOCIATE-RQ is read");
});

test("a refused association: echoscu reports the rejection and no handler runs", async () => {
  let handled = 0;
  const scp = createScp({
    aeTitle: "DICOMTLS",
    checkCalledAeTitle: true,
  });
  scp.handle("1.2.840.10008.1.1", () => {
    handled++;
    return undefined;
  });
  const srv = await listen((s) => void scp.handleConnection(s));
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  const r = await runProcess("echoscu", ["-aet", "MODALITY", "-aec", "SOMEONE_ELSE", "127.0.0.1", String(srv.port)], { env: dcmtkEnv(), timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Association Rejected/i, r.output);
  assert.match(r.output, /Called AE Title Not Recognized/i, r.output);
  assert.equal(handled, 0);
});

test("a verify hook that refuses the certificate closes the TLS connection before any PDU", async () => {
  let requests = 0;
  const scp = createScp({
    aeTitle: "DICOMTLS",
    verifyTransport: () => {
      throw new Error("certificate not bound to this AE title");
    },
    onAssociationRequest: () => {
      requests++;
      return { accept: true };
    },
  });
  const srv = await listen((s) => void scp.handleConnection(s), {
    key: pki.server.key,
    cert: pki.server.chain,
    ca: pki.trustedBundle,
    requestCert: true,
    rejectUnauthorized: true,
  });
  closers.push(srv.close, () => scp.close({ timeoutMs: 0 }));
  const r = await runProcess(
    "echoscu",
    ["+tls", files.clientKey, files.clientCrt, "+cf", files.ca, "-aet", "MODALITY", "-aec", "DICOMTLS", "127.0.0.1", String(srv.port)],
    { env: dcmtkEnv(), timeoutMs: 30_000 },
  );
  assert.notEqual(r.code, 0, r.output);
  assert.equal(requests, 0);
});
