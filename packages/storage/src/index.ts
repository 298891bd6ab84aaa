export { StorageError, StorageErrorCode, type StorageErrorCodeValue } from "./errors.js";
export { encodeFileMeta, type FileMetaInformation, type ReadFileMeta } from "./file-meta.js";
export { INSTANCE_FOLDERS, instanceRelativePath, TEMP_SUFFIX } from "./layout.js";
export type { IndexedInstance, InstanceIdentifiers, ListFilter } from "./sqlite-index.js";
export {
  FileSystemInstanceStore,
  INDEX_FILE_NAME,
  type BeginStore,
  type FileSystemStoreOptions,
  type IdentifierReader,
  type InstanceStore,
  type InstanceWriter,
  type ReindexResult,
  type StoredInstance,
  type StoreResult,
} from "./instance-store.js";
