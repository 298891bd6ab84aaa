export { State, STATE_DESCRIPTIONS, STATE_NAMES, type StateName } from "./states.js";
export { Event, EVENT_DESCRIPTIONS, EVENT_NAMES, LOCAL_USER_EVENTS, type EventName, type FsmEvent, type ProviderRejection } from "./events.js";
export type { Effect, Indication } from "./effects.js";
export * from "./actions.js";
export { TRANSITION_TABLE, TRANSITION_EXTENSIONS, lookupAction, transition, isLocalUserEvent, type Transition } from "./transition-table.js";
