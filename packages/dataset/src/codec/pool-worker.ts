/**
 * The Piscina task handler: the worker entry (`../worker.ts`) plus `move`, which only piscina's own module can apply
 * (its marker is a private symbol; the worker entry stays free of piscina so the inline runner runs it as is).
 * Results move their PDU buffers instead of being copied.
 */
import { move, transferableSymbol, valueSymbol } from "piscina";
import { runCodecTask, transferablesOf, type CodecResult, type CodecTask } from "../worker.js";

export default function codecTask(task: CodecTask): CodecResult | ReturnType<typeof move> {
  const result = runCodecTask(task);
  const transfer = transferablesOf(result);
  if (transfer.length === 0) return result;
  // A move() nested in an object is cloned, not moved (js-stack.md §3): wrap the whole result instead.
  return move({
    get [transferableSymbol]() {
      return transfer;
    },
    get [valueSymbol]() {
      return result;
    },
  });
}
