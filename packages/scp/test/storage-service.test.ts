import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, describe, test } from "node:test";
import { requestAssociation, type Association, type DatasetStream } from "@dicomtls/association";
import { createCodecRunner, type DatasetHeader } from "@dicomtls/dataset";
import { Status, cStoreRq } from "@dicomtls/pdu-codec";
import { SyntheticTransferSyntax, makeDataset, resolveSpec, type SyntheticDatasetSpec } from "@dicomtls/test-peers";
import {
  StorageChannels,
  StoreRefusedError,
  createScp,
  createStorageService,
  type InstanceSink,
  type InstanceSinkWriter,
  type StorageServiceOptions,
  type StoreBeginInfo,
  type StoredInstance,
} from "../src/index.js";
import { listen } from "./helpers.js";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const CT = "1.2.840.10008.5.1.4.1.1.2";
const MAX_PDU = 16 * 1024;

const codec = createCodecRunner({ threads: 0 });
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  await codec.close();
});

interface SinkRecord {
  info: StoreBeginInfo;
  bytes: number;
  hash: ReturnType<typeof createHash>;
  state: "open" | "committed" | "aborted";
  header?: DatasetHeader;
}

/** A sink that hashes what it is given; knobs make it slow or failing. */
class MemorySink implements InstanceSink {
  readonly records: SinkRecord[] = [];
  failBegin: Error | undefined;
  failWriteAt: number | undefined;
  writeError: Error = new Error("ENOSPC: no space left on device");
  writeDelayMs = 0;
  duplicate = false;
  beginDelayMs = 0;
  onWrite: (() => void) | undefined;

  async begin(info: StoreBeginInfo): Promise<InstanceSinkWriter> {
    if (this.beginDelayMs > 0) await new Promise((r) => setTimeout(r, this.beginDelayMs));
    if (this.failBegin !== undefined) throw this.failBegin;
    const rec: SinkRecord = { info, bytes: 0, hash: createHash("sha256"), state: "open" };
    this.records.push(rec);
    return {
      write: async (chunk: Uint8Array) => {
        this.onWrite?.();
        if (this.failWriteAt !== undefined && rec.bytes + chunk.byteLength > this.failWriteAt) throw this.writeError;
        if (this.writeDelayMs > 0) await new Promise((r) => setTimeout(r, this.writeDelayMs));
        rec.hash.update(chunk);
        rec.bytes += chunk.byteLength;
      },
      commit: (header: DatasetHeader) => {
        assert.equal(rec.state, "open");
        rec.state = "committed";
        rec.header = header;
        return Promise.resolve({ duplicate: this.duplicate, location: `mem/${info.sopInstanceUid}`, size: rec.bytes });
      },
      abort: () => {
        if (rec.state === "open") rec.state = "aborted";
        return Promise.resolve();
      },
    };
  }

  committed(): SinkRecord[] {
    return this.records.filter((r) => r.state === "committed");
  }
}

/** A sink whose writers take chunks through accept(): a promise only every `pauseEvery` chunks, or to fail. */
class AcceptSink extends MemorySink {
  pauseEvery = 7;
  failAcceptAt: number | undefined;
  failSynchronously = false;
  writeCalls = 0;
  acceptCalls = 0;

  override async begin(info: StoreBeginInfo): Promise<InstanceSinkWriter> {
    const inner = await super.begin(info);
    const rec = this.records[this.records.length - 1]!;
    return {
      ...inner,
      write: (chunk) => {
        this.writeCalls++;
        return inner.write(chunk);
      },
      accept: (chunk) => {
        this.acceptCalls++;
        if (this.failAcceptAt !== undefined && rec.bytes + chunk.byteLength > this.failAcceptAt) {
          if (this.failSynchronously) throw this.writeError;
          return Promise.reject(this.writeError);
        }
        rec.hash.update(chunk);
        rec.bytes += chunk.byteLength;
        return this.acceptCalls % this.pauseEvery === 0 ? new Promise((r) => setTimeout(r, 1)) : undefined;
      },
    };
  }
}

async function serve(sink: InstanceSink, options: Partial<StorageServiceOptions> = {}, capture?: (d: DatasetStream | undefined) => void) {
  const scp = createScp({ aeTitle: "STORE-SCP", maxPduLength: MAX_PDU });
  const service = createStorageService({ sink, codec, ...options });
  service.register(capture === undefined ? scp : { handle: (uid, _h, o) => scp.handle(uid, (m, c) => (capture(m.dataset), service.handler(m, c)), o) });
  const srv = await listen((s) => void scp.handleConnection(s));
  closers.push(() => scp.close({ timeoutMs: 0 }), srv.close);
  return { port: srv.port, service, scp };
}

async function open(port: number, contexts: Array<{ abstractSyntax: string; transferSyntaxes: string[] }>): Promise<Association> {
  const a = await requestAssociation({ host: "127.0.0.1", port, callingAeTitle: "MODALITY", calledAeTitle: "STORE-SCP", presentationContexts: contexts, maxPduLength: MAX_PDU });
  closers.push(() => a.abort().catch(() => undefined));
  return a;
}

async function store(a: Association, spec: SyntheticDatasetSpec, overrides: { sopInstanceUid?: string; sopClassUid?: string; dataset?: Uint8Array } = {}) {
  const s = resolveSpec(spec);
  const ctx = a.contexts.find((c) => c.transferSyntax === s.transferSyntax && (c.abstractSyntax === (overrides.sopClassUid ?? s.sopClassUid)))!;
  assert.ok(ctx, `no accepted context for ${s.sopClassUid} / ${s.transferSyntax}`);
  const rq = cStoreRq({ messageId: a.nextMessageId(), affectedSopClassUid: overrides.sopClassUid ?? s.sopClassUid, affectedSopInstanceUid: overrides.sopInstanceUid ?? s.sopInstanceUid });
  const dataset = overrides.dataset ?? makeDataset(s);
  const rsp = await a.request(ctx.id, rq, dataset);
  return { status: rsp.command.status, comment: rsp.command.errorComment, dataset, spec: s };
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

describe("Storage SCP service", () => {
  test("stores Explicit and Implicit VR LE datasets byte for byte, answers Success after commit, with the identifiers parsed", async () => {
    const sink = new MemorySink();
    const { port, service } = await serve(sink);
    const hooked: StoredInstance[] = [];
    service.onInstanceStored((i) => void hooked.push(i));
    const published: unknown[] = [];
    const onStored = (m: unknown): void => void published.push(m);
    subscribe(StorageChannels.instanceStored, onStored);
    try {
      const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] }, { abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] }]);
      // Our preference wins where the peer offers both: Explicit VR LE.
      assert.deepEqual(a.contexts.map((c) => c.transferSyntax), [EXPLICIT_LE, IMPLICIT_LE]);
      const one = await store(a, { seed: 11, rows: 256, columns: 256, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian, patientId: "PID-11" });
      const two = await store(a, { seed: 12, frames: 3, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian });
      assert.equal(one.status, Status.Success);
      assert.equal(two.status, Status.Success);
      await a.release();

      const [r1, r2] = sink.committed();
      assert.equal(sink.records.length, 2);
      assert.equal(r1!.hash.digest("hex"), sha(one.dataset));
      assert.equal(r2!.hash.digest("hex"), sha(two.dataset));
      assert.equal(r1!.info.transferSyntaxUid, EXPLICIT_LE);
      assert.equal(r2!.info.transferSyntaxUid, IMPLICIT_LE);
      assert.equal(r1!.info.callingAeTitle.trim(), "MODALITY");
      assert.equal(r1!.info.sopInstanceUid, one.spec.sopInstanceUid);
      assert.equal(r1!.header!.sopInstanceUid, one.spec.sopInstanceUid);
      assert.equal(r1!.header!.patientId, "PID-11");
      assert.equal(r2!.header!.studyInstanceUid, two.spec.studyInstanceUid);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(hooked.map((h) => h.sopInstanceUid), [one.spec.sopInstanceUid, two.spec.sopInstanceUid]);
      assert.equal(hooked[0]!.datasetBytes, one.dataset.byteLength);
      assert.equal(published.length, 2);
    } finally {
      unsubscribe(StorageChannels.instanceStored, onStored);
    }
  });

  test("a dataset whose SOP Instance UID (or Class UID) differs from the command's: A900, nothing committed", async () => {
    const sink = new MemorySink();
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }, { abstractSyntax: "1.2.840.10008.5.1.4.1.1.4", transferSyntaxes: [EXPLICIT_LE] }]);
    const r = await store(a, { seed: 21 }, { sopInstanceUid: "1.2.3.4.5.6.7.8" });
    assert.equal(r.status, Status.DataSetDoesNotMatchSopClass);
    assert.match(r.comment ?? "", /SOP Instance UID/);
    const c = await store(a, { seed: 22 }, { sopClassUid: "1.2.840.10008.5.1.4.1.1.4" });
    assert.equal(c.status, 0xa900);
    assert.match(c.comment ?? "", /SOP Class UID/);
    await a.release();
    assert.equal(sink.committed().length, 0);
    assert.deepEqual(sink.records.map((x) => x.state), ["aborted", "aborted"]);
  });

  test("a dataset that does not parse: C000, nothing committed; the association goes on", async () => {
    const sink = new MemorySink();
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const garbage = Buffer.alloc(200_000, 0xff);
    const r = await store(a, { seed: 31 }, { dataset: garbage });
    assert.equal(r.status, Status.CannotUnderstand);
    const empty = await store(a, { seed: 32 }, { dataset: new Uint8Array(0) });
    assert.equal(empty.status, Status.CannotUnderstand);
    const ok = await store(a, { seed: 33 });
    assert.equal(ok.status, Status.Success);
    await a.release();
    assert.equal(sink.committed().length, 1);
    assert.equal(sink.records[0]!.state, "aborted");
  });

  test("the sink failing answers A700 (or the status of a StoreRefusedError) and aborts the writer", async () => {
    const sink = new MemorySink();
    const { port, service } = await serve(sink);
    const failures: number[] = [];
    const reasons: string[] = [];
    service.onStoreFailed((f) => {
      failures.push(f.status);
      reasons.push(f.reason);
    });
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    sink.failWriteAt = 100_000;
    const big = await store(a, { seed: 41, rows: 512, columns: 512 });
    assert.equal(big.status, Status.OutOfResources);
    assert.equal(big.comment, "out of resources");
    sink.failWriteAt = undefined;
    sink.failBegin = new StoreRefusedError(0xa701, "quota of MODALITY exceeded");
    const refused = await store(a, { seed: 42 });
    assert.equal(refused.status, 0xa701);
    sink.failBegin = undefined;
    const ok = await store(a, { seed: 43 });
    assert.equal(ok.status, Status.Success);
    await a.release();
    assert.deepEqual(failures, [0xa700, 0xa701]);
    assert.match(reasons[0]!, /ENOSPC/);
    assert.equal(refused.comment, "quota of MODALITY exceeded");
    assert.deepEqual(sink.records.map((x) => x.state), ["aborted", "committed"]);
  });

  test("a writer with accept(): fragments go through it (never write), byte for byte, pausing when it returns a promise; its failures answer A700", async () => {
    const sink = new AcceptSink();
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const r = await store(a, { seed: 81, rows: 1024, columns: 1024, frames: 2 });
    assert.equal(r.status, Status.Success);
    assert.equal(sink.committed()[0]!.hash.digest("hex"), sha(r.dataset));
    assert.ok(sink.acceptCalls > sink.pauseEvery, `${sink.acceptCalls} accept calls`);
    assert.equal(sink.writeCalls, 0);
    sink.failAcceptAt = 200_000;
    assert.equal((await store(a, { seed: 82, rows: 512, columns: 512 })).status, Status.OutOfResources);
    sink.failSynchronously = true;
    assert.equal((await store(a, { seed: 83, rows: 512, columns: 512 })).status, Status.OutOfResources);
    sink.failAcceptAt = undefined;
    assert.equal((await store(a, { seed: 84 })).status, Status.Success);
    await a.release();
    assert.deepEqual(sink.records.map((x) => x.state), ["committed", "aborted", "aborted", "committed"]);
  });

  test("a sink slow to open: the first PDVs wait (up to 1 MB, then the socket pauses) and land in order", async () => {
    const sink = new MemorySink();
    sink.beginDelayMs = 40;
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const small = await store(a, { seed: 56, rows: 128, columns: 128 }); // 32 KB: complete before the writer exists
    const large = await store(a, { seed: 57, rows: 1024, columns: 1024, frames: 2 }); // 4 MB: past the 1 MB held
    sink.failBegin = new Error("EACCES: permission denied");
    const refused = await store(a, { seed: 58, rows: 1024, columns: 1024 });
    await a.release();
    assert.deepEqual([small.status, large.status, refused.status], [Status.Success, Status.Success, Status.OutOfResources]);
    const [r1, r2] = sink.committed();
    assert.equal(r1!.hash.digest("hex"), sha(small.dataset));
    assert.equal(r2!.hash.digest("hex"), sha(large.dataset));
  });

  test("a duplicate the sink keeps is answered Success", async () => {
    const sink = new MemorySink();
    sink.duplicate = true;
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    assert.equal((await store(a, { seed: 51 })).status, Status.Success);
    await a.release();
  });

  test("identifiers past the first prefix: the probe parses again with a longer prefix", async () => {
    const sink = new MemorySink();
    const { port } = await serve(sink, { headerPrefixBytes: 48 });
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const r = await store(a, { seed: 61, patientId: "FAR-AWAY" });
    assert.equal(r.status, Status.Success);
    await a.release();
    assert.equal(sink.committed()[0]!.header!.patientId, "FAR-AWAY");
  });

  test("a slow writer pauses the socket: unread bytes stay bounded while 8 MB stream through", async () => {
    const sink = new MemorySink();
    sink.writeDelayMs = 2;
    let stream: DatasetStream | undefined;
    let maxBuffered = 0;
    sink.onWrite = () => {
      maxBuffered = Math.max(maxBuffered, stream?.bufferedBytes ?? 0);
    };
    const { port } = await serve(sink, {}, (d) => {
      stream = d;
    });
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const r = await store(a, { seed: 71, rows: 1024, columns: 1024, frames: 4 });
    assert.equal(r.status, Status.Success);
    await a.release();
    assert.equal(sink.committed()[0]!.hash.digest("hex"), sha(r.dataset));
    // High-water mark 4 PDUs, plus what one socket read already framed.
    assert.ok(maxBuffered > 0 && maxBuffered <= 4 * MAX_PDU + 128 * 1024, `max unread ${maxBuffered} bytes`);
  });

  test("the association aborted mid-dataset: the writer is aborted, nothing committed", async () => {
    const sink = new MemorySink();
    const { port } = await serve(sink);
    const a = await open(port, [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    const s = resolveSpec({ seed: 81, rows: 512, columns: 512 });
    const full = makeDataset(s);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* chunks() {
      yield full.subarray(0, 100_000);
      await gate;
    }
    const rsp = a.request(a.contexts[0]!.id, cStoreRq({ messageId: a.nextMessageId(), affectedSopClassUid: CT, affectedSopInstanceUid: s.sopInstanceUid }), chunks());
    for (let i = 0; i < 200 && (sink.records[0]?.bytes ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sink.records[0]!.bytes > 0);
    await a.abort();
    release();
    await assert.rejects(rsp);
    for (let i = 0; i < 200 && sink.records[0]!.state === "open"; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sink.records[0]!.state, "aborted");
  });

  test("UnknownSopClassAccepted: any abstract syntax is accepted for storage only when asked", async () => {
    const odd = "1.2.826.0.1.3680043.9.9999.1";
    const strict = await serve(new MemorySink());
    const a = await open(strict.port, [{ abstractSyntax: odd, transferSyntaxes: [EXPLICIT_LE] }, { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }]);
    assert.deepEqual(a.outcomes.map((o) => o.result), [3, 0]);
    await a.release();

    const sink = new MemorySink();
    const lenient = await serve(sink, { unknownSopClassAccepted: true });
    const b = await open(lenient.port, [{ abstractSyntax: odd, transferSyntaxes: [EXPLICIT_LE] }]);
    assert.deepEqual(b.outcomes.map((o) => o.result), [0]);
    assert.equal((await store(b, { seed: 91, sopClassUid: odd })).status, Status.Success);
    await b.release();
    assert.equal(sink.committed().length, 1);
  });

  test("registers all 190 storage SOP classes with the configured transfer syntaxes, Explicit VR LE first", async () => {
    const { scp, service } = await serve(new MemorySink(), { transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE, "1.2.840.10008.1.2.4.50"] });
    assert.equal(service.sopClasses.length, 190);
    const reg = scp.services.lookup("1.2.840.10008.5.1.4.1.1.481.5");
    assert.deepEqual(reg?.transferSyntaxes, [EXPLICIT_LE, IMPLICIT_LE, "1.2.840.10008.1.2.4.50"]);
    assert.equal(scp.services.lookup("1.2.840.10008.1.1")?.handler === service.handler, false); // Verification kept
  });
});
