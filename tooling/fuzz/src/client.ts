import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { requestAssociation } from "@dicomtls/association";
import { cEchoRq } from "@dicomtls/pdu-codec";
import { afterAcceptance, type FuzzCase } from "./cases.js";
import { Rng } from "./rng.js";
import { IMPLICIT_LE, VERIFICATION, associateRq } from "./templates.js";

/** Where the server under test listens, and the client identity for DICOM TLS. */
export interface Endpoint {
  readonly host: string;
  readonly plainPort: number;
  readonly tlsPort: number;
  readonly calledAeTitle: string;
  /** PEM key and certificate chain the server trusts (used by the cases that present a certificate). */
  readonly clientKey: string;
  readonly clientCert: string;
}

/** What the server did with one case, seen from the client. */
export interface CaseOutcome {
  /** First byte the server sent back after the fuzzed bytes (a PDU type), if any. */
  readonly firstByte: number | undefined;
  /** The server closed the connection before we gave up waiting. */
  readonly closedByServer: boolean;
}

const ASSOCIATE_AC = 0x02;

/** Collects what the server sends; resolves waits on data, close, or a timer. */
class Probe {
  readonly received: Buffer[] = [];
  closed = false;
  #wake: (() => void) | undefined;

  constructor(readonly socket: Socket) {
    socket.on("data", (b: Buffer) => {
      this.received.push(b);
      this.#notify();
    });
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.closed = true;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Waits until the server sent something, closed, or `ms` passed. */
  async settle(ms: number): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  /** The first byte received after the first `skip` chunks. */
  firstByte(skip = 0): number | undefined {
    return this.received[skip]?.[0];
  }
}

async function open(c: FuzzCase, endpoint: Endpoint, timeoutMs: number): Promise<Socket | undefined> {
  const socket =
    c.transport === "plain"
      ? netConnect({ host: endpoint.host, port: endpoint.plainPort, noDelay: true })
      : tlsConnect({
          host: endpoint.host,
          port: endpoint.tlsPort,
          // The fuzzer attacks the server; it does not judge its certificate.
          rejectUnauthorized: false,
          ...(c.clientCertificate && { key: endpoint.clientKey, cert: endpoint.clientCert }),
        });
  socket.setNoDelay(true);
  const ready = c.transport === "plain" ? "connect" : "secureConnect";
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once(ready, () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ok) socket.destroy();
  return ok ? socket : undefined;
}

/**
 * Plays one case: connect (TCP or TLS), bring the association to the case's stage, write the fuzzed chunks, then
 * wait until the server closes or stays silent for `idleMs`. Never throws: a refused connection is an outcome too.
 */
export async function runCase(c: FuzzCase, endpoint: Endpoint, seed: number, idleMs = 150): Promise<CaseOutcome> {
  const socket = await open(c, endpoint, 5_000);
  if (socket === undefined) return { firstByte: undefined, closedByServer: true };
  const probe = new Probe(socket);
  socket.on("error", () => undefined);
  try {
    if (c.stage !== "connect") {
      socket.write(associateRq(Rng.forCase(seed ^ 0xa550c, c.n), endpoint.calledAeTitle));
      await probe.settle(2_000);
      if (probe.firstByte() !== ASSOCIATE_AC || probe.closed) return { firstByte: probe.firstByte(), closedByServer: probe.closed };
      for (const b of afterAcceptance(c.stage, seed, c.n)) socket.write(b);
    }
    for (const chunk of c.chunks) if (!socket.destroyed) socket.write(chunk);
    const before = probe.received.length;
    await probe.settle(idleMs);
    // Something came back: give the server one more short moment to finish (an abort is followed by a close).
    if (!probe.closed && probe.received.length > before) await probe.settle(idleMs);
    return { firstByte: probe.firstByte(before), closedByServer: probe.closed };
  } finally {
    socket.destroy();
  }
}

/** A whole C-ECHO over plain DICOM with our own requestor: proof the server still serves. */
export async function echo(endpoint: Endpoint, callingAeTitle = "LIVENESS"): Promise<number | undefined> {
  const assoc = await requestAssociation({
    host: endpoint.host,
    port: endpoint.plainPort,
    callingAeTitle,
    calledAeTitle: endpoint.calledAeTitle,
    presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    timeouts: { connectMs: 10_000, associateMs: 10_000, dimseMs: 10_000 },
  });
  try {
    const rsp = await assoc.request(1, cEchoRq(assoc.nextMessageId()));
    return rsp.command.status;
  } finally {
    await assoc.release().catch(() => assoc.abort());
  }
}
