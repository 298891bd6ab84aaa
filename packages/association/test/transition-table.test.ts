import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { AbortReason, AbortSource, PduType } from "@dicomtls/pdu-codec";
import {
  ACTIONS,
  EVENT_NAMES,
  STATE_NAMES,
  TRANSITION_EXTENSIONS,
  TRANSITION_TABLE,
  isLocalUserEvent,
  transition,
  type ActionName,
  type EventName,
  type FsmEvent,
  type StateName,
} from "../src/index.js";

/** A copy of PS3.8 Table 9-10 kept beside the test (see test/reference/README.md for its source). */
const csvPath = resolve(dirname(fileURLToPath(import.meta.url)), "reference/ps3.8-table-9-10.csv");

/** The CSV is plain (no quoted commas in the cells we read: the description column is never split on). */
function readTable(): { states: string[]; rows: Map<string, string[]> } {
  const lines = readFileSync(csvPath, "utf8").trim().split(/\r?\n/);
  const header = lines[0]!.split(",");
  const states = header.slice(2);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    // description may contain commas: the last 13 cells are the states
    rows.set(cells[0]!, cells.slice(cells.length - states.length));
  }
  return { states, rows };
}

/** PS3.8 Tables 9-6..9-9: the next state each action leads to (AE-6 and AR-8 choose between two). */
const NEXT_STATES_FROM_STANDARD: Readonly<Record<ActionName, readonly StateName[]>> = {
  "AE-1": ["Sta4"], "AE-2": ["Sta5"], "AE-3": ["Sta6"], "AE-4": ["Sta1"], "AE-5": ["Sta2"],
  "AE-6": ["Sta3", "Sta13"], "AE-7": ["Sta6"], "AE-8": ["Sta13"],
  "DT-1": ["Sta6"], "DT-2": ["Sta6"],
  "AR-1": ["Sta7"], "AR-2": ["Sta8"], "AR-3": ["Sta1"], "AR-4": ["Sta13"], "AR-5": ["Sta1"],
  "AR-6": ["Sta7"], "AR-7": ["Sta8"], "AR-8": ["Sta9", "Sta10"], "AR-9": ["Sta11"], "AR-10": ["Sta12"],
  "AA-1": ["Sta13"], "AA-2": ["Sta1"], "AA-3": ["Sta1"], "AA-4": ["Sta1"], "AA-5": ["Sta1"],
  "AA-6": ["Sta13"], "AA-7": ["Sta13"], "AA-8": ["Sta13"],
};

const rq = {
  type: PduType.AAssociateRq, protocolVersion: 1, calledAeTitle: "B", callingAeTitle: "A",
  applicationContextName: "1.2.840.10008.3.1.1.1", presentationContexts: [],
  userInformation: { maxLength: 16384, implementationClassUid: "1.2.3" },
} as const;
const ac = { ...rq, type: PduType.AAssociateAc };
const rj = { type: PduType.AAssociateRj, result: 1, source: 1, reason: 1 } as const;

/** A representative event of each kind, with the data its action needs. */
function sampleEvent(name: EventName): FsmEvent {
  switch (name) {
    case "Evt2": return { name, pdu: rq };
    case "Evt3": return { name, pdu: ac };
    case "Evt4": return { name, pdu: rj };
    case "Evt6": return { name, pdu: rq };
    case "Evt7": return { name, pdu: ac };
    case "Evt8": return { name, pdu: rj };
    case "Evt9": return { name, bytes: [new Uint8Array([4, 0, 0, 0, 0, 0])] };
    case "Evt10": return { name, pdu: { type: PduType.PDataTf, pdvs: [] } };
    case "Evt12": return { name, pdu: { type: PduType.AReleaseRq } };
    case "Evt13": return { name, pdu: { type: PduType.AReleaseRp } };
    case "Evt16": return { name, pdu: { type: PduType.AAbort, source: 0, reason: 0 } };
    case "Evt19": return { name, reason: AbortReason.UnrecognizedPdu, detail: "type 0x09" };
    default: return { name };
  }
}

test("the CSV transcription of Table 9-10 has 19 events x 13 states", () => {
  const { states, rows } = readTable();
  assert.deepEqual(states, STATE_NAMES);
  assert.deepEqual([...rows.keys()], EVENT_NAMES);
});

test("every cell of our table equals Table 9-10 (action name, or empty)", () => {
  const { states, rows } = readTable();
  let filled = 0;
  for (const [event, cells] of rows) {
    states.forEach((state, i) => {
      const expected = cells[i]!.trim();
      const ours = TRANSITION_TABLE[event as EventName][state as StateName];
      assert.equal(ours ?? "", expected, `${event} x ${state}`);
      if (expected !== "") filled++;
    });
  }
  assert.equal(filled, 123, "REFERENCE-DATA.md counts 123 non-empty cells");
});

test("every non-empty cell runs its action and reaches the standard's next state", () => {
  const { states, rows } = readTable();
  for (const [event, cells] of rows) {
    states.forEach((state, i) => {
      const expected = cells[i]!.trim() as ActionName | "";
      if (expected === "") return;
      const allowed = NEXT_STATES_FROM_STANDARD[expected];
      assert.deepEqual([...ACTIONS[expected].nextStates].sort(), [...allowed].sort(), `${expected} declared next states`);
      for (const isRequestor of [true, false]) {
        const t = transition(state as StateName, sampleEvent(event as EventName), { isRequestor });
        assert.equal(t.action, expected, `${event} x ${state}`);
        assert.equal(t.extension, false);
        assert.ok(allowed.includes(t.next), `${event} x ${state}: ${expected} went to ${t.next}, standard says ${allowed.join(" or ")}`);
      }
    });
  }
});

test("empty cells are the standard's no action: same state, no effects (except the documented extension)", () => {
  const { states, rows } = readTable();
  let empty = 0;
  for (const [event, cells] of rows) {
    states.forEach((state, i) => {
      if (cells[i]!.trim() !== "") return;
      if (TRANSITION_EXTENSIONS[event as EventName]?.[state as StateName] !== undefined) return;
      empty++;
      const t = transition(state as StateName, sampleEvent(event as EventName), { isRequestor: false });
      assert.equal(t.action, undefined, `${event} x ${state}`);
      assert.equal(t.next, state);
      assert.deepEqual(t.effects, []);
    });
  }
  assert.equal(empty, 19 * 13 - 123 - 1);
});

test("the only extension fills Evt15 in Sta13, a cell the standard leaves empty: close and go idle", () => {
  const { states, rows } = readTable();
  const cell = rows.get("Evt15")![states.indexOf("Sta13")]!;
  assert.equal(cell.trim(), "", "the extension must not override the standard");
  const extended = Object.entries(TRANSITION_EXTENSIONS).flatMap(([e, row]) => Object.keys(row).map((s) => `${e}/${s}`));
  assert.deepEqual(extended, ["Evt15/Sta13"]);
  const t = transition("Sta13", { name: "Evt15" }, { isRequestor: true });
  assert.equal(t.action, "AA-2");
  assert.equal(t.extension, true);
  assert.equal(t.next, "Sta1");
  assert.deepEqual(t.effects.map((e) => e.kind), ["stop-artim", "close-transport"]);
});

test("AE-6: the provider accepts (Sta3, indication) or rejects (A-ASSOCIATE-RJ, ARTIM, Sta13)", () => {
  const ok = transition("Sta2", { name: "Evt6", pdu: rq }, { isRequestor: false });
  assert.equal(ok.next, "Sta3");
  assert.deepEqual(ok.effects.map((e) => e.kind), ["stop-artim", "indicate"]);
  const no = transition("Sta2", { name: "Evt6", pdu: rq, providerRejection: { result: 1, source: 2, reason: 2 } }, { isRequestor: false });
  assert.equal(no.next, "Sta13");
  assert.deepEqual(no.effects.map((e) => e.kind), ["stop-artim", "send", "start-artim"]);
  const sent = no.effects[1];
  assert.ok(sent?.kind === "send" && sent.pdu.type === PduType.AAssociateRj && sent.pdu.source === 2 && sent.pdu.reason === 2);
});

test("AR-8: release collision goes to Sta9 for the requestor and Sta10 for the acceptor", () => {
  const evt: FsmEvent = { name: "Evt12", pdu: { type: PduType.AReleaseRq } };
  assert.equal(transition("Sta7", evt, { isRequestor: true }).next, "Sta9");
  assert.equal(transition("Sta7", evt, { isRequestor: false }).next, "Sta10");
});

test("AA-8 aborts with source 2: reason 'unexpected PDU' for a valid PDU, the decoder's reason for Evt19", () => {
  const t1 = transition("Sta6", { name: "Evt6", pdu: rq }, { isRequestor: false });
  const a1 = t1.effects[0];
  assert.ok(a1?.kind === "send" && a1.pdu.type === PduType.AAbort);
  assert.equal(a1.pdu.source, AbortSource.ServiceProvider);
  assert.equal(a1.pdu.reason, AbortReason.UnexpectedPdu);
  const t2 = transition("Sta6", { name: "Evt19", reason: AbortReason.InvalidPduParameterValue, detail: "bad" }, { isRequestor: false });
  const a2 = t2.effects[0];
  assert.ok(a2?.kind === "send" && a2.pdu.type === PduType.AAbort);
  assert.equal(a2.pdu.reason, AbortReason.InvalidPduParameterValue);
  assert.ok(t2.effects.some((e) => e.kind === "indicate" && e.indication.primitive === "A-P-ABORT-indication"));
});

test("AA-3 tells a user abort from a provider abort by the A-ABORT source", () => {
  const user = transition("Sta6", { name: "Evt16", pdu: { type: PduType.AAbort, source: 0, reason: 0 } }, { isRequestor: true });
  const prov = transition("Sta6", { name: "Evt16", pdu: { type: PduType.AAbort, source: 2, reason: 1 } }, { isRequestor: true });
  const first = (t: typeof user): string => (t.effects[0]?.kind === "indicate" ? t.effects[0].indication.primitive : "none");
  assert.equal(first(user), "A-ABORT-indication");
  assert.equal(first(prov), "A-P-ABORT-indication");
});

test("local user events are flagged so an empty cell can be reported as API misuse", () => {
  for (const e of EVENT_NAMES) {
    assert.equal(isLocalUserEvent(e), ["Evt1", "Evt7", "Evt8", "Evt9", "Evt11", "Evt14", "Evt15"].includes(e), e);
  }
});
