import { strict as assert } from "node:assert";
import { test } from "node:test";
import { PduType, PresentationContextResult, type AAssociateAc, type AAssociateRq } from "@dicomtls/pdu-codec";
import {
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  NegotiationError,
  buildAssociateRq,
  interpretAssociateAc,
  localRoles,
  negotiateAsAcceptor,
  type AcceptorPolicy,
} from "../src/index.js";
import { EXPLICIT_LE, IMPLICIT_LE, VERIFICATION } from "./helpers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const JPEG = "1.2.840.10008.1.2.4.50";
const UNKNOWN = "1.2.3.4.5.6";

function rq(contexts: Array<{ id: number; abstractSyntax: string; transferSyntaxes: string[] }>, extra: Partial<AAssociateRq["userInformation"]> = {}): AAssociateRq {
  return {
    type: PduType.AAssociateRq,
    protocolVersion: 1,
    calledAeTitle: "SCP",
    callingAeTitle: "SCU",
    applicationContextName: "1.2.840.10008.3.1.1.1",
    presentationContexts: contexts,
    userInformation: { maxLength: 32768, implementationClassUid: "1.2.276.0.7230010.3.0.3.6.7", ...extra },
  };
}

const policy: AcceptorPolicy = {
  abstractSyntaxes: [
    { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    // Our preference: explicit first, even when the requestor lists implicit first.
    { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
    { abstractSyntax: MR, transferSyntaxes: [EXPLICIT_LE], roles: { scu: true, scp: true } },
  ],
};

test("acceptor: result 0 with OUR preferred transfer syntax, 3 for an unknown abstract syntax, 4 when no transfer syntax fits", () => {
  const n = negotiateAsAcceptor(
    rq([
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] },
      { id: 5, abstractSyntax: UNKNOWN, transferSyntaxes: [IMPLICIT_LE] },
      { id: 7, abstractSyntax: CT, transferSyntaxes: [JPEG] },
    ]),
    policy,
    { maxPduLength: 65536 },
  );
  assert.deepEqual(
    n.ac.presentationContexts.map((p) => [p.id, p.result, p.transferSyntax]),
    [
      [1, PresentationContextResult.Acceptance, IMPLICIT_LE],
      [3, PresentationContextResult.Acceptance, EXPLICIT_LE],
      [5, PresentationContextResult.AbstractSyntaxNotSupported, ""],
      [7, PresentationContextResult.TransferSyntaxesNotSupported, ""],
    ],
  );
  assert.deepEqual(n.accepted.map((c) => c.id), [1, 3]);
  assert.equal(n.outcomes.length, 4);
});

test("acceptor: max PDU both ways, implementation class UID (2.25) and version name, AE titles echoed", () => {
  const n = negotiateAsAcceptor(rq([{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }]), policy, { maxPduLength: 65536 });
  assert.equal(n.ac.userInformation.maxLength, 65536);
  assert.equal(n.peerMaxPduLength, 32768);
  assert.match(IMPLEMENTATION_CLASS_UID, /^2\.25\.\d+$/);
  assert.ok(IMPLEMENTATION_CLASS_UID.length <= 64, "PS3.5 §9.1: a UID is at most 64 characters");
  assert.equal(n.ac.userInformation.implementationClassUid, IMPLEMENTATION_CLASS_UID);
  assert.equal(n.ac.userInformation.implementationVersionName, "DICOMTLS_010");
  assert.equal(IMPLEMENTATION_VERSION_NAME, "DICOMTLS_010");
  assert.equal(n.ac.calledAeTitle, "SCP");
  assert.equal(n.ac.callingAeTitle, "SCU");
});

test("acceptor: acceptUnknown accepts any abstract syntax with its transfer syntaxes", () => {
  const n = negotiateAsAcceptor(rq([{ id: 1, abstractSyntax: UNKNOWN, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] }]), { abstractSyntaxes: [], acceptUnknown: { transferSyntaxes: [EXPLICIT_LE] } }, { maxPduLength: 0 });
  assert.equal(n.ac.presentationContexts[0]!.result, PresentationContextResult.Acceptance);
  assert.equal(n.ac.presentationContexts[0]!.transferSyntax, EXPLICIT_LE);
});

test("acceptor: an even or duplicate context id is refused (result 2) rather than answered ambiguously", () => {
  const n = negotiateAsAcceptor(
    rq([
      { id: 2, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 1, abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] },
    ]),
    policy,
    { maxPduLength: 0 },
  );
  assert.deepEqual(n.ac.presentationContexts.map((p) => p.result), [2, 0, 2]);
});

test("acceptor: role selection is answered only for proposed roles we allow (PS3.7 D.3.3.4)", () => {
  const n = negotiateAsAcceptor(
    rq(
      [
        { id: 1, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
        { id: 3, abstractSyntax: MR, transferSyntaxes: [EXPLICIT_LE] },
      ],
      {
        roleSelections: [
          { sopClassUid: CT, scuRole: true, scpRole: true },
          { sopClassUid: MR, scuRole: false, scpRole: true },
        ],
      },
    ),
    policy,
    { maxPduLength: 0 },
  );
  const replies = new Map((n.ac.userInformation.roleSelections ?? []).map((r) => [r.sopClassUid, [r.scuRole, r.scpRole]]));
  // CT: we are SCP only, so the requestor may be SCU but not SCP.
  assert.deepEqual(replies.get(CT), [true, false]);
  // MR: we also play SCU, so the requestor's proposed SCP role is granted.
  assert.deepEqual(replies.get(MR), [false, true]);
  const mr = n.accepted.find((c) => c.abstractSyntax === MR)!;
  assert.deepEqual(localRoles(mr, false), { scu: true, scp: false });
});

test("requestor: builds odd ids 1,3,5 and role items; interprets the AC's accepted contexts and peer max PDU", () => {
  const req = buildAssociateRq(
    [
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE], roles: { scu: true, scp: true } },
      { abstractSyntax: MR, transferSyntaxes: [JPEG] },
    ],
    { callingAeTitle: "SCU", calledAeTitle: "SCP", maxPduLength: 16384 },
  );
  assert.deepEqual(req.presentationContexts.map((p) => p.id), [1, 3, 5]);
  assert.deepEqual(req.userInformation.roleSelections, [{ sopClassUid: CT, scuRole: true, scpRole: true }]);
  const ac = negotiateAsAcceptor(req, policy, { maxPduLength: 65536 }).ac;
  const n = interpretAssociateAc(req, ac);
  assert.deepEqual(n.accepted.map((c) => [c.id, c.transferSyntax]), [
    [1, IMPLICIT_LE],
    [3, EXPLICIT_LE],
  ]);
  assert.equal(n.peerMaxPduLength, 65536);
  assert.deepEqual(n.accepted[1]!.requestorRoles, { scu: true, scp: false });
  assert.equal(n.outcomes.find((o) => o.id === 5)!.result, PresentationContextResult.TransferSyntaxesNotSupported);
});

test("requestor: an AC answering a context we never proposed, or with a transfer syntax we did not offer, is a NegotiationError", () => {
  const req = buildAssociateRq([{ abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], { callingAeTitle: "A", calledAeTitle: "B", maxPduLength: 0 });
  const base: AAssociateAc = { ...negotiateAsAcceptor(req, policy, { maxPduLength: 0 }).ac };
  assert.throws(() => interpretAssociateAc(req, { ...base, presentationContexts: [{ id: 3, result: 0, transferSyntax: IMPLICIT_LE }] }), NegotiationError);
  assert.throws(() => interpretAssociateAc(req, { ...base, presentationContexts: [{ id: 1, result: 0, transferSyntax: EXPLICIT_LE }] }), /did not propose/);
});
