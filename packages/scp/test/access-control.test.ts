import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALWAYS_ALLOW_KEY, DicomCommand, MODALITY_ALLOW_KEY, decideAssociation, decideCommand, isSameAeTitle, normalizePeerIp } from "../src/access-control.js";
import type { AccessPolicy, AccessPolicyModality, AlwaysAllowCommand, AlwaysAllowFlags, AssociationRequestInfo, CommandFlags } from "../src/access-control.js";

const ALL = (v: boolean): CommandFlags => ({ echo: v, store: v, find: v, findWorklist: v, get: v, move: v, nAction: v, eventReport: v });
const ALWAYS = (v: boolean): AlwaysAllowFlags => ({ echo: v, store: v, find: v, findWorklist: v, get: v, move: v });
/** Orthanc's defaults: only echo and store from anyone. */
const ORTHANC_ALWAYS: AlwaysAllowFlags = { ...ALWAYS(false), echo: true, store: true };
const hasAlwaysAllow = (c: DicomCommand): c is AlwaysAllowCommand => c in ALWAYS_ALLOW_KEY;

function modality(name: string, aet: string, host: string, allow: Partial<CommandFlags> = {}): AccessPolicyModality {
  return { name, aet, host, allow: { ...ALL(true), ...allow } };
}

function policy(p: Partial<AccessPolicy> = {}): AccessPolicy {
  return {
    ownAet: "DICOMTLS",
    checkCalledAet: false,
    strictAetComparison: false,
    checkModalityHost: false,
    alwaysAllow: ORTHANC_ALWAYS,
    modalities: [modality("ct", "CT1", "10.0.0.5")],
    ...p,
  };
}

const req = (r: Partial<AssociationRequestInfo> = {}): AssociationRequestInfo => ({
  calledAet: "DICOMTLS",
  callingAet: "CT1",
  peerIp: "10.0.0.5",
  ...r,
});

// Two modalities with one AE title; "a-ws" sorts before "b-ws", which matters to Orthanc's lookups.
const SHARED = [modality("b-ws", "WS", "10.0.0.2"), modality("a-ws", "WS", "10.0.0.1")];

describe("decideAssociation", () => {
  const rows: { name: string; policy: AccessPolicy; request: AssociationRequestInfo; reason: 3 | 7 | null; why?: RegExp }[] = [
    { name: "Orthanc defaults: an unknown AE title may associate", policy: policy(), request: req({ callingAet: "NOBODY" }), reason: null },
    { name: "called AE check off: any called AE title", policy: policy(), request: req({ calledAet: "OTHER" }), reason: null },
    { name: "called AE check on, wrong called AE", policy: policy({ checkCalledAet: true }), request: req({ calledAet: "OTHER" }), reason: 7, why: /called AE title "OTHER"/ },
    { name: "called AE check on, other case, not strict", policy: policy({ checkCalledAet: true }), request: req({ calledAet: "dicomtls" }), reason: null },
    { name: "called AE check on, other case, strict", policy: policy({ checkCalledAet: true, strictAetComparison: true }), request: req({ calledAet: "dicomtls" }), reason: 7 },
    { name: "called AE check on, trailing spaces are not significant", policy: policy({ checkCalledAet: true }), request: req({ calledAet: "DICOMTLS  " }), reason: null },
    {
      name: "called AE is checked before the calling AE",
      policy: policy({ checkCalledAet: true, alwaysAllow: ALWAYS(false) }),
      request: req({ calledAet: "OTHER", callingAet: "NOBODY" }),
      reason: 7,
    },
    { name: "every AlwaysAllow off: unknown calling AE rejected", policy: policy({ alwaysAllow: ALWAYS(false) }), request: req({ callingAet: "NOBODY" }), reason: 3, why: /not listed/ },
    { name: "every AlwaysAllow off: known calling AE accepted", policy: policy({ alwaysAllow: ALWAYS(false) }), request: req(), reason: null },
    { name: "every AlwaysAllow off: known AE, other case, not strict", policy: policy({ alwaysAllow: ALWAYS(false) }), request: req({ callingAet: "ct1" }), reason: null },
    { name: "every AlwaysAllow off: known AE, other case, strict", policy: policy({ alwaysAllow: ALWAYS(false), strictAetComparison: true }), request: req({ callingAet: "ct1" }), reason: 3 },
    ...((Object.keys(ALWAYS_ALLOW_KEY) as AlwaysAllowCommand[]).map((c) => ({
      name: `only DicomAlwaysAllow ${c} on: an unknown AE title may associate`,
      policy: policy({ alwaysAllow: { ...ALWAYS(false), [c]: true } }),
      request: req({ callingAet: "NOBODY" }),
      reason: null,
    })) as { name: string; policy: AccessPolicy; request: AssociationRequestInfo; reason: null }[]),
    { name: "AlwaysAllow on: host is not checked at association time", policy: policy({ checkModalityHost: true }), request: req({ peerIp: "10.9.9.9" }), reason: null },
    { name: "host check on, wrong IP", policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true }), request: req({ peerIp: "10.9.9.9" }), reason: 3, why: /Host "10\.0\.0\.5"/ },
    { name: "host check off, wrong IP", policy: policy({ alwaysAllow: ALWAYS(false) }), request: req({ peerIp: "10.9.9.9" }), reason: null },
    { name: "host check on, right IP", policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true }), request: req(), reason: null },
    { name: "host check on, IPv4-mapped IPv6 peer address", policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true }), request: req({ peerIp: "::ffff:10.0.0.5" }), reason: null },
    {
      name: "host check on, host names are not resolved",
      policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true, modalities: [modality("ct", "CT1", "localhost")] }),
      request: req({ peerIp: "127.0.0.1" }),
      reason: 3,
    },
    {
      name: "shared AE title, host check: the first modality by name decides (its Host matches)",
      policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true, modalities: SHARED }),
      request: req({ callingAet: "WS", peerIp: "10.0.0.1" }),
      reason: null,
    },
    {
      name: "shared AE title, host check: the second modality's Host is not considered (Orthanc)",
      policy: policy({ alwaysAllow: ALWAYS(false), checkModalityHost: true, modalities: SHARED }),
      request: req({ callingAet: "WS", peerIp: "10.0.0.2" }),
      reason: 3,
      why: /modality "a-ws"/,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const d = decideAssociation(row.policy, row.request);
      if (row.reason === null) {
        assert.deepEqual(d, { accept: true });
      } else {
        assert.equal(d.accept, false);
        if (d.accept) return;
        assert.equal(d.result, 1);
        assert.equal(d.source, 1);
        assert.equal(d.reason, row.reason);
        if (row.why !== undefined) assert.match(d.why, row.why);
      }
    });
  }
});

describe("decideAssociation: certificate binding (DicomTlsCheckModalityCertificate)", () => {
  const p = policy({ checkModalityCertificate: true, modalities: [modality("ct", "CT1", "10.0.0.5"), modality("mr", "MR1", "10.0.0.6")] });
  const rows: { name: string; policy: AccessPolicy; request: AssociationRequestInfo; reason: 3 | 7 | null; why?: RegExp }[] = [
    { name: "the certificate's modality claims its own AE title", policy: p, request: req({ certificateModalities: ["ct"] }), reason: null },
    { name: "AE title compared case-insensitively", policy: p, request: req({ callingAet: "ct1", certificateModalities: ["ct"] }), reason: null },
    { name: "strict comparison applies to the binding too", policy: { ...p, strictAetComparison: true }, request: req({ callingAet: "ct1", certificateModalities: ["ct"] }), reason: 3 },
    {
      name: "a certificate claims another modality's AE title",
      policy: p,
      request: req({ callingAet: "MR1", certificateModalities: ["ct"] }),
      reason: 3,
      why: /modality "ct".*calling AE title "MR1"/,
    },
    { name: "one certificate shared by two modalities", policy: p, request: req({ callingAet: "MR1", certificateModalities: ["ct", "mr"] }), reason: null },
    { name: "a certificate of no modality", policy: p, request: req({ certificateModalities: [] }), reason: 3, why: /no configured modality/ },
    { name: "a plain connection: nothing to bind", policy: p, request: req({ callingAet: "MR1" }), reason: null },
    { name: "binding off: any certificate may claim any AE title", policy: { ...p, checkModalityCertificate: false }, request: req({ callingAet: "MR1", certificateModalities: ["ct"] }), reason: null },
    {
      name: "the binding applies even when AlwaysAllow lets unknown AE titles in",
      policy: p,
      request: req({ callingAet: "NOBODY", certificateModalities: ["ct"] }),
      reason: 3,
    },
    {
      name: "the called AE title is checked first",
      policy: { ...p, checkCalledAet: true },
      request: req({ calledAet: "OTHER", callingAet: "MR1", certificateModalities: ["ct"] }),
      reason: 7,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const d = decideAssociation(row.policy, row.request);
      if (row.reason === null) {
        assert.deepEqual(d, { accept: true });
      } else {
        assert.equal(d.accept, false);
        if (d.accept) return;
        assert.equal(d.reason, row.reason);
        if (row.why !== undefined) assert.match(d.why, row.why);
      }
    });
  }
});

describe("decideCommand", () => {
  for (const command of Object.values(DicomCommand)) {
    const others = ALWAYS(false);
    const always = hasAlwaysAllow(command) ? ALWAYS_ALLOW_KEY[command] : undefined;
    const flag = (m: string): string => `DicomModalities.${m}.${MODALITY_ALLOW_KEY[command]}`;
    const rows: { name: string; policy: AccessPolicy; callingAet: string; peerIp: string; allow: boolean; key?: string }[] = [
      ...(hasAlwaysAllow(command)
        ? [
            { name: "AlwaysAllow on: unknown AE allowed", policy: policy({ alwaysAllow: { ...others, [command]: true } }), callingAet: "NOBODY", peerIp: "1.1.1.1", allow: true },
            {
              name: "AlwaysAllow on: allowed even when the modality forbids it",
              policy: policy({ alwaysAllow: { ...others, [command]: true }, modalities: [modality("ct", "CT1", "10.0.0.5", { [command]: false })] }),
              callingAet: "CT1",
              peerIp: "10.0.0.5",
              allow: true,
            },
          ]
        : [
            // Orthanc has no DicomAlwaysAllow for N-ACTION / N-EVENT-REPORT: every other flag on does not open them.
            { name: "no AlwaysAllow key: unknown AE denied even with every AlwaysAllow on", policy: policy({ alwaysAllow: ALWAYS(true) }), callingAet: "NOBODY", peerIp: "10.0.0.5", allow: false, key: "DicomModalities" },
            {
              name: "no AlwaysAllow key: the modality's flag decides even with every AlwaysAllow on",
              policy: policy({ alwaysAllow: ALWAYS(true), modalities: [modality("ct", "CT1", "10.0.0.5", { [command]: false })] }),
              callingAet: "CT1",
              peerIp: "10.0.0.5",
              allow: false,
              key: flag("ct"),
            },
          ]),
      { name: "AlwaysAllow off: unknown AE denied", policy: policy({ alwaysAllow: others }), callingAet: "NOBODY", peerIp: "10.0.0.5", allow: false, key: always ?? "DicomModalities" },
      { name: "AlwaysAllow off: known AE, Allow on", policy: policy({ alwaysAllow: others }), callingAet: "CT1", peerIp: "10.0.0.5", allow: true },
      {
        name: "AlwaysAllow off: known AE, Allow off",
        policy: policy({ alwaysAllow: others, modalities: [modality("ct", "CT1", "10.0.0.5", { [command]: false })] }),
        callingAet: "CT1",
        peerIp: "10.0.0.5",
        allow: false,
        key: flag("ct"),
      },
      {
        name: "another command's AlwaysAllow does not matter",
        policy: policy({ alwaysAllow: Object.fromEntries(Object.keys(others).map((k) => [k, k !== command])) as AlwaysAllowFlags, modalities: [modality("ct", "CT1", "10.0.0.5", { [command]: false })] }),
        callingAet: "CT1",
        peerIp: "10.0.0.5",
        allow: false,
        key: flag("ct"),
      },
      {
        name: "another command's Allow flag does not matter",
        policy: policy({ alwaysAllow: others, modalities: [modality("ct", "CT1", "10.0.0.5", { ...ALL(false), [command]: true })] }),
        callingAet: "CT1",
        peerIp: "10.0.0.5",
        allow: true,
      },
      { name: "host check off: wrong IP allowed", policy: policy({ alwaysAllow: others }), callingAet: "CT1", peerIp: "10.9.9.9", allow: true },
      { name: "host check on: wrong IP denied", policy: policy({ alwaysAllow: others, checkModalityHost: true }), callingAet: "CT1", peerIp: "10.9.9.9", allow: false, key: "DicomCheckModalityHost" },
      { name: "host check on: IPv4-mapped peer matches", policy: policy({ alwaysAllow: others, checkModalityHost: true }), callingAet: "CT1", peerIp: "::FFFF:10.0.0.5", allow: true },
      { name: "strict AE comparison: other case denied", policy: policy({ alwaysAllow: others, strictAetComparison: true }), callingAet: "ct1", peerIp: "10.0.0.5", allow: false, key: always ?? "DicomModalities" },
      { name: "non-strict AE comparison: other case allowed", policy: policy({ alwaysAllow: others }), callingAet: "ct1", peerIp: "10.0.0.5", allow: true },
      // Several modalities with one AE title.
      { name: "shared AE, no host check, all allow", policy: policy({ alwaysAllow: others, modalities: SHARED }), callingAet: "WS", peerIp: "9.9.9.9", allow: true },
      {
        name: "shared AE, no host check, one forbids: denied even from the allowing one's IP",
        policy: policy({ alwaysAllow: others, modalities: [modality("a-ws", "WS", "10.0.0.1"), modality("b-ws", "WS", "10.0.0.2", { [command]: false })] }),
        callingAet: "WS",
        peerIp: "10.0.0.1",
        allow: false,
        key: flag("b-ws"),
      },
      {
        name: "shared AE, host check: the allowing modality with the peer's IP wins",
        policy: policy({ alwaysAllow: others, checkModalityHost: true, modalities: [modality("a-ws", "WS", "10.0.0.1", { [command]: false }), modality("b-ws", "WS", "10.0.0.2")] }),
        callingAet: "WS",
        peerIp: "10.0.0.2",
        allow: true,
      },
      {
        name: "shared AE, host check: the forbidding modality with the peer's IP denies",
        policy: policy({ alwaysAllow: others, checkModalityHost: true, modalities: [modality("a-ws", "WS", "10.0.0.1", { [command]: false }), modality("b-ws", "WS", "10.0.0.2")] }),
        callingAet: "WS",
        peerIp: "10.0.0.1",
        allow: false,
        key: flag("a-ws"),
      },
      {
        name: "shared AE, host check: an IP of none is allowed when all allow (Orthanc)",
        policy: policy({ alwaysAllow: others, checkModalityHost: true, modalities: SHARED }),
        callingAet: "WS",
        peerIp: "10.9.9.9",
        allow: true,
      },
      {
        name: "shared AE, host check: an IP of none is denied when one forbids",
        policy: policy({ alwaysAllow: others, checkModalityHost: true, modalities: [modality("a-ws", "WS", "10.0.0.1"), modality("b-ws", "WS", "10.0.0.2", { [command]: false })] }),
        callingAet: "WS",
        peerIp: "10.9.9.9",
        allow: false,
        key: flag("b-ws"),
      },
      {
        name: "shared AE, host check: IPv4-mapped peer matches the allowing one",
        policy: policy({ alwaysAllow: others, checkModalityHost: true, modalities: [modality("a-ws", "WS", "10.0.0.1"), modality("b-ws", "WS", "10.0.0.2", { [command]: false })] }),
        callingAet: "WS",
        peerIp: "::ffff:10.0.0.1",
        allow: true,
      },
    ];
    for (const row of rows) {
      it(`${command}: ${row.name}`, () => {
        const d = decideCommand(row.policy, { command, callingAet: row.callingAet, peerIp: row.peerIp });
        assert.equal(d.allow, row.allow);
        if (d.allow) return;
        assert.match(d.why, new RegExp(row.callingAet));
        // The refusal names the key an administrator changes, and says it in the message too.
        assert.equal(d.key, row.key);
        assert.ok(d.why.includes(d.key), d.why);
      });
    }
  }
});

describe("helpers", () => {
  it("normalizePeerIp unwraps IPv4-mapped IPv6 only", () => {
    assert.equal(normalizePeerIp("::ffff:127.0.0.1"), "127.0.0.1");
    assert.equal(normalizePeerIp("::1"), "::1");
    assert.equal(normalizePeerIp("fe80::ffff:1.2.3.4"), "fe80::ffff:1.2.3.4");
    assert.equal(normalizePeerIp("127.0.0.1"), "127.0.0.1");
  });
  it("isSameAeTitle folds ASCII case only and ignores outer spaces", () => {
    assert.equal(isSameAeTitle({ strictAetComparison: false }, " Ct1 ", "CT1"), true);
    assert.equal(isSameAeTitle({ strictAetComparison: true }, "Ct1", "CT1"), false);
    assert.equal(isSameAeTitle({ strictAetComparison: false }, "ÉCHO", "échO"), false);
  });
});
