/**
 * DicomListener's handshake cap: 200 TLS clients connecting together never have more than the cap in their
 * handshake at once (seen on `dicom:listener:handshake-start`), the rest wait their turn, and all 200 complete.
 */
import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { after, before, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { runProcess } from "@dicomtls/test-peers";
import { createTestPki, type TestPki } from "@dicomtls/test-pki";
import { DicomListener, ListenerChannels } from "../src/index.js";

const CAP = 4;
const CLIENTS = 200;
let pki: TestPki;
const accepted: Array<Socket | TLSSocket> = [];
let allAccepted!: () => void;
const acceptedAll = new Promise<void>((resolve) => {
  allAccepted = resolve;
});
let listener: DicomListener;

before(async () => {
  pki = await createTestPki({ name: "handshake-gate " });
  listener = new DicomListener({
    host: "127.0.0.1",
    port: 0,
    maxConcurrentHandshakes: CAP,
    backlog: 511,
    handshakeTimeoutMs: 60_000,
    tls: { cert: pki.server.chain, key: pki.server.key, ca: pki.trustedBundle, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" },
    onConnection: (s) => {
      s.resume();
      s.end();
      if (accepted.push(s) === CLIENTS) allAccepted();
    },
  });
  await listener.listen();
});
after(async () => {
  await listener.close();
  for (const s of accepted) s.destroy();
});

/**
 * The clients run in another process, as real peers would: in this one their own handshake work would pace the
 * server's and no two ClientHellos would ever arrive together.
 */
const CLIENT_SCRIPT = `
const tls = require("node:tls");
const { PORT, COUNT, CA, CERT, KEY } = process.env;
let done = 0;
const sockets = [];
for (let i = 0; i < Number(COUNT); i++) {
  const s = tls.connect({ host: "127.0.0.1", port: Number(PORT), ca: CA, cert: CERT, key: KEY, servername: "localhost" });
  sockets.push(s);
  s.once("secureConnect", () => {
    if (++done === Number(COUNT)) {
      console.log("secure " + done);
      // end(), not destroy(): the server must still read each Finished before the close.
      for (const x of sockets) x.end();
    }
  });
  s.on("data", () => undefined);
  s.once("error", (e) => { console.log("error " + e.message); process.exit(1); });
}
`;

test(`${CLIENTS} TLS clients at once: at most ${CAP} handshakes run together, every one completes`, { timeout: 120_000 }, async () => {
  const starts: Array<{ inProgress: number; queued: number; max: number }> = [];
  const onStart = (m: unknown): void => void starts.push(m as { inProgress: number; queued: number; max: number });
  subscribe(ListenerChannels.handshakeStart, onStart);
  try {
    const env = { ...process.env, PORT: String(listener.port), COUNT: String(CLIENTS), CA: pki.trustedBundle, CERT: pki.client.chain, KEY: pki.client.key };
    const r = await runProcess(process.execPath, ["-e", CLIENT_SCRIPT], { env, timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`secure ${CLIENTS}`), r.output);
    // The server may see the last clients' Finished after they themselves are done.
    await acceptedAll;
  } finally {
    unsubscribe(ListenerChannels.handshakeStart, onStart);
  }
  assert.equal(accepted.length, CLIENTS);
  assert.equal(starts.length, CLIENTS, "one handshake-start per connection");
  const most = Math.max(...starts.map((s) => s.inProgress));
  assert.ok(most <= CAP, `at most ${CAP} at once, saw ${most}`);
  assert.ok(starts.some((s) => s.queued > 0), `some connections had to wait: the cap was reached (${JSON.stringify(starts.slice(0, 20))})`);
  assert.deepEqual(listener.handshakes, { inProgress: 0, queued: 0 });
});
