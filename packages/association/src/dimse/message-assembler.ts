import { AbortReason, PduDecodeError, decodeCommand, hasDataset, isKnownCommandField, type DimseCommand, type Pdv } from "@dicomtls/pdu-codec";
import { DimseProtocolError } from "../errors.js";
import type { AcceptedPresentationContext } from "../negotiation/types.js";

/** What one PDV completes. */
export type AssemblyOutput =
  | { readonly kind: "command"; readonly context: AcceptedPresentationContext; readonly command: DimseCommand; readonly hasDataset: boolean }
  | { readonly kind: "dataset"; readonly data: Uint8Array; readonly isLast: boolean }
  | { readonly kind: "none" };

/** A command set is a handful of elements; anything this large is not one (PS3.7 §E.1). */
export const DEFAULT_MAX_COMMAND_LENGTH = 64 * 1024;

const NONE: AssemblyOutput = { kind: "none" };

/**
 * PS3.7 §6.3.1 / PS3.8 Annex E: turns the PDVs of an association into DIMSE messages. A message is its command
 * fragments, then (when the command says so) its data set fragments, all on one presentation context, never
 * interleaved with another message. Command fragments are gathered (small); data set fragments pass straight
 * through. Pure: no I/O, no timers. Violations throw DimseProtocolError with the A-ABORT reason to use.
 */
export class MessageAssembler {
  readonly #contexts: ReadonlyMap<number, AcceptedPresentationContext>;
  readonly #maxCommandLength: number;
  #phase: "idle" | "command" | "dataset" = "idle";
  #contextId = 0;
  #commandParts: Uint8Array[] = [];
  #commandLength = 0;

  constructor(contexts: readonly AcceptedPresentationContext[], maxCommandLength = DEFAULT_MAX_COMMAND_LENGTH) {
    this.#contexts = new Map(contexts.map((c) => [c.id, c]));
    this.#maxCommandLength = maxCommandLength;
  }

  /** True between the first fragment of a message and its last one. */
  get inMessage(): boolean {
    return this.#phase !== "idle";
  }

  push(pdv: Pdv): AssemblyOutput {
    const id = pdv.presentationContextId;
    const context = this.#contexts.get(id);
    if (context === undefined) {
      throw new DimseProtocolError(`PDV on presentation context ${id}, which was not accepted on this association`, AbortReason.InvalidPduParameterValue);
    }
    if (this.#phase !== "idle" && id !== this.#contextId) {
      throw new DimseProtocolError(
        `PDV on presentation context ${id} in the middle of a message on context ${this.#contextId}; messages must not interleave`,
        AbortReason.UnexpectedPduParameter,
      );
    }
    if (pdv.isCommand) {
      if (this.#phase === "dataset") {
        throw new DimseProtocolError(`command fragment on context ${id} before the data set of the previous message ended`, AbortReason.UnexpectedPduParameter);
      }
      return this.#commandFragment(context, pdv);
    }
    if (this.#phase === "idle") {
      throw new DimseProtocolError(`data set fragment on context ${id} with no command before it`, AbortReason.UnexpectedPduParameter);
    }
    if (this.#phase === "command") {
      throw new DimseProtocolError(`data set fragment on context ${id} before the command set was complete`, AbortReason.UnexpectedPduParameter);
    }
    if (pdv.isLast) this.#phase = "idle";
    return { kind: "dataset", data: pdv.data, isLast: pdv.isLast };
  }

  #commandFragment(context: AcceptedPresentationContext, pdv: Pdv): AssemblyOutput {
    this.#phase = "command";
    this.#contextId = context.id;
    this.#commandLength += pdv.data.length;
    if (this.#commandLength > this.#maxCommandLength) {
      throw new DimseProtocolError(`command set on context ${context.id} exceeds ${this.#maxCommandLength} bytes`, AbortReason.InvalidPduParameterValue);
    }
    this.#commandParts.push(pdv.data);
    if (!pdv.isLast) return NONE;
    const bytes = this.#commandParts.length === 1 ? this.#commandParts[0]! : Buffer.concat(this.#commandParts);
    this.#commandParts = [];
    this.#commandLength = 0;
    let command: DimseCommand;
    try {
      command = decodeCommand(bytes);
    } catch (err) {
      const why = err instanceof PduDecodeError ? err.message : String(err);
      throw new DimseProtocolError(`malformed command set on context ${context.id}: ${why}`, AbortReason.InvalidPduParameterValue, err);
    }
    if (!isKnownCommandField(command.commandField)) {
      // No answer to it can be encoded (PS3.7 has no response we could build for it here): abort, as DCMTK's storescp does.
      throw new DimseProtocolError(
        `command field 0x${Number(command.commandField).toString(16).padStart(4, "0")} on context ${context.id} is not a DIMSE message this node serves (C-services, N-EVENT-REPORT, N-ACTION)`,
        AbortReason.UnrecognizedPduParameter,
      );
    }
    const withDataset = hasDataset(command);
    this.#phase = withDataset ? "dataset" : "idle";
    return { kind: "command", context, command, hasDataset: withDataset };
  }
}
