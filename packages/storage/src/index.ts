export { StorageError, StorageErrorCode, type StorageErrorCodeValue } from "./errors.js";
export { INSTANCE_FOLDERS, instanceRelativePath, TEMP_SUFFIX } from "./layout.js";
export type { IndexedInstance, InstanceIdentifiers, ListFilter } from "./sqlite-index.js";
export type { BeginStore, InstanceWriter, StoreResult } from "./writer-types.js";
export {
  FileSystemInstanceStore,
  INDEX_FILE_NAME,
  type FileSystemStoreOptions,
  type InstanceStore,
  type ReindexResult,
  type StoredInstance,
} from "./instance-store.js";
export { QUARANTINE_FOLDER, type IdentifierReader } from "./scan.js";
export { recoveryWasClean, type RecoveryReport } from "./recovery.js";
export {
  checkStorage,
  DisagreementKind,
  type Disagreement,
  type DisagreementKindValue,
  type StorageCheckOptions,
  type StorageCheckReport,
} from "./check.js";
export type { MigrationReport } from "./migrate.js";
export type { GroupCommitOptions } from "./group-commit.js";
export type { LevelCounts } from "./hierarchy-check.js";
export { rebuildIndex, type RebuildIndexOptions, type RebuildIndexResult } from "./rebuild-index.js";
export {
  QueryLevel,
  type TagValues,
  type IndexCondition,
  type IndexQuery,
  type IndexRecord,
  type InstanceSelector,
  type IndexStore,
} from "./index-store.js";
export { MAIN_TAG_KEYWORDS } from "./main-tags.js";
