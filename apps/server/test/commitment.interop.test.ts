/**
 * Storage Commitment between our own SCU (library and CLI) and dicomtls-server (built bin), over DICOM TLS:
 * the report on the same association (the SCU proposes both roles and waits), on a new association to the
 * requester's DicomModalities entry (the SCU listens, as Orthanc's SCU does), failure reasons, a requester the server
 * cannot reach, and the N-ACTION-RSP statuses of requests the SCP does not take.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ConnectionOptions } from "node:tls";
import { requestAssociation } from "@dicomtls/association";
import { nActionRq } from "@dicomtls/pdu-codec";
import { STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, encodeCommitmentRequest } from "@dicomtls/dataset";
import { CommitError, CommitErrorCode, CommitmentFailureReason, commit } from "@dicomtls/scu";
import { freePort, runCli, startServer, stopAll, tempDir, writePart10File, SyntheticPreset, type StartedServer } from "@dicomtls/test-peers";
import { writeCert } from "@dicomtls/test-pki";
import { writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const tmp = tempDir("dicomtls-commitment-");
after(async () => {
  await stopAll();
  tmp.remove();
});

describe("storage commitment: our SCU against dicomtls-server over DICOM TLS", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let listenPort: number;
  /** GONESCU's port in DicomModalities, where nothing listens. */
  let gonePort: number;
  let scuCert: { certFile: string; keyFile: string };
  let clientTls: ConnectionOptions;
  const stored: Array<{ sopClassUid: string; sopInstanceUid: string }> = [];

  before(async () => {
    files = await writePki(tmp.path);
    listenPort = await freePort();
    gonePort = await freePort();
    const config = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), {
      // Every requester is a known modality: Orthanc (and h-acl's AllowNAction) serves N-ACTION only from those.
      DicomModalities: {
        scu: { AET: "COMMITSCU", Host: "127.0.0.1", Port: listenPort, UseDicomTls: true },
        storescu: { AET: "STORESCU", Host: "127.0.0.1", Port: await freePort() },
        raw: { AET: "RAWSCU", Host: "127.0.0.1", Port: await freePort() },
        gone: { AET: "GONESCU", Host: "127.0.0.1", Port: gonePort, UseDicomTls: true },
      },
    });
    server = await startServer(config.path);
    // Client and server of the report association: both EKUs.
    scuCert = writeCert(join(tmp.path, "scu-pki"), "scu", await files.pki.issue({ commonName: "commitscu" }));
    clientTls = { ca: readFileSync(files.caFile), cert: readFileSync(scuCert.certFile), key: readFileSync(scuCert.keyFile) };
  });
  after(async () => {
    await server.stop();
  });

  test("CLI store --commit: stored, then committed with the report on the same association", async () => {
    const sources = [
      await writePart10File(join(tmp.path, "a.dcm"), { ...SyntheticPreset.Ct512k, seed: 6101, sequences: false }),
      await writePart10File(join(tmp.path, "b.dcm"), { ...SyntheticPreset.Ct512k, seed: 6102, sequences: false }),
    ];
    const r = await runCli(
      ["store", "127.0.0.1", String(server.port), "--aet", "STORESCU", "--call", "DICOMTLS", "--key", files.clientKey, "--cert", files.clientCert, "--trusted", files.caFile, "--commit", ...sources.map((s) => s.path)],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /2 of 2 stored/);
    assert.match(r.output, /commit to DICOMTLS at 127\.0\.0\.1:\d+: 2 committed, 0 failed \(transaction 2\.25\.\d+, report on the same association\)/);
    const record = await server.waitForRecord((x) => x["event"] === "commitment-report-sent" && x["requester"] === "STORESCU");
    assert.equal(record["via"], "same-association");
    assert.equal(record["eventTypeId"], 1);
    for (const s of sources) stored.push({ sopClassUid: s.spec.sopClassUid, sopInstanceUid: s.spec.sopInstanceUid });
  });

  test("CLI commit: an instance never stored is NOT COMMITTED (0x0112) and the exit code is 1", async () => {
    const [first] = stored;
    assert.ok(first !== undefined);
    const never = "1.2.826.0.1.3680043.10.1234.6199";
    const r = await runCli(
      [
        "commit", "127.0.0.1", String(server.port), "--aet", "STORESCU", "--call", "DICOMTLS",
        "--key", files.clientKey, "--cert", files.clientCert, "--trusted", files.caFile,
        "--instance", `${first.sopClassUid}:${first.sopInstanceUid}`, "--instance", `${first.sopClassUid}:${never}`,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /1 committed, 1 failed/);
    assert.match(r.output, new RegExp(`NOT COMMITTED ${never.replace(/\./g, "\\.")} \\(${first.sopClassUid.replace(/\./g, "\\.")}\\): 0x0112 no such object instance`));
  });

  test("commit() with a listener: the server reports on a new TLS association to the DicomModalities entry", async () => {
    const [first, second] = stored;
    assert.ok(first !== undefined && second !== undefined);
    const result = await commit({
      host: "127.0.0.1",
      port: server.port,
      callingAeTitle: "COMMITSCU",
      calledAeTitle: "DICOMTLS",
      tls: clientTls,
      references: [first, { sopClassUid: MR_IMAGE_STORAGE, sopInstanceUid: second.sopInstanceUid }],
      listen: { port: listenPort, host: "127.0.0.1", tls: { ca: clientTls.ca, cert: clientTls.cert, key: clientTls.key, requestCert: true, rejectUnauthorized: true } },
      timeoutMs: 30_000,
    });
    assert.equal(result.via, "new-association");
    assert.equal(result.reporterAeTitle, "DICOMTLS", "PS3.4 J.3.3.1.1: the report comes from the AE title we called");
    assert.equal(result.eventTypeId, 2);
    assert.equal(result.ok, false);
    assert.deepEqual(result.committed, [first]);
    assert.deepEqual(result.failed, [{ sopClassUid: MR_IMAGE_STORAGE, sopInstanceUid: second.sopInstanceUid, failureReason: CommitmentFailureReason.ReferencedSopClassNotSupported }]);
    const record = await server.waitForRecord((x) => x["event"] === "commitment-report-sent" && x["transactionUid"] === result.transactionUid);
    assert.equal(record["via"], "new-association");
  });

  test("a requester the server cannot reach (nothing at its DicomModalities port) gets no report: the server says why, commit() times out", async () => {
    const [first] = stored;
    assert.ok(first !== undefined);
    const elsewhere = await freePort();
    assert.notEqual(elsewhere, gonePort);
    await assert.rejects(
      commit({
        host: "127.0.0.1",
        port: server.port,
        callingAeTitle: "GONESCU",
        calledAeTitle: "DICOMTLS",
        tls: clientTls,
        references: [first],
        listen: { port: elsewhere, host: "127.0.0.1" },
        timeoutMs: 3_000,
      }),
      (e: unknown) => e instanceof CommitError && e.code === CommitErrorCode.Timeout,
    );
    const failed = await server.waitForRecord((x) => x["event"] === "commitment-report-failed" && x["requester"] === "GONESCU");
    assert.match(String(failed["msg"]), new RegExp(`could not be delivered: .*127\\.0\\.0\\.1:${gonePort}`));
  });

  test("N-ACTION-RSP statuses: Action Type 2 is 0x0123, another SOP instance 0x0112, no Transaction UID 0x0120", async () => {
    const association = await requestAssociation({
      host: "127.0.0.1",
      port: server.port,
      callingAeTitle: "RAWSCU",
      calledAeTitle: "DICOMTLS",
      tls: clientTls,
      presentationContexts: [{ abstractSyntax: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }],
    });
    try {
      const ctx = association.findContext(STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS);
      assert.ok(ctx !== undefined);
      const dataset = encodeCommitmentRequest({ transactionUid: "2.25.6301", references: stored.slice(0, 1) }, ctx.transferSyntax);
      const ask = async (actionTypeId: number, instance: string, body: Uint8Array): Promise<number | undefined> =>
        (
          await association.request(
            ctx.id,
            nActionRq({ messageId: association.nextMessageId(), requestedSopClassUid: STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, requestedSopInstanceUid: instance, actionTypeId }),
            body,
          )
        ).command.status;
      assert.equal(await ask(2, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, dataset), 0x0123);
      assert.equal(await ask(1, "1.2.840.10008.1.20.1.2", dataset), 0x0112);
      // The data set without its first element (Transaction UID, 8-byte header + 10-byte value in Implicit VR).
      assert.equal(await ask(1, STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, dataset.subarray(18)), 0x0120);
      await association.release();
    } finally {
      if (association.isEstablished) await association.abort();
    }
  });
});
