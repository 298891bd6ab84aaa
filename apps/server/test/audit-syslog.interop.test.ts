/**
 * The audit trail against a real RFC 5425 receiver: Debian's rsyslogd (imtcp + gtls, clients checked by
 * x509/certvalid) started by the test with its own configuration. The built server bin sends, over TLS with its own
 * certificate, Application Start, a Security Alert for an untrusted client and one for an association refused by
 * access control, and one DICOM Instances Transferred per
 * study of a `storescu +tls` association; each received XML validates against the PS3.15 A.5.1 schema, and the
 * AuditTrail.File holds the same messages one per line. With the receiver stopped, stores still succeed, the small
 * queue overflows (dropped, logged once), and a restarted receiver gets the queued messages.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, requireTool, startRsyslogTls, startServer, stopAll, SyntheticSopClass, tempDir, writePart10File, type StartedRsyslog, type StartedServer } from "@dicomtls/test-peers";
import { assertValidAuditXml } from "./audit-support.js";
import { get, parsePrometheusText, valueOf } from "./http-support.js";
import { assertEchoRefused, echoscu, seedCertificate } from "./helpers.js";
import { storedFiles, storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

requireTool("xmllint");
requireTool("storescu");
const tmp = tempDir("dicomtls-audit-syslog-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const QUEUE_SIZE = 3;
const csdCode = (xml: string, element: string): string | undefined => new RegExp(`<${element} csd-code="(\\d+)"`).exec(xml)?.[1];
const isEvent = (code: string) => (m: { msg: string }) => csdCode(m.msg, "EventID") === code;
const studyOf = (xml: string): string | undefined => /<ParticipantObjectIdentification ParticipantObjectID="([^"]+)" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3"/.exec(xml)?.[1];
const detailsOf = (xml: string): Record<string, string> =>
  Object.fromEntries([...xml.matchAll(/<ParticipantObjectDetail type="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, Buffer.from(m[2]!, "base64").toString("utf8")]));

let n = 0;
async function assertValid(xml: string): Promise<void> {
  const file = join(tmp.path, `received-${n++}.xml`);
  writeFileSync(file, xml);
  await assertValidAuditXml(file);
}

/** `count` studies of `perStudy` CT instances each, in their own folder. */
async function studies(name: string, count: number, perStudy: number, seed: number): Promise<{ dir: string; uids: string[] }> {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  const uids: string[] = [];
  for (let s = 0; s < count; s++) {
    const studyInstanceUid = `2.25.${seed}${s}1`;
    uids.push(studyInstanceUid);
    for (let i = 0; i < perStudy; i++) {
      await writePart10File(join(dir, `s${s}-i${i}.dcm`), { seed: seed * 100 + s * 10 + i, sopClassUid: SyntheticSopClass.CtImageStorage, rows: 8, columns: 8, studyInstanceUid, patientId: `PAT${seed}` });
    }
  }
  return { dir, uids };
}

describe("audit trail over RFC 5425 to rsyslog", () => {
  let files: NodeFiles;
  let rsyslog: StartedRsyslog;
  let server: StartedServer;
  let auditFile: string;
  let storage: string;
  let httpPort = 0;
  const metric = async (name: string): Promise<number | undefined> => valueOf(parsePrometheusText((await get(`http://127.0.0.1:${httpPort}/metrics`)).text), name);

  before(async () => {
    files = await writePki(tmp.path);
    const rsDir = join(tmp.path, "rsyslog");
    mkdirSync(rsDir);
    // The receiver shows the test CA's server certificate (SAN 127.0.0.1) and requires client certificates from that CA.
    rsyslog = await startRsyslogTls({ dir: rsDir, certFile: files.serverCert, keyFile: files.serverKey, caFile: files.caFile });
    storage = join(tmp.path, "storage");
    const node = await writeNodeConfig(tmp.path, "node.json", files, storage, {
      DicomCheckCalledAet: true,
      AuditTrail: { File: "audit.log", Syslog: { Host: "127.0.0.1", Port: rsyslog.port, Protocol: "tls", QueueSize: QUEUE_SIZE } },
      // The HTTP port for /metrics (dicomtls_audit_*), on a free port of its own.
      HttpServerEnabled: true,
      HttpPort: (httpPort = await freePort()),
    });
    auditFile = join(tmp.path, "audit.log");
    server = await startServer(node.path, { built: true });
  });

  test("Application Start arrives with MSGID DICOM+RFC3881 and validates", async () => {
    await rsyslog.waitFor((ms) => ms.some(isEvent("110100")));
    const m = rsyslog.messages().find(isEvent("110100"))!;
    assert.equal(m.msgid, "DICOM+RFC3881");
    assert.equal(csdCode(m.msg, "EventTypeCode"), "110120");
    await assertValid(m.msg);
  });

  test("an untrusted client: Security Alert, Node Authentication, with its address and certificate", async () => {
    const rogue = await seedCertificate(tmp.path, "rogue");
    const fingerprint = new X509Certificate(readFileSync(rogue.cert)).fingerprint256;
    assertEchoRefused(await echoscu(["-aet", "ROGUE", "127.0.0.1", String(server.port), "+tls", rogue.key, rogue.cert, "+cf", files.caFile]));
    const isRogueAlert = (m: { msg: string }): boolean => isEvent("110113")(m) && detailsOf(m.msg)["CertificateFingerprintSHA256"] === fingerprint;
    await rsyslog.waitFor((ms) => ms.some(isRogueAlert));
    const alert = rsyslog.messages().find(isRogueAlert)!.msg;
    assert.equal(csdCode(alert, "EventTypeCode"), "110126");
    assert.match(alert, /<ParticipantObjectIdentification ParticipantObjectID="127\.0\.0\.1"/);
    const d = detailsOf(alert);
    assert.match(d["CertificateSubject"] ?? "", /CN=localhost/);
    assert.match(d["Alert Description"] ?? "", /refused/);
    assert.match(d["PeerPort"] ?? "", /^\d+$/);
    await assertValid(alert);
  });

  test("an association refused by access control (wrong called AE title): Security Alert naming the calling AE title", async () => {
    assertEchoRefused(await echoscu(["-aet", "CURIOUS", "-aec", "NOTUS", "127.0.0.1", String(server.port), "+tls", files.clientKey, files.clientCert, "+cf", files.caFile]));
    const isRefusal = (m: { msg: string }): boolean => isEvent("110113")(m) && m.msg.includes('AlternativeUserID="AETITLES=CURIOUS"');
    await rsyslog.waitFor((ms) => ms.some(isRefusal));
    const alert = rsyslog.messages().find(isRefusal)!.msg;
    assert.equal(csdCode(alert, "EventTypeCode"), "110126");
    assert.match(detailsOf(alert)["Alert Description"] ?? "", /called AE title "NOTUS"/);
    assert.equal(detailsOf(alert)["CertificateFingerprintSHA256"], files.pki.client.fingerprint256);
    await assertValid(alert);
  });

  test("storescu +tls of two studies: one Instances Transferred per study, with its SOP class and count", async () => {
    const set = await studies("two-studies", 2, 2, 7);
    const r = await storescuTls(files, server.port, ["--scan-directories", set.dir]);
    assert.equal(r.code, 0, r.output);
    await rsyslog.waitFor((ms) => set.uids.every((uid) => ms.some((m) => isEvent("110104")(m) && studyOf(m.msg) === uid)));
    for (const uid of set.uids) {
      const xml = rsyslog.messages().find((m) => isEvent("110104")(m) && studyOf(m.msg) === uid)!.msg;
      assert.match(xml, new RegExp(`<SOPClass UID="${SyntheticSopClass.CtImageStorage.replace(/\./g, "\\.")}" NumberOfInstances="2"/>`));
      assert.match(xml, /<ActiveParticipant UserID="STORESCU" AlternativeUserID="AETITLES=STORESCU" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1"/);
      assert.match(xml, /<Encrypted>true<\/Encrypted>/);
      assert.match(xml, /ParticipantObjectID="PAT7" ParticipantObjectTypeCode="1"/);
      await assertValid(xml);
    }
  });

  test("the AuditTrail.File holds every received message, one per line", () => {
    const lines = new Set(readFileSync(auditFile, "utf8").split("\n").filter((l) => l !== ""));
    const received = rsyslog.messages().map((m) => m.msg);
    assert.ok(received.length >= 4, `${received.length} messages received`);
    for (const xml of received) assert.ok(lines.has(xml), `not in ${auditFile}: ${xml}`);
  });

  test("receiver down: stores succeed, the queue overflows (dropped, logged once), a restarted receiver gets the queue", async () => {
    await rsyslog.stop();
    await server.waitForRecord((r) => r["event"] === "audit-syslog-unreachable", 15_000);
    const set = await studies("while-down", QUEUE_SIZE + 3, 1, 8);
    const before = storedFiles(storage).length;
    const r = await storescuTls(files, server.port, ["--scan-directories", set.dir]);
    assert.equal(r.code, 0, r.output);
    assert.equal(storedFiles(storage).length, before + set.uids.length, "every instance stored while the receiver is down");
    const full = await server.waitForRecord((rec) => rec["event"] === "audit-queue-full");
    assert.equal(full["queueSize"], QUEUE_SIZE);
    assert.equal(server.records().filter((rec) => rec["event"] === "audit-queue-full").length, 1, "one record per burst, not per message");
    // The file sink is not behind the receiver: it has all of them.
    const fileText = readFileSync(auditFile, "utf8");
    for (const uid of set.uids) assert.ok(fileText.includes(`ParticipantObjectID="${uid}"`), `study ${uid} not in the audit file`);

    await rsyslog.start();
    // The queue keeps the first QUEUE_SIZE messages (in storescu's order of the studies) and drops the rest.
    const arrived = (): string[] => set.uids.filter((uid) => rsyslog.messages().some((m) => studyOf(m.msg) === uid));
    await rsyslog.waitFor(() => arrived().length >= QUEUE_SIZE, 60_000);
    assert.equal(arrived().length, QUEUE_SIZE, `arrived: ${arrived().join(", ")}`);
    const dropped = set.uids.filter((uid) => !arrived().includes(uid));
    const droppedMetric = await metric("dicomtls_audit_messages_dropped");
    assert.ok(droppedMetric !== undefined && droppedMetric >= dropped.length, `dicomtls_audit_messages_dropped ${droppedMetric}, ${dropped.length} studies lost`);
    assert.equal(await metric("dicomtls_audit_syslog_connected"), 1, "reconnected");

    await server.stop();
    const stopped = server.records().find((rec) => rec["event"] === "audit-stopped");
    assert.ok(stopped, "audit-stopped record");
    assert.ok(Number(stopped["syslogDropped"]) >= dropped.length, JSON.stringify(stopped));
    assert.ok(server.records().some((rec) => rec["event"] === "audit-messages-dropped" && Number(rec["dropped"]) >= dropped.length), "the burst's total is logged");
    await rsyslog.waitFor((ms) => ms.some((m) => isEvent("110100")(m) && csdCode(m.msg, "EventTypeCode") === "110121"));
    await assertValid(rsyslog.messages().find((m) => csdCode(m.msg, "EventTypeCode") === "110121")!.msg);
  });
});
