import { ACTIONS, type Action, type ActionName, type ActionResult, type FsmContext } from "./actions.js";
import { EVENT_NAMES, LOCAL_USER_EVENTS, type EventName, type FsmEvent } from "./events.js";
import { State, type StateName } from "./states.js";

type Row = Readonly<Partial<Record<StateName, ActionName>>>;

/**
 * PS3.8 §9.2.3, Table 9-10 "DICOM Upper Layer Protocol State Transition Table", one row per event.
 * A missing cell is a cell the standard leaves empty. test/transition-table.test.ts checks this against a CSV
 * transcription of the table, cell by cell.
 */
export const TRANSITION_TABLE: Readonly<Record<EventName, Row>> = {
  Evt1: { Sta1: "AE-1" },
  Evt2: { Sta4: "AE-2" },
  Evt3: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-3", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt4: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AE-4", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt5: { Sta1: "AE-5" },
  Evt6: { Sta2: "AE-6", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7" },
  Evt7: { Sta3: "AE-7" },
  Evt8: { Sta3: "AE-8" },
  Evt9: { Sta6: "DT-1", Sta8: "AR-7" },
  Evt10: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "DT-2", Sta7: "AR-6", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt11: { Sta6: "AR-1" },
  Evt12: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AR-2", Sta7: "AR-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-6" },
  Evt13: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AR-3", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AR-10", Sta11: "AR-3", Sta12: "AA-8", Sta13: "AA-6" },
  Evt14: { Sta8: "AR-4", Sta9: "AR-9", Sta12: "AR-4" },
  Evt15: { Sta3: "AA-1", Sta4: "AA-2", Sta5: "AA-1", Sta6: "AA-1", Sta7: "AA-1", Sta8: "AA-1", Sta9: "AA-1", Sta10: "AA-1", Sta11: "AA-1", Sta12: "AA-1" },
  Evt16: { Sta2: "AA-2", Sta3: "AA-3", Sta5: "AA-3", Sta6: "AA-3", Sta7: "AA-3", Sta8: "AA-3", Sta9: "AA-3", Sta10: "AA-3", Sta11: "AA-3", Sta12: "AA-3", Sta13: "AA-2" },
  Evt17: { Sta2: "AA-5", Sta3: "AA-4", Sta4: "AA-4", Sta5: "AA-4", Sta6: "AA-4", Sta7: "AA-4", Sta8: "AA-4", Sta9: "AA-4", Sta10: "AA-4", Sta11: "AA-4", Sta12: "AA-4", Sta13: "AR-5" },
  Evt18: { Sta2: "AA-2", Sta13: "AA-2" },
  Evt19: { Sta2: "AA-1", Sta3: "AA-8", Sta5: "AA-8", Sta6: "AA-8", Sta7: "AA-8", Sta8: "AA-8", Sta9: "AA-8", Sta10: "AA-8", Sta11: "AA-8", Sta12: "AA-8", Sta13: "AA-7" },
};

/**
 * Cells the standard leaves empty but that happen in practice. Kept apart from TRANSITION_TABLE so the table stays
 * the standard's.
 *
 * - Evt15 in Sta13: the local user aborts while we wait for the peer to close (after our A-ABORT, A-ASSOCIATE-RJ or
 *   A-RELEASE-RP). The association no longer exists, so there is nothing to send; the user wants out now, so we do
 *   what ARTIM expiry would do a little later: AA-2, close the transport and go to Sta1 (pynetdicom issue #460).
 */
export const TRANSITION_EXTENSIONS: Readonly<Partial<Record<EventName, Row>>> = {
  Evt15: { Sta13: "AA-2" },
};

export interface Transition extends ActionResult {
  /** undefined: the cell is empty, the standard's "no action" (state unchanged, no effects). */
  readonly action: ActionName | undefined;
  /** True when the action comes from TRANSITION_EXTENSIONS, not from the standard's table. */
  readonly extension: boolean;
}

/** The action of one cell, standard first, then our documented extensions. */
export function lookupAction(state: StateName, event: EventName): { action: ActionName; extension: boolean } | undefined {
  const standard = TRANSITION_TABLE[event][state];
  if (standard !== undefined) return { action: standard, extension: false };
  const extra = TRANSITION_EXTENSIONS[event]?.[state];
  return extra === undefined ? undefined : { action: extra, extension: true };
}

interface Cell {
  readonly action: Action;
  readonly extension: boolean;
}

/**
 * Every non-empty cell (the table's, then our extensions), by event and state: the driver looks one up per PDU in and
 * out, and keyed loads by name on the table's objects went megamorphic there (issue 13, per-message overhead).
 */
const CELLS: ReadonlyMap<EventName, ReadonlyMap<StateName, Cell>> = new Map(
  EVENT_NAMES.map((event) => {
    const row = new Map<StateName, Cell>();
    for (const state of Object.values(State)) {
      const found = lookupAction(state, event);
      if (found !== undefined) row.set(state, { action: ACTIONS[found.action], extension: found.extension });
    }
    return [event, row];
  }),
);

/**
 * One step of the machine: pure, no I/O. An empty cell returns the same state and no effects; the caller decides what
 * an empty cell means (for a local user event it is a misuse of the API, see `isLocalUserEvent`).
 */
export function transition(state: StateName, event: FsmEvent, context: FsmContext): Transition {
  const cell = CELLS.get(event.name)?.get(state);
  if (cell === undefined) return { action: undefined, extension: false, next: state, effects: [] };
  const result = cell.action.run(event, context);
  return { action: cell.action.name, extension: cell.extension, next: result.next, effects: result.effects };
}

export function isLocalUserEvent(event: EventName): boolean {
  return LOCAL_USER_EVENTS.has(event);
}
