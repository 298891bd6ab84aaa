export { echo, type EchoOptions, type EchoResponse, type EchoResult } from "./echo.js";
export { store, type StoreOptions, type StoreFileResult, type StoreOutcome, type StoreProgress, type StoreResult } from "./store.js";
export { StoreError, StoreErrorCode, describeStoreStatus, isStoredStatus, type StoreErrorCodeValue } from "./store-errors.js";
export { MAX_PRESENTATION_CONTEXTS, canConvert, chooseContext, contextsForSopClass, groupContexts, type ContextGroup } from "./store-contexts.js";
