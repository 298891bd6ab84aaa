export { createScp, ScpChannels, type Scp, type ScpOptions, type ScpCloseOptions } from "./scp.js";
export { AssociationLimits, AssociationLimitKind, type LimitExceeded } from "./association-limits.js";
export { ServiceRegistry, ANY_SOP_CLASS, DEFAULT_TRANSFER_SYNTAXES, type ServiceRegistration, type RegisterOptions } from "./service-registry.js";
export { verificationHandler, VERIFICATION_SOP_CLASS } from "./verification.js";
export { statusResponse, responseField } from "./responses.js";
export type { ServiceHandler, ServiceContext, CommandAuthorization } from "./types.js";
export * from "./access-control.js";
export { STORAGE_SOP_CLASSES, isStorageSopClass, type StorageSopClass, type StorageSopClassUid } from "./uids/storage-sop-classes.js";
export { TRANSFER_SYNTAXES, type TransferSyntax, type TransferSyntaxUid } from "./uids/transfer-syntaxes.js";
export {
  STORAGE_TRANSFER_SYNTAXES,
  ORTHANC_TRANSFER_SYNTAX_GROUPS,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  acceptedTransferSyntaxes,
  type OrthancTransferSyntaxGroup,
} from "./storage/accepted-transfer-syntaxes.js";
export {
  createStorageService,
  StorageChannels,
  StoreRefusedError,
  type StorageService,
  type StorageServiceOptions,
  type InstanceSink,
  type InstanceSinkWriter,
  type SinkCommitResult,
  type StoreBeginInfo,
  type StoredInstance,
  type StoreFailure,
  type StoredInstanceHook,
  type StoreFailureHook,
} from "./storage/storage-service.js";
export { parseConstraint, matchesAll, FindQueryError, MatchKind, WILDCARD_VRS, type KeyConstraint, type MatchOptions } from "./find/matching.js";
export { dateKey, timeKey, dateTimeKey } from "./find/temporal.js";
export {
  findHandler,
  registerFindService,
  FIND_SOP_CLASSES,
  FindChannels,
  StorageAccessOnFind,
  type FindIndex,
  type FindIndexQuery,
  type FindIndexRecord,
  type FindServiceOptions,
  type ReadStoredAttributes,
} from "./find/find-service.js";
export { parseFindQuery, LevelOutsideModelError, type FindIndexCondition, type ParsedFindQuery, type ReturnKey } from "./find/find-query.js";
export { FindLevel, FindSopClass, KEY_LEVEL, parseLevel } from "./find/find-keys.js";
export {
  RetrieveChannels,
  RetrieveSopClass,
  RetrieveStatus,
  type RetrieveLevel,
  type RetrieveSelector,
  type RetrieveInstance,
  type RetrieveSource,
  type MoveDestination,
  type RetrieveSummary,
} from "./retrieve/retrieve-types.js";
export { retrieveSelector, RetrieveRequestError } from "./retrieve/retrieve-identifier.js";
export { createMoveService, type MoveService, type MoveServiceOptions } from "./retrieve/move-service.js";
export { createGetService, type GetService, type GetServiceOptions } from "./retrieve/get-service.js";
export {
  createCommitmentService,
  CommitmentChannels,
  MAX_COMMITMENT_REQUEST_BYTES,
  type CommitmentService,
  type CommitmentServiceOptions,
  type CommitmentRequester,
  type ReportConnection,
} from "./commitment/commitment-service.js";
export { checkReferences, type CommitmentLookup, type CommittedInstance } from "./commitment/commitment-report.js";
