import { runCodecTask, type CodecResult, type CodecTask, type CodecTaskValue } from "../worker.js";
import { TaskCodecRunner, type TaskRunnerOptions } from "./task-runner.js";

/**
 * Dataset work on the calling thread, with the worker's own code: for small inputs, where a worker round trip costs
 * more than the work, and for tools without a pool. File reads are synchronous here: keep it to small files.
 */
export class InlineCodecRunner extends TaskCodecRunner {
  constructor(options: TaskRunnerOptions = {}) {
    super(options);
  }

  protected handOver(parts: readonly Uint8Array[], n: number): Uint8Array {
    const first = parts[0];
    // Nothing crosses a thread: a view is enough when one part holds the prefix.
    return first !== undefined && first.byteLength >= n ? first.subarray(0, n) : this.copyPrefix(parts, n);
  }

  protected async execute<T extends CodecTask>(task: T): Promise<CodecResult<CodecTaskValue<T>>> {
    // A turn of the event loop before each further batch: iterating a file inline never yields otherwise (every
    // promise here is already settled), and sockets, timers and other associations would wait for the whole file.
    if (task.kind === "file-batch") await new Promise<void>((resolve) => setImmediate(resolve));
    return runCodecTask(task);
  }

  protected shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
