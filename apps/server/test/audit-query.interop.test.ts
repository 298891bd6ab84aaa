/**
 * The audit trail of Query/Retrieve with real peers over DICOM TLS: the built server bin, its AuditTrail.File read
 * after it stopped (the stop flushes every message). `findscu +tls` queries become PS3.15 A.5.3.10 Query messages
 * (the identifier findscu sent, base64, with its transfer syntax; a query outside the model is a Minor failure);
 * a C-MOVE to `storescp +tls` and a C-GET by our SCU become DICOM Instances Transferred messages from the sender's
 * side (action R) per study: this node the Source, the Move Destination / the C-GET requestor the Destination.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { QueryStatus, get, move, type QueryConnectionOptions } from "@dicomtls/scu";
import { SyntheticSopClass, requireTool, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { assertValidAuditXml } from "./audit-support.js";
import { findscuTls } from "./find-support.js";
import { filesUnder, startStorescpTls, uid, writeSources } from "./retrieve-support.js";
import { storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["xmllint", "findscu", "storescu", "storescp"]) requireTool(tool);
const tmp = tempDir("dicomtls-audit-query-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
const STUDY_1 = uid(701);
const STUDY_2 = uid(702);
const eventId = (xml: string): string | undefined => /<EventID csd-code="(\d+)"/.exec(xml)?.[1];
const outcomeOf = (xml: string): string | undefined => /EventOutcomeIndicator="(\d+)"/.exec(xml)?.[1];
const queryOf = (xml: string): Buffer => Buffer.from(/<ParticipantObjectQuery>([^<]*)<\/ParticipantObjectQuery>/.exec(xml)?.[1] ?? "", "base64");
const transferSyntaxOf = (xml: string): string | undefined => {
  const v = /<ParticipantObjectDetail type="TransferSyntax" value="([^"]*)"\/>/.exec(xml)?.[1];
  return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
};
const sentFor = (lines: readonly string[], study: string): string[] =>
  lines.filter((l) => eventId(l) === "110104" && l.includes('EventActionCode="R"') && l.includes(`ParticipantObjectID="${study}"`));

describe("audit trail of C-FIND, C-MOVE and C-GET (DICOM TLS, real peers)", () => {
  let files: NodeFiles;
  let server: StartedServer;
  let dest: Awaited<ReturnType<typeof startStorescpTls>>;
  let lines: string[] = [];
  const auditFile = (): string => join(tmp.path, "audit.log");

  before(async () => {
    files = await writePki(tmp.path);
    dest = await startStorescpTls(tmp.path, "AUDITDEST", files);
    const config = await writeNodeConfig(tmp.path, "node.json", files, join(tmp.path, "storage"), {
      DicomAlwaysAllowFind: true,
      AuditTrail: { File: "audit.log" },
      DicomModalities: {
        qr: { AET: "QRSCU", Host: "127.0.0.1", Port: 104 },
        dest: { AET: "AUDITDEST", Host: "127.0.0.1", Port: dest.port, UseDicomTls: true },
      },
    });
    server = await startServer(config.path, { built: true });
    const common = { patientId: "PAT70", patientName: "Audit^Ann", accessionNumber: "ACC70" };
    const sources = await writeSources(join(tmp.path, "src"), [
      ...[0, 1].map((k) => ({ ...common, seed: 7000 + k, sopClassUid: SyntheticSopClass.CtImageStorage, studyInstanceUid: STUDY_1, seriesInstanceUid: uid(7011), sopInstanceUid: uid(70100 + k) })),
      { ...common, seed: 7010, sopClassUid: SyntheticSopClass.MrImageStorage, studyInstanceUid: STUDY_1, seriesInstanceUid: uid(7012), sopInstanceUid: uid(70110) },
      { ...common, seed: 7020, sopClassUid: SyntheticSopClass.CtImageStorage, studyInstanceUid: STUDY_2, seriesInstanceUid: uid(7021), sopInstanceUid: uid(70200) },
    ]);
    const stored = await storescuTls(files, server.port, sources.map((s) => s.path));
    assert.equal(stored.code, 0, stored.output);

    // The operations the tests below read back from the audit file.
    const found = await findscuTls(files, server.port, "-S", ["-k", "QueryRetrieveLevel=STUDY", "-k", `StudyInstanceUID=${STUDY_1}`, "-k", "PatientID"]);
    assert.equal(found.code, 0, found.output);
    const outside = await findscuTls(files, server.port, "-S", ["-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=PAT70"]);
    assert.match(outside.output, /Final Find Response \(Error: DataSetDoesNotMatchSOPClass\)/, outside.output);
    const base: QueryConnectionOptions = {
      host: "127.0.0.1",
      port: server.port,
      callingAeTitle: "QRSCU",
      calledAeTitle: "DICOMTLS",
      tls: { ca: files.pki.trustedBundle, cert: files.pki.client.chain, key: files.pki.client.key },
      timeouts: { dimseMs: 30_000 },
    };
    const moved = await move({ ...base, destination: "AUDITDEST", level: "STUDY", keys: { StudyInstanceUID: STUDY_1 } }).result();
    assert.deepEqual([moved.status, moved.completed], [QueryStatus.Success, 3], JSON.stringify(moved));
    assert.equal(filesUnder(dest.outDir).length, 3);
    const got = await get({
      ...base,
      level: "STUDY",
      keys: { StudyInstanceUID: STUDY_2 },
      sopClasses: [SyntheticSopClass.CtImageStorage],
      onInstance: async (instance) => {
        for await (const _ of instance.dataset);
      },
    }).result();
    assert.deepEqual([got.status, got.completed], [QueryStatus.Success, 1], JSON.stringify(got));
    await server.stop();
    lines = readFileSync(auditFile(), "utf8").split("\n").filter((l) => l !== "");
  });

  test("findscu +tls: one Query (110112) per C-FIND, with the identifier as sent and its transfer syntax", async () => {
    const queries = lines.filter((l) => eventId(l) === "110112");
    assert.equal(queries.length, 2, queries.join("\n"));
    const [ok, refused] = queries as [string, string];
    assert.equal(outcomeOf(ok), "0");
    assert.match(ok, /EventActionCode="E"/);
    assert.match(ok, new RegExp(`<ParticipantObjectIdentification ParticipantObjectID="${STUDY_ROOT_FIND.replace(/\./g, "\\.")}" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">`));
    assert.match(ok, /<ParticipantObjectIDTypeCode csd-code="110181"/);
    assert.match(ok, /<ActiveParticipant UserID="FINDSCU" AlternativeUserID="AETITLES=FINDSCU" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2">/);
    assert.match(ok, /AlternativeUserID="AETITLES=DICOMTLS" UserName="dicomtls" UserIsRequestor="false"/);
    // The identifier findscu sent: QueryRetrieveLevel STUDY and the StudyInstanceUID as values in the bytes.
    const q = queryOf(ok).toString("latin1");
    assert.ok(q.includes("STUDY") && q.includes(STUDY_1), q);
    assert.match(transferSyntaxOf(ok) ?? "", /^1\.2\.840\.10008\.1\.2(\.1)?$/);
    // PATIENT level in the Study Root model: refused (A900), a Minor failure saying so.
    assert.equal(outcomeOf(refused), "4");
    assert.match(refused, /<EventOutcomeDescription>C-FIND refused with 0xA900/);
    assert.ok(queryOf(refused).toString("latin1").includes("PAT70"));
    for (const [i, l] of queries.entries()) {
      writeFileSync(join(tmp.path, `query-${i}.xml`), l);
      await assertValidAuditXml(join(tmp.path, `query-${i}.xml`));
    }
  });

  test("C-MOVE to storescp +tls: Instances Transferred (R), this node the Source, AUDITDEST the Destination, QRSCU the requestor", async () => {
    const [xml, ...more] = sentFor(lines, STUDY_1);
    assert.ok(xml !== undefined && more.length === 0, lines.join("\n"));
    assert.equal(outcomeOf(xml), "0");
    assert.match(xml, /AlternativeUserID="AETITLES=DICOMTLS" UserName="dicomtls" UserIsRequestor="false" NetworkAccessPointID="[^"]+" NetworkAccessPointTypeCode="1"><RoleIDCode csd-code="110153"/);
    assert.match(xml, /<ActiveParticipant UserID="AUDITDEST" AlternativeUserID="AETITLES=AUDITDEST" UserIsRequestor="false" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2"><RoleIDCode csd-code="110152"/);
    assert.match(xml, /<ActiveParticipant UserID="QRSCU" AlternativeUserID="AETITLES=QRSCU" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2"\/>/);
    assert.match(xml, new RegExp(`<SOPClass UID="${SyntheticSopClass.CtImageStorage.replace(/\./g, "\\.")}" NumberOfInstances="2"/>`));
    assert.match(xml, new RegExp(`<SOPClass UID="${SyntheticSopClass.MrImageStorage.replace(/\./g, "\\.")}" NumberOfInstances="1"/>`));
    assert.match(xml, /<Accession Number="ACC70"\/>/);
    assert.match(xml, /<Encrypted>true<\/Encrypted>/);
    assert.match(xml, /ParticipantObjectID="PAT70" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"/);
    assert.match(xml, /<ParticipantObjectName>Audit\^Ann<\/ParticipantObjectName>/);
    writeFileSync(join(tmp.path, "move.xml"), xml);
    await assertValidAuditXml(join(tmp.path, "move.xml"));
  });

  test("C-GET by our SCU: Instances Transferred (R), the requestor is the Destination and the requestor", async () => {
    const [xml, ...more] = sentFor(lines, STUDY_2);
    assert.ok(xml !== undefined && more.length === 0, lines.join("\n"));
    assert.equal([...xml.matchAll(/<ActiveParticipant /g)].length, 2);
    assert.match(xml, /<ActiveParticipant UserID="QRSCU" AlternativeUserID="AETITLES=QRSCU" UserIsRequestor="true" NetworkAccessPointID="127\.0\.0\.1" NetworkAccessPointTypeCode="2"><RoleIDCode csd-code="110152"/);
    assert.match(xml, new RegExp(`<SOPClass UID="${SyntheticSopClass.CtImageStorage.replace(/\./g, "\\.")}" NumberOfInstances="1"/>`));
    assert.match(xml, /<Encrypted>true<\/Encrypted>/);
    writeFileSync(join(tmp.path, "get.xml"), xml);
    await assertValidAuditXml(join(tmp.path, "get.xml"));
  });

  test("the stores that filled the node are audited as received (C), not as sent", () => {
    const received = lines.filter((l) => eventId(l) === "110104" && l.includes('EventActionCode="C"'));
    assert.deepEqual(received.map((l) => [STUDY_1, STUDY_2].find((s) => l.includes(`ParticipantObjectID="${s}"`))).sort(), [STUDY_1, STUDY_2].sort());
  });
});
