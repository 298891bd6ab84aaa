export type { CodecRunner, CodecRunnerStats, FileInfo, PduBatch, PrepareFileOptions, PreparedFile, TaskOptions } from "./types.js";
export { CodecError, CodecErrorCode, type CodecErrorCodeValue } from "./errors.js";
export { TaskCodecRunner, DEFAULT_BATCH_BYTES, DEFAULT_HEADER_PREFIX_BYTES, type TaskRunnerOptions } from "./task-runner.js";
export { PiscinaCodecRunner, type PiscinaCodecRunnerOptions } from "./piscina-runner.js";
export { InlineCodecRunner } from "./inline-runner.js";
export { createCodecRunner, type CodecRunnerOptions } from "./create-codec-runner.js";
export {
  DEFAULT_CODEC_THREADS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_INLINE_THRESHOLD_BYTES,
  DEFAULT_INLINE_FILE_THRESHOLD_BYTES,
} from "./defaults.js";
