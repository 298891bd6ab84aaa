export * from "./dataset/index.js";
export {
  encodeFileMeta,
  decodeFileMeta,
  isUid,
  FIRST_FILE_META_READ,
  MAX_FILE_META_BYTES,
  type FileMetaDecoding,
  type FileMetaInformation,
  type ReadFileMeta,
} from "./part10/file-meta.js";
export { FileMetaError, FileMetaErrorCode, type FileMetaErrorCodeValue } from "./part10/errors.js";
export { FileError, FileErrorCode, type FileErrorCodeValue } from "./worker/errors.js";
export * from "./codec/index.js";
