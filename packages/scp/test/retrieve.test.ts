import { strict as assert } from "node:assert";
import { after, describe, test } from "node:test";
import { requestAssociation } from "@dicomtls/association";
import { cGetRq, decodeIdentifier, encodeIdentifier, Status } from "@dicomtls/pdu-codec";
import { createGetService, createScp, RetrieveRequestError, RetrieveSopClass, RetrieveStatus, retrieveSelector, verificationHandler } from "../src/index.js";
import { SubOperationTally } from "../src/retrieve/sub-operations.js";
import { listen } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

const refusedWith = (status: number, text: RegExp) => (e: unknown) => e instanceof RetrieveRequestError && e.status === status && text.test(e.message);

describe("retrieveSelector (PS3.4 C.4.2.1.4.1)", () => {
  test("level and unique keys, upper-level keys kept, empty ones ignored, UID lists", () => {
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["SERIES"], StudyInstanceUID: ["1.2.3"], SeriesInstanceUID: ["1.2.3.4", "1.2.3.5"], Modality: [""] }, RetrieveSopClass.StudyRootMove), {
      level: "SERIES",
      studyInstanceUids: ["1.2.3"],
      seriesInstanceUids: ["1.2.3.4", "1.2.3.5"],
    });
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["PATIENT"], PatientID: ["PAT001"] }, RetrieveSopClass.PatientRootGet), { level: "PATIENT", patientIds: ["PAT001"] });
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["image"], SOPInstanceUID: ["1.9"], SeriesInstanceUID: [""] }, RetrieveSopClass.StudyRootGet), { level: "IMAGE", sopInstanceUids: ["1.9"] });
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["INSTANCE"], SOPInstanceUID: ["1.9"] }, RetrieveSopClass.PatientRootMove), { level: "IMAGE", sopInstanceUids: ["1.9"] });
  });

  test("AccessionNumber stands in for an empty StudyInstanceUID at STUDY level only", () => {
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["STUDY"], StudyInstanceUID: [""], AccessionNumber: ["ACC002"] }, RetrieveSopClass.StudyRootMove), { level: "STUDY", accessionNumbers: ["ACC002"] });
    assert.deepEqual(retrieveSelector({ QueryRetrieveLevel: ["STUDY"], StudyInstanceUID: ["1.2"], AccessionNumber: ["ACC002"] }, RetrieveSopClass.StudyRootMove), { level: "STUDY", studyInstanceUids: ["1.2"] });
    assert.throws(() => retrieveSelector({ QueryRetrieveLevel: ["SERIES"], AccessionNumber: ["ACC002"] }, RetrieveSopClass.StudyRootMove), refusedWith(0xa900, /SeriesInstanceUID/));
  });

  test("a missing, unknown or foreign level, or a missing unique key, is 0xA900 naming what is wrong", () => {
    assert.throws(() => retrieveSelector({ StudyInstanceUID: ["1.2"] }, RetrieveSopClass.StudyRootMove), refusedWith(0xa900, /no Query\/Retrieve Level/));
    assert.throws(() => retrieveSelector({ QueryRetrieveLevel: ["FOO"], StudyInstanceUID: ["1.2"] }, RetrieveSopClass.StudyRootMove), refusedWith(0xa900, /"FOO"/));
    assert.throws(() => retrieveSelector({ QueryRetrieveLevel: ["PATIENT"], PatientID: ["P"] }, RetrieveSopClass.StudyRootMove), refusedWith(0xa900, /STUDY, SERIES, IMAGE/));
    assert.throws(() => retrieveSelector({ QueryRetrieveLevel: ["STUDY"], StudyInstanceUID: [""] }, RetrieveSopClass.StudyRootGet), refusedWith(0xa900, /StudyInstanceUID \(or AccessionNumber\)/));
  });
});

describe("sub-operation counts and final status (PS3.4 C.4.2.1.5, C.4.3.1.4)", () => {
  const tally = (outcomes: Array<"completed" | "warning" | "failed">, total = outcomes.length): SubOperationTally => {
    const t = new SubOperationTally(total);
    outcomes.forEach((kind, k) => t.add({ sopInstanceUid: `1.2.${k}` }, kind === "failed" ? { kind, reason: "x" } : { kind }));
    return t;
  };

  test("0000 when all completed; B000 when some failed or warned, or all warned; A702 when all failed; FE00 when cancelled", () => {
    assert.equal(tally(["completed", "completed"]).finalStatus(false), RetrieveStatus.Success);
    assert.equal(tally(["completed", "failed"]).finalStatus(false), RetrieveStatus.Warning);
    assert.equal(tally(["warning", "warning"]).finalStatus(false), RetrieveStatus.Warning);
    assert.equal(tally(["failed", "failed"]).finalStatus(false), RetrieveStatus.SubOperationsFailed);
    assert.equal(tally([]).finalStatus(false), RetrieveStatus.Success);
    assert.equal(tally(["completed"], 3).finalStatus(true), RetrieveStatus.Cancel);
  });

  test("Pending carries all four counts; the final has no Remaining unless cancelled, and (0008,0058) lists the failed UIDs", () => {
    const t = tally(["completed", "failed", "warning"], 5);
    assert.deepEqual(t.pending(), { numberOfRemainingSuboperations: 2, numberOfCompletedSuboperations: 1, numberOfFailedSuboperations: 1, numberOfWarningSuboperations: 1 });
    const done = t.final(false, EXPLICIT_LE);
    assert.equal(done.counts.numberOfRemainingSuboperations, undefined);
    assert.deepEqual(decodeIdentifier(done.dataset!, EXPLICIT_LE)["FailedSOPInstanceUIDList"], ["1.2.1"]);
    assert.equal(t.final(true, EXPLICIT_LE).counts.numberOfRemainingSuboperations, 2);
    assert.equal(tally(["completed"]).final(false, EXPLICIT_LE).dataset, undefined);
  });
});

describe("C-GET role selection (PS3.4 C.5.3, PS3.7 D.3.3.4)", () => {
  const scpWithGet = async (): Promise<number> => {
    const scp = createScp({ aeTitle: "QR-SCP" });
    scp.handle(CT, verificationHandler, { transferSyntaxes: [EXPLICIT_LE] });
    // No instance is ever selected here, so the codec runner is never asked for a file.
    createGetService({ source: { instances: async function* () {} }, codec: undefined as never }).register(scp);
    const srv = await listen((s) => void scp.handleConnection(s));
    closers.push(() => scp.close({ timeoutMs: 0 }), srv.close);
    return srv.port;
  };

  test("the requestor's SCP role on a storage class is granted when it proposes a GET class, and only then", async () => {
    const port = await scpWithGet();
    const ct = { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE], roles: { scu: false, scp: true } };
    const withGet = await requestAssociation({
      host: "127.0.0.1",
      port,
      callingAeTitle: "GETSCU",
      calledAeTitle: "QR-SCP",
      presentationContexts: [{ abstractSyntax: RetrieveSopClass.StudyRootGet, transferSyntaxes: [EXPLICIT_LE] }, ct],
    });
    assert.deepEqual(withGet.findContext(CT)?.requestorRoles, { scu: false, scp: true });
    await withGet.release();
    const storeOnly = await requestAssociation({ host: "127.0.0.1", port, callingAeTitle: "OTHER", calledAeTitle: "QR-SCP", presentationContexts: [ct] });
    assert.deepEqual(storeOnly.findContext(CT)?.requestorRoles, { scu: false, scp: false });
    await storeOnly.release();
  });

  test("a C-GET of nothing is Success with zero counts and no data set; a bad identifier is refused with its status", async () => {
    const port = await scpWithGet();
    const assoc = await requestAssociation({
      host: "127.0.0.1",
      port,
      callingAeTitle: "GETSCU",
      calledAeTitle: "QR-SCP",
      presentationContexts: [{ abstractSyntax: RetrieveSopClass.StudyRootGet, transferSyntaxes: [EXPLICIT_LE] }],
    });
    const ctx = assoc.findContext(RetrieveSopClass.StudyRootGet)!;
    const ask = (keys: Record<string, string>) =>
      assoc.request(ctx.id, cGetRq({ messageId: assoc.nextMessageId(), affectedSopClassUid: RetrieveSopClass.StudyRootGet }), encodeIdentifier(keys, { transferSyntaxUid: EXPLICIT_LE }));
    const none = await ask({ QueryRetrieveLevel: "STUDY", StudyInstanceUID: "1.2.3" });
    assert.deepEqual([none.command.status, none.command.numberOfCompletedSuboperations, none.command.numberOfFailedSuboperations, none.dataset], [Status.Success, 0, 0, undefined]);
    const bad = await ask({ QueryRetrieveLevel: "PATIENT", PatientID: "P" });
    assert.equal(bad.command.status, RetrieveStatus.IdentifierDoesNotMatchSopClass);
    assert.match(bad.command.errorComment ?? "", /PATIENT/);
    await assoc.release();
  });
});
