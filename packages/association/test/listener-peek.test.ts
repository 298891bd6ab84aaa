/**
 * The listener peeks at the whole first TLS record before TLS reads it: a refused handshake carries the client's
 * ClientHello (to name what it offered), and accepted connections, plain or TLS, are not disturbed by the peek.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { createDevPki, parseClientHello, type DevPki } from "@dicomtls/tls-context";
import { DicomListener, ListenerRefusalReasons, type ListenerRefusal } from "../src/index.js";

/** Captured from Java 17 set up as dcm4che's storescu --tls (source noted in the vector file). */
const javaHello = (
  JSON.parse(readFileSync(new URL("../../tls-context/test/vectors/client-hello.json", import.meta.url), "utf8")) as { vectors: Array<{ name: string; hex: string }> }
).vectors.find((v) => v.name.startsWith("Java 17 JSSE as dcm4che 5 storescu --tls "))!.hex;

describe("DicomListener: the first TLS record", () => {
  let pki: DevPki;
  let listener: DicomListener;
  const refusals: ListenerRefusal[] = [];
  const waiters: Array<() => void> = [];
  const accepted: Array<{ socket: TLSSocket }> = [];

  before(async () => {
    pki = await createDevPki();
    listener = new DicomListener({
      host: "127.0.0.1",
      port: 0,
      // The strict B.12 TLS 1.2 suites only, as our default profile.
      tls: { key: pki.nodeKey, cert: pki.nodeCert, minVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384" },
      handshakeTimeoutMs: 10_000,
      onConnection: (socket) => {
        accepted.push({ socket: socket as TLSSocket });
        socket.on("data", (d: Buffer) => socket.write(d)); // echo
        socket.on("error", () => undefined);
      },
      onRefusal: (r) => {
        refusals.push(r);
        for (const w of waiters.splice(0)) w();
      },
    });
    await listener.listen();
  });
  after(async () => {
    for (const a of accepted) a.socket.destroy();
    await listener.close();
  });

  async function nextRefusal(count: number): Promise<ListenerRefusal> {
    while (refusals.length < count) await new Promise<void>((r) => waiters.push(r));
    return refusals[count - 1]!;
  }

  test("a TLS 1.2 client offering only AES128-SHA is refused, and the refusal carries its ClientHello", async () => {
    const n = refusals.length + 1;
    const s = tlsConnect({ host: "127.0.0.1", port: listener.port, ca: pki.caCert, servername: "localhost", maxVersion: "TLSv1.2", ciphers: "AES128-SHA:@SECLEVEL=0" });
    s.on("error", () => undefined);
    const r = await nextRefusal(n);
    assert.equal(r.reason, ListenerRefusalReasons.HandshakeFailed);
    assert.ok(r.clientHello, "clientHello attached");
    const hello = parseClientHello(r.clientHello);
    assert.ok(hello);
    assert.equal(hello.truncated, false);
    assert.ok(hello.cipherSuites.includes("TLS_RSA_WITH_AES_128_CBC_SHA"), hello.cipherSuites.join());
    assert.deepEqual(hello.offeredVersions, ["TLSv1.2"]);
  });

  test("the captured Java hello sent one byte at a time arrives whole in the refusal", async () => {
    const n = refusals.length + 1;
    const bytes = Buffer.from(javaHello, "hex");
    const raw = netConnect(listener.port, "127.0.0.1");
    raw.setNoDelay(true);
    raw.on("error", () => undefined);
    await new Promise<void>((r) => raw.once("connect", r));
    for (const b of bytes) await new Promise<void>((r) => raw.write(Buffer.of(b), () => r()));
    const r = await nextRefusal(n);
    raw.destroy();
    assert.ok(r.clientHello);
    assert.equal(r.clientHello.toString("hex"), javaHello);
  });

  test("an accepted TLS connection is undisturbed by the peek: data round-trips", async () => {
    const s = tlsConnect({ host: "127.0.0.1", port: listener.port, ca: pki.caCert, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      s.once("secureConnect", resolve);
      s.once("error", reject);
    });
    const payload = Buffer.alloc(100_000, 7);
    const echoed: Buffer[] = [];
    let got = 0;
    await new Promise<void>((resolve) => {
      s.on("data", (d: Buffer) => {
        echoed.push(d);
        got += d.length;
        if (got >= payload.length) resolve();
      });
      s.write(payload);
    });
    assert.ok(Buffer.concat(echoed).equals(payload));
    s.destroy();
  });
});

describe("DicomListener: plain port", () => {
  test("the first PDU byte still reaches the connection handler intact", async () => {
    let received: Buffer | undefined;
    let done!: () => void;
    const got = new Promise<void>((r) => (done = r));
    const listener = new DicomListener({
      host: "127.0.0.1",
      port: 0,
      onConnection: (socket) => {
        socket.once("data", (d: Buffer) => {
          received = d;
          socket.destroy();
          done();
        });
      },
    });
    await listener.listen();
    const c = netConnect(listener.port, "127.0.0.1");
    c.on("error", () => undefined);
    c.write(Buffer.from("0100000000020001", "hex"));
    await got;
    c.destroy();
    await listener.close();
    assert.equal(received?.toString("hex"), "0100000000020001");
  });
});
