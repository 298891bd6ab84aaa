/**
 * AuditTrail in-process: the events the layers publish on diagnostics_channel become PS3.15 messages in the
 * AuditTrail.File (one per line) and in RFC 5426 datagrams to a real UDP socket on 127.0.0.1; refusals by access
 * control and command permissions are Security Alerts; transfers are grouped per association and study.
 */
import { strict as assert } from "node:assert";
import { createSocket } from "node:dgram";
import { channel } from "node:diagnostics_channel";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { AssociationChannels, ListenerRefusalReasons } from "@dicomtls/association";
import { FindChannels, RetrieveChannels, ScpChannels, StorageChannels } from "@dicomtls/scp";
import { requireTool, tempDir } from "@dicomtls/test-peers";
import { AuditTrail } from "../src/audit/index.js";
import { ServerChannels } from "../src/channels.js";
import { createLogger } from "../src/log.js";
import { assertValidAuditXml } from "./audit-support.js";

requireTool("xmllint");
const tmp = tempDir("dicomtls-audit-trail-");
after(() => tmp.remove());

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const cert = { subject: "C=BE\nCN=modality", issuer: "CN=test CA", fingerprint256: "AA:BB:CC" };
const tlsPeer = { address: "::ffff:127.0.0.1", port: 50001, tls: { protocol: "TLSv1.3", certificate: cert } };
const association = (callingAeTitle: string, port: number) => ({ isRequestor: false, callingAeTitle, calledAeTitle: "DICOMTLS        ", peer: { ...tlsPeer, port } });
const stored = (a: object, study: string, sopClassUid: string, result: { duplicate: boolean; replaced?: boolean }) => ({
  association: a,
  sopClassUid,
  sopInstanceUid: `2.25.${Math.floor(Math.random() * 1e12)}`,
  header: { studyInstanceUid: study, patientId: "PID-9", patientName: "Roe^Richard", accessionNumber: "A-1" },
  result,
});

const eventId = (xml: string): string => /<EventID csd-code="(\d+)"/.exec(xml)![1]!;
const typeCode = (xml: string): string | undefined => /<EventTypeCode csd-code="(\d+)"/.exec(xml)?.[1];

test("events in, PS3.15 messages out: to the file one per line and to UDP syslog, all schema-valid", async () => {
  const udp = createSocket("udp4");
  const datagrams: Buffer[] = [];
  let onDatagram = (): void => undefined;
  udp.on("message", (m) => {
    datagrams.push(m);
    onDatagram();
  });
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const logLines: string[] = [];
  const logger = createLogger({ destination: { write: (s: string) => void logLines.push(s) } });
  const file = join(tmp.path, "audit.log");
  const trail = new AuditTrail({
    config: { file, syslog: { host: "127.0.0.1", port: udp.address().port, protocol: "udp", queueSize: 10 } },
    aeTitle: "DICOMTLS",
    logger,
  });
  trail.start();

  const a = association("MODALITY", 50002);
  const b = association("OTHER", 50003);
  const pub = (name: string, message: object): void => channel(name).publish(message);
  pub(AssociationChannels.rejected, { role: "acceptor", peer: tlsPeer, rq: { callingAeTitle: "INTRUDER" }, result: 1, source: 1, reason: 3, text: "calling AE title INTRUDER is not a known modality" });
  pub(AssociationChannels.rejected, { role: "requestor", peer: tlsPeer, rq: { callingAeTitle: "US" }, result: 1, source: 1, reason: 7, text: "our own association was refused" });
  pub(AssociationChannels.transportRefused, { peer: tlsPeer, error: Object.assign(new Error("CERT_HAS_EXPIRED: certificate has expired"), { code: "CERT_HAS_EXPIRED" }) });
  pub(ServerChannels.connectionRefused, { refusal: { reason: ListenerRefusalReasons.HandshakeFailed, remoteAddress: "127.0.0.1", remotePort: 50004, localPort: 4242, detail: "unsupported protocol" }, reason: "UNSUPPORTED_PROTOCOL" });
  pub(ServerChannels.connectionRefused, { refusal: { reason: ListenerRefusalReasons.HandshakeTimeout, remoteAddress: "127.0.0.1", remotePort: 50005, localPort: 4242, detail: "nothing sent" }, reason: "HANDSHAKE_TIMEOUT" });
  pub(ScpChannels.commandRefused, { association: a, why: "C-FIND is not allowed for modality MODALITY" });
  pub(StorageChannels.instanceStored, stored(a, "1.2.1", CT, { duplicate: false }));
  pub(StorageChannels.instanceStored, stored(a, "1.2.1", CT, { duplicate: false }));
  pub(StorageChannels.instanceStored, stored(a, "1.2.2", MR, { duplicate: true }));
  pub(StorageChannels.instanceStored, stored(b, "1.2.3", CT, { duplicate: true, replaced: true }));
  pub(AssociationChannels.released, { association: a });
  pub(AssociationChannels.aborted, { peer: tlsPeer, error: new Error("before any association") });
  await trail.stop({ timeoutMs: 5_000 });

  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  // Start; the acceptor's rejection (not our own as requestor); the refused certificate; the failed handshake (not
  // the timeout); the refused command; association a's two studies at its release; b's study at stop; Stop.
  assert.deepEqual(
    lines.map((l) => `${eventId(l)}/${typeCode(l) ?? "-"}`),
    ["110100/110120", "110113/110126", "110113/110126", "110113/110126", "110113/110132", "110104/-", "110104/-", "110104/-", "110100/110121"],
  );
  const rejected = lines[1]!;
  assert.match(rejected, /UserID="C=BE, CN=modality" AlternativeUserID="AETITLES=INTRUDER" UserIsRequestor="false" NetworkAccessPointID="127\.0\.0\.1"/);
  assert.match(rejected, /<EventOutcomeDescription>association from INTRUDER at 127\.0\.0\.1 refused: calling AE title INTRUDER is not a known modality<\/EventOutcomeDescription>/);
  assert.match(lines[2]!, /CERT_HAS_EXPIRED/);
  assert.match(lines[3]!, /UNSUPPORTED_PROTOCOL/);
  const s1 = lines.find((l) => l.includes('ParticipantObjectID="1.2.1"'))!;
  assert.match(s1, /EventActionCode="C"/);
  assert.match(s1, new RegExp(`<SOPClass UID="${CT}" NumberOfInstances="2"/>`));
  assert.match(s1, /AETITLES=MODALITY/);
  assert.match(lines.find((l) => l.includes('ParticipantObjectID="1.2.2"'))!, /EventActionCode="R"/);
  assert.match(lines.find((l) => l.includes('ParticipantObjectID="1.2.3"'))!, /EventActionCode="U"/);

  for (const [i, l] of lines.entries()) {
    const f = join(tmp.path, `line-${i}.xml`);
    writeFileSync(f, l);
    await assertValidAuditXml(f);
  }

  // UDP: the same messages, one RFC 5424 message per datagram (alerts at severity 4, the rest 5).
  if (datagrams.length < lines.length) await new Promise<void>((resolve) => (onDatagram = () => datagrams.length >= lines.length && resolve()));
  udp.close();
  const viaUdp = datagrams.map((d) => d.toString("utf8"));
  for (const [i, d] of viaUdp.entries()) {
    const m = /^<(\d+)>1 \S+ \S+ dicomtls \d+ DICOM\+RFC3881 - \uFEFF(.*)$/s.exec(d);
    assert.ok(m, d);
    assert.equal(m[2], lines[i]);
    assert.equal(m[1], eventId(lines[i]!) === "110113" ? "84" : "85");
  }
  const stats = trail.stats();
  assert.deepEqual(stats, { messages: lines.length, file: { written: lines.length, failed: 0 }, syslog: { sent: lines.length, queued: 0, dropped: 0, connected: true } });
  assert.ok(logLines.some((l) => l.includes('"event":"audit-stopped"')));
});

test("find-done and retrieve-finished: a Query per C-FIND (refused: Minor failure), an Instances Transferred (R) per study sent", async () => {
  const logger = createLogger({ destination: { write: () => undefined } });
  const file = join(tmp.path, "audit-qr.log");
  const trail = new AuditTrail({ config: { file, syslog: null }, aeTitle: "DICOMTLS", logger });
  trail.start();
  const a = association("QRSCU", 50010);
  const studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
  const identifier = Uint8Array.from([1, 2, 3, 250]);
  const pub = (name: string, message: object): void => channel(name).publish(message);
  const findDone = { association: a, sopClassUid: studyRootFind, transferSyntaxUid: "1.2.840.10008.1.2.1", matches: 2, durationMs: 1 };
  pub(FindChannels.findDone, { ...findDone, identifier, status: 0 });
  pub(FindChannels.findDone, { ...findDone, identifier, status: 0xa900, error: "level PATIENT is not in the Study Root model" });
  pub(FindChannels.findDone, { ...findDone, association: { ...a, isRequestor: true }, identifier, status: 0 });
  const sent = (study: string, sopClassUid: string, n: number) => ({ sopInstanceUid: `${study}.${n}`, sopClassUid, transferSyntaxUid: "1.2.840.10008.1.2.1", path: "/x", studyInstanceUid: study, patientId: "PID-7", accessionNumber: "A-7" });
  const summary = { kind: "C-MOVE", association: a, sopClassUid: "1.2.840.10008.5.1.4.1.2.2.2", level: "STUDY", destination: "ARCHIVE", destinationAddress: "::ffff:127.0.0.1", destinationEncrypted: true, status: 0, matched: 3, completed: 3, failed: 0, warning: 0, cancelled: false, failures: [] };
  pub(RetrieveChannels.finished, { ...summary, sent: [sent("1.2.5", CT, 1), sent("1.2.5", CT, 2), sent("1.2.6", MR, 1)] });
  pub(RetrieveChannels.finished, { ...summary, kind: "C-GET", destination: undefined, status: 0xb000, failed: 1, sent: [sent("1.2.7", CT, 1)] });
  pub(RetrieveChannels.finished, { ...summary, status: 0xa801, sent: [] });
  await trail.stop({ timeoutMs: 5_000 });

  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  assert.deepEqual(
    lines.map((l) => eventId(l)),
    ["110100", "110112", "110112", "110104", "110104", "110104", "110100"],
    "the requestor-side find and the refused move (nothing sent) leave no message",
  );
  const [ok, refused] = [lines[1]!, lines[2]!];
  assert.match(ok, /EventActionCode="E" EventDateTime="[^"]+" EventOutcomeIndicator="0"/);
  assert.match(ok, new RegExp(`ParticipantObjectID="${studyRootFind.replace(/\./g, "\\.")}"`));
  assert.equal(/<ParticipantObjectQuery>([^<]+)</.exec(ok)?.[1], Buffer.from(identifier).toString("base64"));
  assert.match(ok, /UserID="QRSCU" AlternativeUserID="AETITLES=QRSCU" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1"/);
  assert.match(refused, /EventOutcomeIndicator="4"/);
  assert.match(refused, /<EventOutcomeDescription>C-FIND refused with 0xA900: level PATIENT is not in the Study Root model<\/EventOutcomeDescription>/);
  const moved = lines.find((l) => l.includes('ParticipantObjectID="1.2.5"'))!;
  assert.match(moved, /EventActionCode="R"/);
  assert.match(moved, new RegExp(`<SOPClass UID="${CT}" NumberOfInstances="2"/>`));
  assert.match(moved, /UserID="ARCHIVE" AlternativeUserID="AETITLES=ARCHIVE" UserIsRequestor="false" NetworkAccessPointID="127\.0\.0\.1"/);
  assert.match(moved, /<Accession Number="A-7"\/>/);
  assert.match(moved, /<Encrypted>true<\/Encrypted>/);
  assert.match(lines.find((l) => l.includes('ParticipantObjectID="1.2.6"'))!, new RegExp(`<SOPClass UID="${MR}" NumberOfInstances="1"/>`));
  const got = lines.find((l) => l.includes('ParticipantObjectID="1.2.7"'))!;
  assert.match(got, /EventOutcomeIndicator="4"/);
  assert.match(got, /UserID="QRSCU" AlternativeUserID="AETITLES=QRSCU" UserIsRequestor="true"/);
  for (const [i, l] of lines.entries()) {
    const f = join(tmp.path, `qr-${i}.xml`);
    writeFileSync(f, l);
    await assertValidAuditXml(f);
  }
});

test("a File that cannot be opened stops the start, naming the key and the file", () => {
  const logger = createLogger({ destination: { write: () => undefined } });
  const file = join(tmp.path, "no-such-folder", "audit.log");
  assert.throws(() => new AuditTrail({ config: { file, syslog: null }, aeTitle: "DICOMTLS", logger }), (err: Error & { code?: string }) => {
    assert.equal(err.code, "ERR_DICOM_AUDIT_START");
    assert.match(err.message, /^AuditTrail\.File: cannot open .*no-such-folder\/audit\.log for appending/);
    return true;
  });
});
