/**
 * Worker entry (`@dicomtls/dataset/worker`): the codec tasks a runner executes off the event loop, or inline with
 * the same code. The one adapter of this package allowed to read files; it writes none and opens no sockets.
 *
 * Every task returns its outcome as data (`CodecResult`): an error thrown across a worker boundary loses its class
 * and `code`. `transferablesOf` lists the ArrayBuffers a result may move instead of copy.
 */
import { DatasetError } from "./dataset/errors.js";
import { parseDatasetHeader } from "./dataset/parse-header.js";
import { batchByteLength, batchDataLength, encodeBatch } from "./worker/batch.js";
import { FileError } from "./worker/errors.js";
import { planDataset } from "./worker/file-plan.js";
import { readFileInfo, withFile } from "./worker/part10.js";
import type { CodecFailure, CodecResult, CodecTask, CodecTaskValue, EncodedBatch, PreparedFilePlan } from "./worker/protocol.js";
import { PduEncodeError } from "@dicomtls/pdu-codec";

export * from "./worker/protocol.js";
export { FileError, FileErrorCode, type FileErrorCodeValue } from "./worker/errors.js";
export { batchByteLength, batchDataLength };

function failure(err: unknown, path: string | undefined): CodecFailure {
  if (err instanceof DatasetError) {
    const f: CodecFailure = { code: err.code, message: err.message, offset: err.offset, needMoreBytes: err.needMoreBytes };
    if (path !== undefined) f.path = path;
    return f;
  }
  if (err instanceof FileError) return { code: err.code, message: err.message, path: err.path };
  if (err instanceof PduEncodeError) {
    const f: CodecFailure = { code: err.code, message: err.message };
    if (path !== undefined) f.path = path;
    return f;
  }
  // A bug or an unforeseen fault: keep the message, give it a code the runner maps to an internal error.
  const f: CodecFailure = { code: "ERR_DICOM_CODEC_INTERNAL", message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  if (path !== undefined) f.path = path;
  return f;
}

function run<T extends CodecTask>(task: T): CodecTaskValue<T> {
  switch (task.kind) {
    case "warm-up":
      return true as CodecTaskValue<T>;
    case "parse-header":
      return parseDatasetHeader(task.bytes, task.transferSyntaxUid) as CodecTaskValue<T>;
    case "file-info":
      return withFile(task.path, readFileInfo) as CodecTaskValue<T>;
    case "prepare-file":
      return withFile(task.path, (file): PreparedFilePlan => {
        const info = readFileInfo(file);
        const plan = planDataset(file, info, task.transferSyntaxUid);
        const end = Math.min(plan.datasetLength, batchDataLength(task));
        const first = encodeBatch(file, task, plan.segments, 0, 0, end, plan.datasetLength, task.reuse);
        return { info, transferSyntaxUid: task.transferSyntaxUid, segments: plan.segments, datasetLength: plan.datasetLength, converted: plan.converted, first };
      }) as CodecTaskValue<T>;
    case "file-batch": {
      const needsFile = task.segments.some((s) => s.kind === "file");
      const encode = (file: Parameters<typeof encodeBatch>[0]): EncodedBatch =>
        encodeBatch(file, task, task.segments, task.segmentsStart, task.start, task.end, task.datasetLength, task.reuse);
      return (needsFile ? withFile(task.path, encode) : encode(undefined)) as CodecTaskValue<T>;
    }
  }
}

/** Runs one task on the calling thread; never throws for faults of the input, which come back as `ok: false`. */
export function runCodecTask<T extends CodecTask>(task: T): CodecResult<CodecTaskValue<T>> {
  try {
    return { ok: true, value: run(task) };
  } catch (err) {
    return { ok: false, error: failure(err, "path" in task ? task.path : undefined) };
  }
}

/** The buffers of a result that can move to the other thread (the encoded PDUs). */
export function transferablesOf(result: CodecResult): ArrayBuffer[] {
  if (!result.ok) return [];
  const v = result.value as Partial<PreparedFilePlan & EncodedBatch>;
  if (v.first !== undefined) return [v.first.buffer];
  if (v.buffer instanceof ArrayBuffer) return [v.buffer];
  return [];
}
