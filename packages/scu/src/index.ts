export { echo, type EchoOptions, type EchoResponse, type EchoResult } from "./echo.js";
export { store, type StoreOptions, type StoreFileResult, type StoreOutcome, type StoreProgress, type StoreResult } from "./store.js";
export { StoreError, StoreErrorCode, describeStoreStatus, isStoredStatus, type StoreErrorCodeValue } from "./store-errors.js";
export { MAX_PRESENTATION_CONTEXTS, canConvert, chooseContext, contextsForSopClass, groupContexts, type ContextGroup } from "./store-contexts.js";
// The identifier helpers answers are read with, so a user of find needs no second import.
export { decodeIdentifier, encodeIdentifier, identifierText, type DecodedIdentifier, type IdentifierValue } from "@dicomtls/dataset";
export { find, findSopClass, type FindOptions, type FindMatch, type FindResult } from "./find.js";
export { openFindSession, type FindSession, type FindSessionOptions, type FindSessionRequest } from "./find-session.js";
export { move, moveSopClass, MoveFailedError, type MoveOptions, type MoveProgress, type MoveResult } from "./move.js";
export {
  QueryError,
  QueryErrorCode,
  QueryLevel,
  QueryRetrieveSopClass,
  QueryStatus,
  QueryStream,
  describeQueryStatus,
  type QueryErrorCodeValue,
  type QueryKeys,
  type QueryLevelName,
  type QueryModel,
  type QueryConnectionOptions,
  type QueryRequestOptions,
} from "./query-common.js";
export { get, getSopClass, getStorageContexts, GetFailedError, type GetOptions, type GetProgress, type GetResult, type InstanceSink, type ReceivedInstance } from "./get.js";
export { DEFAULT_GET_STORAGE_SOP_CLASSES } from "./get-storage-classes.js";
export {
  commit,
  newTransactionUid,
  CommitError,
  CommitErrorCode,
  DEFAULT_COMMIT_TIMEOUT_MS,
  type CommitOptions,
  type CommitResult,
  type CommitReportListener,
  type CommitErrorCodeValue,
} from "./commit.js";
// The reference types of commit(), so a user needs no second import.
export { CommitmentFailureReason, CommitmentEventType, type SopReference, type FailedSopReference } from "@dicomtls/dataset";
