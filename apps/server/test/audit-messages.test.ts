/**
 * PS3.15 A.5.3 messages as built by the audit trail: each validates against the A.5.1 schema (xmllint --relaxng) and
 * carries the codes, participants and objects its table prescribes; RFC 5424 header and RFC 5425 octet counting.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { requireTool, tempDir } from "@dicomtls/test-peers";
import {
  applicationActivity,
  AuditCodes,
  DICOM_AUDIT_MSGID,
  EventOutcome,
  formatSyslogMessage,
  frameOctetCounted,
  instancesSent,
  instancesTransferred,
  parseOctetCounted,
  query,
  securityAlert,
  SyslogSeverity,
  type AuditNode,
} from "../src/audit/index.js";
import { assertValidAuditXml } from "./audit-support.js";

requireTool("xmllint");
const tmp = tempDir("dicomtls-audit-xml-");
after(() => tmp.remove());

const node: AuditNode = { aeTitle: "DICOMTLS", hostname: "pacs.example", processId: "4242", processName: "dicomtls", auditSourceId: "DICOMTLS@pacs.example", launcher: "svc" };
const time = new Date("2026-12-05T10:11:12.345Z");
let n = 0;

async function valid(xml: string): Promise<void> {
  assert.doesNotMatch(xml, /[\r\n]/, "one message is one line");
  const file = join(tmp.path, `m${n++}.xml`);
  writeFileSync(file, xml);
  await assertValidAuditXml(file);
}

/** The attributes of the first `<name .../>` or `<name ...>` element. */
function attrsOf(xml: string, name: string, nth = 0): Record<string, string> {
  const all = [...xml.matchAll(new RegExp(`<${name}((?:\\s+[\\w-]+="[^"]*")*)\\s*/?>`, "g"))];
  const m = all[nth];
  assert.ok(m, `no <${name}> #${nth} in ${xml}`);
  return Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
}

describe("PS3.15 A.5.3 messages validate against the A.5.1 schema", () => {
  test("A.5.3.1 Application Activity: start and stop, the process with role Application, the launcher", async () => {
    for (const event of ["start", "stop"] as const) {
      const xml = applicationActivity(node, { event, time });
      await valid(xml);
      assert.deepEqual(attrsOf(xml, "EventIdentification"), { EventActionCode: "E", EventDateTime: "2026-12-05T10:11:12.345Z", EventOutcomeIndicator: "0" });
      assert.equal(attrsOf(xml, "EventID")["csd-code"], "110100");
      assert.equal(attrsOf(xml, "EventTypeCode")["csd-code"], event === "start" ? "110120" : "110121");
      assert.equal(attrsOf(xml, "ActiveParticipant")["AlternativeUserID"], "AETITLES=DICOMTLS");
      assert.equal(attrsOf(xml, "RoleIDCode")["csd-code"], "110150");
      assert.equal(attrsOf(xml, "RoleIDCode", 1)["csd-code"], "110151");
      assert.equal(attrsOf(xml, "AuditSourceIdentification")["AuditSourceID"], "DICOMTLS@pacs.example");
    }
  });

  test("A.5.3.11 Security Alert, Node Authentication: the peer's address and certificate, the Alert Description", async () => {
    const xml = securityAlert(node, {
      type: AuditCodes.NodeAuthentication,
      time,
      peer: { address: "192.0.2.7", port: 50123, certificate: { subject: 'CN=rogue <"&">, O=Evil\nCorp', issuer: "CN=rogue", fingerprint256: "AB:CD" } },
      reason: "CERT_UNTRUSTED",
      description: "DICOM TLS peer refused (CERT_UNTRUSTED): self-signed certificate",
    });
    await valid(xml);
    assert.equal(attrsOf(xml, "EventID")["csd-code"], "110113");
    assert.deepEqual(attrsOf(xml, "EventTypeCode"), { "csd-code": "110126", codeSystemName: "DCM", originalText: "Node Authentication" });
    assert.equal(attrsOf(xml, "EventIdentification")["EventOutcomeIndicator"], "4");
    const performer = attrsOf(xml, "ActiveParticipant", 1);
    assert.equal(performer["UserIsRequestor"], "false");
    assert.equal(performer["NetworkAccessPointID"], "192.0.2.7");
    assert.equal(performer["NetworkAccessPointTypeCode"], "2");
    const subject = attrsOf(xml, "ParticipantObjectIdentification");
    assert.deepEqual(subject, { ParticipantObjectID: "192.0.2.7", ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "13" });
    assert.equal(attrsOf(xml, "ParticipantObjectIDTypeCode")["csd-code"], "110182");
    const details = [...xml.matchAll(/<ParticipantObjectDetail type="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], Buffer.from(m[2]!, "base64").toString("utf8")]);
    assert.deepEqual(Object.fromEntries(details), {
      "Alert Description": "DICOM TLS peer refused (CERT_UNTRUSTED): self-signed certificate",
      Reason: "CERT_UNTRUSTED",
      PeerPort: "50123",
      CertificateSubject: 'CN=rogue <"&">, O=Evil\nCorp',
      CertificateIssuer: "CN=rogue",
      CertificateFingerprintSHA256: "AB:CD",
    });
  });

  test("A.5.3.7 DICOM Instances Transferred: peer as source, us as destination, the study with SOP classes and counts, the patient", async () => {
    const xml = instancesTransferred(node, {
      time,
      source: { address: "127.0.0.1", port: 1234, aeTitle: "STORESCU  " },
      calledAeTitle: "DICOMTLS",
      action: "C",
      encrypted: true,
      study: {
        studyInstanceUid: "1.2.3.4",
        patientId: "PID-1",
        patientName: "Doe^Jane",
        accessionNumbers: ["ACC1"],
        sopClasses: new Map([
          ["1.2.840.10008.5.1.4.1.1.7", 3],
          ["1.2.840.10008.5.1.4.1.1.2", 1],
        ]),
      },
    });
    await valid(xml);
    assert.equal(attrsOf(xml, "EventID")["csd-code"], "110104");
    assert.equal(attrsOf(xml, "EventIdentification")["EventActionCode"], "C");
    const source = attrsOf(xml, "ActiveParticipant", 0);
    assert.equal(source["UserID"], "STORESCU");
    assert.equal(source["UserIsRequestor"], "true");
    assert.equal(source["NetworkAccessPointID"], "127.0.0.1");
    assert.equal(attrsOf(xml, "RoleIDCode", 0)["csd-code"], "110153");
    assert.equal(attrsOf(xml, "ActiveParticipant", 1)["UserIsRequestor"], "false");
    assert.equal(attrsOf(xml, "RoleIDCode", 1)["csd-code"], "110152");
    assert.deepEqual(attrsOf(xml, "ParticipantObjectIdentification", 0), { ParticipantObjectID: "1.2.3.4", ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "3" });
    assert.deepEqual(attrsOf(xml, "SOPClass", 0), { UID: "1.2.840.10008.5.1.4.1.1.7", NumberOfInstances: "3" });
    assert.deepEqual(attrsOf(xml, "SOPClass", 1), { UID: "1.2.840.10008.5.1.4.1.1.2", NumberOfInstances: "1" });
    assert.match(xml, /<Encrypted>true<\/Encrypted>/);
    assert.deepEqual(attrsOf(xml, "ParticipantObjectIdentification", 1), { ParticipantObjectID: "PID-1", ParticipantObjectTypeCode: "1", ParticipantObjectTypeCodeRole: "1" });
    assert.match(xml, /<ParticipantObjectName>Doe\^Jane<\/ParticipantObjectName>/);
  });

  test("A.5.3.10 Query: the peer as Source and requestor, us as Destination, the SOP class with the query as received and its TransferSyntax", async () => {
    const identifier = Uint8Array.from([0x08, 0x00, 0x52, 0x00, 0x06, 0x00, 0x00, 0x00, 0x53, 0x54, 0x55, 0x44, 0x59, 0x20]);
    const spec = {
      time,
      requestor: { address: "192.0.2.9", port: 40001, aeTitle: "FINDSCU " },
      calledAeTitle: "DICOMTLS",
      sopClassUid: "1.2.840.10008.5.1.4.1.2.2.1",
      transferSyntaxUid: "1.2.840.10008.1.2",
      identifier,
      outcome: EventOutcome.Success,
    };
    const xml = query(node, spec);
    await valid(xml);
    assert.deepEqual(attrsOf(xml, "EventIdentification"), { EventActionCode: "E", EventDateTime: "2026-12-05T10:11:12.345Z", EventOutcomeIndicator: "0" });
    assert.deepEqual(attrsOf(xml, "EventID"), { "csd-code": "110112", codeSystemName: "DCM", originalText: "Query" });
    assert.doesNotMatch(xml, /<EventTypeCode/);
    assert.deepEqual(attrsOf(xml, "ActiveParticipant", 0), {
      UserID: "FINDSCU",
      AlternativeUserID: "AETITLES=FINDSCU",
      UserIsRequestor: "true",
      NetworkAccessPointID: "192.0.2.9",
      NetworkAccessPointTypeCode: "2",
    });
    assert.equal(attrsOf(xml, "RoleIDCode", 0)["csd-code"], "110153");
    assert.equal(attrsOf(xml, "ActiveParticipant", 1)["AlternativeUserID"], "AETITLES=DICOMTLS");
    assert.equal(attrsOf(xml, "ActiveParticipant", 1)["UserIsRequestor"], "false");
    assert.equal(attrsOf(xml, "RoleIDCode", 1)["csd-code"], "110152");
    assert.deepEqual(attrsOf(xml, "ParticipantObjectIdentification"), { ParticipantObjectID: "1.2.840.10008.5.1.4.1.2.2.1", ParticipantObjectTypeCode: "2", ParticipantObjectTypeCodeRole: "3" });
    assert.equal(attrsOf(xml, "ParticipantObjectIDTypeCode")["csd-code"], "110181");
    const q = /<ParticipantObjectQuery>([^<]*)<\/ParticipantObjectQuery>/.exec(xml)?.[1];
    assert.deepEqual(Buffer.from(q ?? "", "base64"), Buffer.from(identifier));
    const ts = attrsOf(xml, "ParticipantObjectDetail");
    assert.equal(ts["type"], "TransferSyntax");
    assert.equal(Buffer.from(ts["value"]!, "base64").toString("utf8"), "1.2.840.10008.1.2");
    assert.doesNotMatch(xml, /<ParticipantObjectName/, "the Query takes the name's place (A.5.1 choice)");

    const refused = query(node, { ...spec, identifier: new Uint8Array(0), outcome: EventOutcome.MinorFailure, outcomeDescription: "C-FIND refused with 0xA900" });
    await valid(refused);
    assert.equal(attrsOf(refused, "EventIdentification")["EventOutcomeIndicator"], "4");
    assert.match(refused, /<EventOutcomeDescription>C-FIND refused with 0xA900<\/EventOutcomeDescription>/);
  });

  test("A.5.3.7 from the sender's side (C-MOVE): action R, us as Source, the Move Destination, the move requestor as the requestor", async () => {
    const study = { studyInstanceUid: "1.2.3.5", patientId: "PID-2", accessionNumbers: ["ACC2"], sopClasses: new Map([["1.2.840.10008.5.1.4.1.1.2", 2]]) };
    const xml = instancesSent(node, {
      time,
      kind: "C-MOVE",
      calledAeTitle: "DICOMTLS",
      requestor: { address: "192.0.2.10", port: 40002, aeTitle: "MOVESCU" },
      destination: { aeTitle: "ARCHIVE", address: "192.0.2.11" },
      study,
      encrypted: true,
    });
    await valid(xml);
    assert.deepEqual(attrsOf(xml, "EventIdentification"), { EventActionCode: "R", EventDateTime: "2026-12-05T10:11:12.345Z", EventOutcomeIndicator: "0" });
    assert.equal(attrsOf(xml, "EventID")["csd-code"], "110104");
    const [source, destination, requestor] = [0, 1, 2].map((i) => attrsOf(xml, "ActiveParticipant", i));
    assert.deepEqual([source!["AlternativeUserID"], source!["UserIsRequestor"], attrsOf(xml, "RoleIDCode", 0)["csd-code"]], ["AETITLES=DICOMTLS", "false", "110153"]);
    assert.deepEqual([destination!["UserID"], destination!["UserIsRequestor"], destination!["NetworkAccessPointID"], attrsOf(xml, "RoleIDCode", 1)["csd-code"]], ["ARCHIVE", "false", "192.0.2.11", "110152"]);
    assert.deepEqual([requestor!["UserID"], requestor!["UserIsRequestor"], requestor!["NetworkAccessPointID"]], ["MOVESCU", "true", "192.0.2.10"]);
    assert.deepEqual(attrsOf(xml, "SOPClass"), { UID: "1.2.840.10008.5.1.4.1.1.2", NumberOfInstances: "2" });
    assert.deepEqual(attrsOf(xml, "ParticipantObjectIdentification", 1), { ParticipantObjectID: "PID-2", ParticipantObjectTypeCode: "1", ParticipantObjectTypeCodeRole: "1" });

    // C-GET: the requestor is the destination; no third participant. Some sub-operations failed: Minor failure.
    const get = instancesSent(node, {
      time,
      kind: "C-GET",
      calledAeTitle: "DICOMTLS",
      requestor: { address: "192.0.2.10", aeTitle: "GETSCU" },
      destination: { aeTitle: "GETSCU", address: "192.0.2.10" },
      study,
      encrypted: false,
      outcome: EventOutcome.MinorFailure,
    });
    await valid(get);
    assert.equal(attrsOf(get, "EventIdentification")["EventOutcomeIndicator"], "4");
    assert.equal([...get.matchAll(/<ActiveParticipant /g)].length, 2);
    assert.deepEqual([attrsOf(get, "ActiveParticipant", 1)["UserID"], attrsOf(get, "ActiveParticipant", 1)["UserIsRequestor"]], ["GETSCU", "true"]);
    assert.match(get, /<Encrypted>false<\/Encrypted>/);
  });

  test("the validation can fail: a message without its audit source is refused by the schema", async () => {
    const xml = applicationActivity(node, { event: "start", time }).replace(/<AuditSourceIdentification.*?<\/AuditSourceIdentification>/, "");
    const file = join(tmp.path, "broken.xml");
    writeFileSync(file, xml);
    await assert.rejects(assertValidAuditXml(file), /does not validate/);
  });
});

describe("RFC 5424 message, RFC 5425 octet counting", () => {
  const header = { hostname: "pacs.example", appName: "dicomtls", procId: "4242" };

  test("header: PRI 85 (facility 10, severity 5) or 84 for warnings, version 1, MSGID DICOM+RFC3881, no structured data, BOM", () => {
    const m = formatSyslogMessage("<AuditMessage/>", header, SyslogSeverity.Notice, time);
    assert.equal(m.toString("utf8"), `<85>1 2026-12-05T10:11:12.345Z pacs.example dicomtls 4242 ${DICOM_AUDIT_MSGID} - \uFEFF<AuditMessage/>`);
    assert.ok(formatSyslogMessage("x", header, SyslogSeverity.Warning, time).toString("ascii").startsWith("<84>1 "));
    const spaced = formatSyslogMessage("x", { hostname: "my host", appName: "", procId: "1" }, SyslogSeverity.Notice, time).toString("utf8");
    assert.match(spaced, /^<85>1 \S+ myhost - 1 /);
  });

  test("the frame length counts octets, not characters", () => {
    const msg = formatSyslogMessage("<a>Müller^Zoë 名前</a>", header, SyslogSeverity.Notice, time);
    const frame = frameOctetCounted(msg);
    const space = frame.indexOf(0x20);
    assert.equal(Number(frame.subarray(0, space).toString("ascii")), msg.length);
    assert.notEqual(msg.length, msg.toString("utf8").length);
    assert.deepEqual(frame.subarray(space + 1), msg);
  });

  test("frames decode whole, byte by byte, and split anywhere", () => {
    // PS3.15 A.6: receivers support at least 32768 octets; the large one goes whole and in 4 KB pieces only.
    const large = formatSyslogMessage("x".repeat(40_000), header, SyslogSeverity.Notice, time);
    const small = ["<a/>", "<b>é</b>", "<c>名前</c>"].map((x) => formatSyslogMessage(x, header, SyslogSeverity.Notice, time));
    assert.deepEqual(parseOctetCounted(Buffer.concat([...small, large].map(frameOctetCounted))).messages, [...small, large]);
    for (const [step, msgs] of [[1, small], [7, small], [4096, [...small, large]]] as const) {
      const stream = Buffer.concat(msgs.map(frameOctetCounted));
      const got: Buffer[] = [];
      let pending = Buffer.alloc(0);
      for (let at = 0; at < stream.length; at += step) {
        const r = parseOctetCounted(Buffer.concat([pending, stream.subarray(at, at + step)]));
        got.push(...r.messages);
        pending = Buffer.from(r.rest);
      }
      assert.deepEqual(got, msgs, `split every ${step} bytes`);
      assert.equal(pending.length, 0);
    }
  });

  test("a frame that does not start with a length is an error", () => {
    assert.throws(() => parseOctetCounted(Buffer.from("<85>1 - - - - - - x")), { code: "ERR_DICOM_SYSLOG_FRAME" });
    assert.throws(() => parseOctetCounted(Buffer.from("012 abc")), /expected a length/);
  });
});
