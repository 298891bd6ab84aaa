import { cStoreRq } from "@dicomtls/pdu-codec";
import { Rng } from "./rng.js";
import {
  CT_IMAGE_STORAGE,
  ContextId,
  aAbort,
  associateAc,
  associateRj,
  associateRq,
  command,
  commandBytes,
  dataset,
  pData,
  releaseRp,
  releaseRq,
} from "./templates.js";

/** Where in the life of a connection the fuzzed bytes arrive. */
export const Stages = ["connect", "associated", "mid-dataset", "after-release"] as const;
export type Stage = (typeof Stages)[number];

export type TransportKind = "plain" | "tls";

export interface FuzzCase {
  /** Case number within the run: with the seed, all it takes to replay it. */
  readonly n: number;
  readonly transport: TransportKind;
  /** TLS only: present the client certificate (the server accepts anonymous TLS too). */
  readonly clientCertificate: boolean;
  readonly stage: Stage;
  /** What the payload is, for the crash report. */
  readonly kind: string;
  /** The fuzzed bytes, in the chunks they are written in. */
  readonly chunks: readonly Buffer[];
}

/** Byte values at the edges of the decoder's rules: zero, even, control, space, backslash, DEL, high bit. */
const EDGE = [0x00, 0x01, 0x02, 0x04, 0x07, 0x08, 0x10, 0x1f, 0x20, 0x5c, 0x7e, 0x7f, 0x80, 0xfe, 0xff];

function setLength(b: Buffer, length: number): void {
  if (b.length >= 6) b.writeUInt32BE(length >>> 0, 2);
}

/** One to three structural mutations, then (half the time) a PDU-length that agrees so the inner parsers are reached. */
export function mutate(rng: Rng, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + rng.int(3);
  for (let i = 0; i < ops && b.length > 0; i++) {
    switch (rng.int(8)) {
      case 0:
      case 1:
        b[rng.int(b.length)] = rng.chance(0.5) ? rng.pick(EDGE) : rng.int(256);
        break;
      case 2: {
        const at = rng.int(b.length);
        b[at] = ((b[at] ?? 0) + rng.pick([1, -1, 2, 0x80])) & 0xff;
        break;
      }
      case 3:
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 4:
        b = Buffer.concat([b, rng.bytes(1 + rng.int(64))]);
        break;
      case 5: {
        const at = rng.int(b.length);
        b = Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(16)), b.subarray(at)]);
        break;
      }
      case 6:
        setLength(b, rng.pick([0, 1, 0xffffffff, 0x7fffffff, b.length - 6 + rng.pick([-2, -1, 1, 2, 1000]), rng.u32()]));
        break;
      default: {
        // A 16-bit item length somewhere in the body: the shape of every PS3.8 item header.
        if (b.length > 10) b.writeUInt16BE(rng.pick([0, 1, 0xffff, rng.int(0x10000)]), 6 + rng.int(b.length - 8));
        break;
      }
    }
  }
  if (rng.chance(0.5)) setLength(b, b.length - 6);
  return b;
}

/** The hostile A-ASSOCIATE-RQs that once crashed the server, and their neighbours: AE titles and context ids. */
function hostileRq(rng: Rng): Buffer {
  const b = associateRq(rng, "DICOMTLS");
  const field = rng.pick([10, 26]);
  const title = rng.pick(["BAD\0TITLE", "TITLE".padEnd(16, "\0"), "\0".repeat(16), "A\\B", "CAF\u00c9", " ".repeat(16), "X\u0001", "\u007f"]);
  b.write(title.padEnd(16, " "), field, 16, "latin1");
  if (rng.chance(0.3)) {
    // The first presentation context item's id byte (item 0x20 after the application context item).
    const pc = b.indexOf(0x20, 74);
    if (pc > 0 && pc + 4 < b.length) b[pc + 4] = rng.pick([0, 2, 4, 254, 255]);
  }
  return b;
}

function pDataPayload(rng: Rng, stage: Stage): Buffer {
  const { contextId, command: cmd } = command(rng, 1 + rng.int(0xffff));
  const commandPdv = commandBytes(cmd);
  switch (rng.int(4)) {
    case 0:
      return mutate(rng, pData(contextId, true, true, commandPdv));
    case 1:
      // A command set whose own bytes are mutated inside a well-formed PDV.
      return pData(contextId, true, true, mutate(rng, commandPdv));
    case 2:
      return pData(stage === "mid-dataset" ? ContextId.CtStorage : contextId, false, rng.chance(0.7), mutate(rng, dataset("1.2.3.4")));
    default:
      return pData(rng.pick([0, 1, 2, 3, 5, 7, 255]), rng.chance(0.5), rng.chance(0.5), rng.bytes(rng.int(40)));
  }
}

function payload(rng: Rng, stage: Stage): { kind: string; bytes: Buffer } {
  switch (rng.int(11)) {
    case 0:
      return { kind: "random-bytes", bytes: rng.bytes(rng.int(300)) };
    case 1: {
      const body = rng.bytes(rng.int(120));
      const b = Buffer.concat([Buffer.from([rng.pick([0, 8, 9, 0x10, 0x16, 0x80, 0xff, 1 + rng.int(7)]), 0, 0, 0, 0, 0]), body]);
      setLength(b, rng.chance(0.7) ? body.length : rng.u32());
      return { kind: "unknown-or-random-pdu", bytes: b };
    }
    case 2:
    case 3:
      return { kind: "mutated-a-associate-rq", bytes: mutate(rng, associateRq(rng, rng.pick(["DICOMTLS", "ANY"]))) };
    case 4:
      return { kind: "hostile-a-associate-rq", bytes: hostileRq(rng) };
    case 5:
      return { kind: "mutated-a-associate-ac-or-rj", bytes: mutate(rng, rng.chance(0.5) ? associateAc() : associateRj()) };
    case 6:
    case 7:
      return { kind: "mutated-p-data-tf", bytes: pDataPayload(rng, stage) };
    case 8:
      return { kind: "mutated-release-or-abort", bytes: rng.chance(0.3) ? rng.pick([releaseRq, releaseRp, aAbort])() : mutate(rng, rng.pick([releaseRq, releaseRp, aAbort])()) };
    case 9:
      return { kind: "valid-pdu-out-of-order", bytes: rng.pick([associateAc, associateRj, releaseRp, releaseRq])() };
    default: {
      const a = payload(rng, stage);
      const b = payload(rng, stage);
      return { kind: `${a.kind}+${b.kind}`, bytes: Buffer.concat([a.bytes, b.bytes]) };
    }
  }
}

/** Cuts bytes into 1-4 writes so the framer sees PDUs split at arbitrary places. */
function chunk(rng: Rng, bytes: Buffer): Buffer[] {
  const cuts = [...new Set(Array.from({ length: rng.int(4) }, () => rng.int(bytes.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

/** Case `n` of the run seeded with `seed`: the same numbers always give the same case. */
export function makeCase(seed: number, n: number, transports: readonly TransportKind[] = ["plain", "tls"]): FuzzCase {
  const rng = Rng.forCase(seed, n);
  const transport = rng.pick(transports);
  const stage = rng.pick(Stages);
  const { kind, bytes } = payload(rng, stage);
  return { n, transport, clientCertificate: transport === "tls" && rng.chance(0.5), stage, kind, chunks: chunk(rng, bytes) };
}

/** What a stage sends before the fuzzed bytes, after the server accepted the association. */
export function afterAcceptance(stage: Stage, seed: number, n: number): Buffer[] {
  if (stage === "mid-dataset") {
    const rng = Rng.forCase(seed ^ 0x5eed, n);
    const uid = `1.2.826.0.1.3680043.9.7.${n}`;
    const store = commandBytes(cStoreRq({ messageId: 1, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: uid }));
    const ds = dataset(uid);
    // The command, then part of the data set without its last fragment: the server is now inside a C-STORE.
    return [pData(ContextId.CtStorage, true, true, store), pData(ContextId.CtStorage, false, false, ds.subarray(0, 1 + rng.int(ds.length - 1)))];
  }
  if (stage === "after-release") return [releaseRq()];
  return [];
}
