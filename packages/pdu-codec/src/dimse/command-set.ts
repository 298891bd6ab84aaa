import { AE_TITLE_LENGTH, checkAeTitle, checkAscii, stripUidPadding, trimAeTitle } from "../binary/text.js";
import { PduDecodeError, PduEncodeError, PduErrorCode } from "../errors.js";
import { fragmentToBuffers, maxPdvDataLength } from "../fragmenter.js";
import { P_DATA_TF_HEADER_LENGTH, writePDataTfHeader } from "../pdu/p-data-tf.js";
import type { CommandFieldCode, DimseCommand } from "../types.js";
import { CommandField, NO_DATASET } from "../types.js";

/** Value representations used in group 0000 (PS3.7 Annex E, Table E.1-1). */
type Vr = "UI" | "US" | "AE" | "LO" | "AT";

type FieldKey = Exclude<keyof DimseCommand, "commandField" | "commandDataSetType">;

interface FieldDef {
  readonly element: number;
  readonly key: FieldKey | "commandField" | "commandDataSetType";
  readonly vr: Vr;
}

/** PS3.7 Table E.1-1, in tag order (the order elements are written). */
const FIELDS: readonly FieldDef[] = [
  { element: 0x0002, key: "affectedSopClassUid", vr: "UI" },
  { element: 0x0003, key: "requestedSopClassUid", vr: "UI" },
  { element: 0x0100, key: "commandField", vr: "US" },
  { element: 0x0110, key: "messageId", vr: "US" },
  { element: 0x0120, key: "messageIdBeingRespondedTo", vr: "US" },
  { element: 0x0600, key: "moveDestination", vr: "AE" },
  { element: 0x0700, key: "priority", vr: "US" },
  { element: 0x0800, key: "commandDataSetType", vr: "US" },
  { element: 0x0900, key: "status", vr: "US" },
  { element: 0x0901, key: "offendingElement", vr: "AT" },
  { element: 0x0902, key: "errorComment", vr: "LO" },
  { element: 0x0903, key: "errorId", vr: "US" },
  { element: 0x1000, key: "affectedSopInstanceUid", vr: "UI" },
  { element: 0x1001, key: "requestedSopInstanceUid", vr: "UI" },
  { element: 0x1002, key: "eventTypeId", vr: "US" },
  { element: 0x1008, key: "actionTypeId", vr: "US" },
  { element: 0x1020, key: "numberOfRemainingSuboperations", vr: "US" },
  { element: 0x1021, key: "numberOfCompletedSuboperations", vr: "US" },
  { element: 0x1022, key: "numberOfFailedSuboperations", vr: "US" },
  { element: 0x1023, key: "numberOfWarningSuboperations", vr: "US" },
  { element: 0x1030, key: "moveOriginatorApplicationEntityTitle", vr: "AE" },
  { element: 0x1031, key: "moveOriginatorMessageId", vr: "US" },
];
const BY_ELEMENT = new Map(FIELDS.map((f) => [f.element, f]));

/** Mandatory fields (M) beyond Command Field and Command Data Set Type, per PS3.7 §9.3 tables. */
const REQUIRED: Readonly<Record<CommandFieldCode, readonly FieldKey[]>> = {
  [CommandField.CStoreRq]: ["affectedSopClassUid", "messageId", "priority", "affectedSopInstanceUid"],
  [CommandField.CStoreRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.CFindRq]: ["affectedSopClassUid", "messageId", "priority"],
  [CommandField.CFindRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.CGetRq]: ["affectedSopClassUid", "messageId", "priority"],
  [CommandField.CGetRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.CMoveRq]: ["affectedSopClassUid", "messageId", "priority", "moveDestination"],
  [CommandField.CMoveRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.CEchoRq]: ["affectedSopClassUid", "messageId"],
  [CommandField.CEchoRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.CCancelRq]: ["messageIdBeingRespondedTo"],
  // PS3.7 Table 10.3-1 and 10.3-4: the request names the instance, the response may echo it (U / C fields).
  [CommandField.NEventReportRq]: ["affectedSopClassUid", "messageId", "affectedSopInstanceUid", "eventTypeId"],
  [CommandField.NEventReportRsp]: ["messageIdBeingRespondedTo", "status"],
  [CommandField.NActionRq]: ["requestedSopClassUid", "messageId", "requestedSopInstanceUid", "actionTypeId"],
  [CommandField.NActionRsp]: ["messageIdBeingRespondedTo", "status"],
};

const KNOWN_COMMAND_FIELDS = new Set<number>(Object.values(CommandField));

export function isKnownCommandField(value: number): value is CommandFieldCode {
  return KNOWN_COMMAND_FIELDS.has(value);
}

/** PS3.7 §E.1: the mandatory fields `cmd` lacks for its command field (empty when complete). */
export function missingCommandFields(cmd: DimseCommand): string[] {
  const required = REQUIRED[cmd.commandField] ?? [];
  return required.filter((key) => cmd[key] === undefined);
}

/** `true` when a data set (or identifier) follows the command (PS3.7 §E.1, (0000,0800)). */
export function hasDataset(cmd: DimseCommand): boolean {
  return cmd.commandDataSetType !== NO_DATASET;
}

const ELEMENT_HEADER_LENGTH = 8;

function fail(message: string): never {
  throw new PduEncodeError(message, PduErrorCode.CommandInvalid);
}

function encodedValue(def: FieldDef, value: unknown): Buffer {
  const name = `(0000,${def.element.toString(16).padStart(4, "0")}) ${def.key}`;
  switch (def.vr) {
    case "US": {
      const n = value as number;
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) fail(`${name} ${n} must be an integer from 0 to 65535`);
      const b = Buffer.allocUnsafe(2);
      b.writeUInt16LE(n);
      return b;
    }
    case "AT": {
      const tags = value as readonly number[];
      const b = Buffer.allocUnsafe(tags.length * 4);
      tags.forEach((t, i) => {
        if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) fail(`${name} ${t} must be a 32-bit tag (group << 16 | element)`);
        b.writeUInt16LE(t >>> 16, i * 4);
        b.writeUInt16LE(t & 0xffff, i * 4 + 2);
      });
      return b;
    }
    default: {
      const s = value as string;
      if (def.vr === "UI") checkAscii(s, name, 64);
      else if (def.vr === "AE") checkAeTitle(s, name);
      else checkAscii(s, name, 64);
      // PS3.5 §6.2: UI pads to even length with NUL, text VRs with a space.
      const padded = s.length % 2 === 0 ? s : s + (def.vr === "UI" ? "\0" : " ");
      return Buffer.from(padded, "latin1");
    }
  }
}

/**
 * The command's values in FIELDS order, one named property load each: a keyed load per field (`cmd[def.key]`) went
 * megamorphic across the command shapes and was most of an encode (issue 13, per-message overhead).
 */
function fieldValues(cmd: DimseCommand): readonly unknown[] {
  return [
    cmd.affectedSopClassUid,
    cmd.requestedSopClassUid,
    cmd.commandField,
    cmd.messageId,
    cmd.messageIdBeingRespondedTo,
    cmd.moveDestination,
    cmd.priority,
    cmd.commandDataSetType,
    cmd.status,
    cmd.offendingElement,
    cmd.errorComment,
    cmd.errorId,
    cmd.affectedSopInstanceUid,
    cmd.requestedSopInstanceUid,
    cmd.eventTypeId,
    cmd.actionTypeId,
    cmd.numberOfRemainingSuboperations,
    cmd.numberOfCompletedSuboperations,
    cmd.numberOfFailedSuboperations,
    cmd.numberOfWarningSuboperations,
    cmd.moveOriginatorApplicationEntityTitle,
    cmd.moveOriginatorMessageId,
  ];
}

/** Indexes into fieldValues() of each command's mandatory fields. */
const REQUIRED_INDEXES: ReadonlyMap<number, readonly number[]> = new Map(
  Object.entries(REQUIRED).map(([field, keys]) => [Number(field), keys.map((k) => FIELDS.findIndex((f) => f.key === k))]),
);

/** Bytes of a value on the wire, pad byte included (PS3.5 §6.2: even length). Strings are checked when written. */
function valueLength(vr: Vr, value: unknown): number {
  if (vr === "US") return 2;
  if (vr === "AT") return (value as readonly number[]).length * 4;
  const n = typeof value === "string" ? value.length : 0;
  return n + (n & 1);
}

function writeElementHeaderAt(out: Buffer, pos: number, element: number, length: number): number {
  out[pos] = 0;
  out[pos + 1] = 0;
  out[pos + 2] = element & 0xff;
  out[pos + 3] = element >>> 8;
  out.writeUInt32LE(length, pos + 4);
  return pos + ELEMENT_HEADER_LENGTH;
}

/**
 * Writes one element at `pos`, checking its value as it goes; an invalid value is handed to encodedValue(), which
 * throws the error that names it. Returns the position after the element.
 */
function writeElement(out: Buffer, pos: number, def: FieldDef, value: unknown): number {
  const vr = def.vr;
  if (vr === "US") {
    const n = value as number;
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) encodedValue(def, value);
    pos = writeElementHeaderAt(out, pos, def.element, 2);
    out[pos] = n & 0xff;
    out[pos + 1] = n >>> 8;
    return pos + 2;
  }
  if (vr === "AT" || typeof value !== "string") {
    const encoded = encodedValue(def, value);
    pos = writeElementHeaderAt(out, pos, def.element, encoded.length);
    out.set(encoded, pos);
    return pos + encoded.length;
  }
  const n = value.length;
  if (n > (vr === "AE" ? AE_TITLE_LENGTH : 64)) encodedValue(def, value);
  pos = writeElementHeaderAt(out, pos, def.element, n + (n & 1));
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    // Printable ASCII only (UI, LO, AE); an AE title also holds no backslash (PS3.5 §6.2).
    if (c < 0x20 || c > 0x7e || (c === 0x5c && vr === "AE")) encodedValue(def, value);
    out[pos + i] = c;
  }
  // PS3.5 §6.2: UI pads to even length with NUL, text VRs with a space.
  if ((n & 1) !== 0) out[pos + n] = vr === "UI" ? 0 : 0x20;
  return pos + n + (n & 1);
}

/**
 * The command set written `headroom` bytes into a fresh buffer (the room a P-DATA-TF header takes in front of it), so
 * that a command goes out as one buffer, not copied again.
 */
function encodeCommandAt(cmd: DimseCommand, headroom: number): Buffer {
  if (!isKnownCommandField(cmd.commandField)) fail(`command field 0x${Number(cmd.commandField).toString(16)} is not a DIMSE service this codec encodes (C-services, N-EVENT-REPORT, N-ACTION)`);
  const values = fieldValues(cmd);
  for (const i of REQUIRED_INDEXES.get(cmd.commandField) ?? []) {
    if (values[i] === undefined) fail(`command 0x${cmd.commandField.toString(16)} lacks mandatory field(s) ${missingCommandFields(cmd).join(", ")} (PS3.7 §9.3)`);
  }
  let groupLength = 0;
  for (let i = 0; i < FIELDS.length; i++) {
    const value = values[i];
    if (value !== undefined) groupLength += ELEMENT_HEADER_LENGTH + valueLength(FIELDS[i]!.vr, value);
  }
  const detail = cmd.statusDetail ?? EMPTY;
  const out = Buffer.allocUnsafe(headroom + ELEMENT_HEADER_LENGTH + 4 + groupLength + detail.length);
  let pos = writeElementHeaderAt(out, headroom, 0x0000, 4);
  out.writeUInt32LE(groupLength, pos);
  pos += 4;
  for (let i = 0; i < FIELDS.length; i++) {
    const value = values[i];
    if (value !== undefined) pos = writeElement(out, pos, FIELDS[i]!, value);
  }
  // After group 0000 and outside its group length, as DCMTK writes a response's status detail.
  out.set(detail, pos);
  return out;
}

/**
 * PS3.7 §6.3.1 + Annex E: the command set in Implicit VR Little Endian, elements in tag order, led by
 * the computed Command Group Length (0000,0000), then `statusDetail` as given. Throws PduEncodeError when a
 * mandatory field is missing.
 */
export function encodeCommand(cmd: DimseCommand): Buffer {
  return encodeCommandAt(cmd, 0);
}

/**
 * PS3.8 Annex E: a command set as whole P-DATA-TF PDUs within the peer's limit (0 = none announced), the command
 * bit set on each PDV and the last-fragment bit on the last. A command that fits one PDU (every real one) is encoded
 * straight after its PDU header in one buffer.
 */
export function encodeCommandPdus(presentationContextId: number, cmd: DimseCommand, maxPduLength: number): Buffer[] {
  const out = encodeCommandAt(cmd, P_DATA_TF_HEADER_LENGTH);
  const length = out.length - P_DATA_TF_HEADER_LENGTH;
  if (length > maxPdvDataLength(maxPduLength)) {
    return fragmentToBuffers({ presentationContextId, isCommand: true, payload: out.subarray(P_DATA_TF_HEADER_LENGTH), maxPduLength });
  }
  writePDataTfHeader(out, 0, presentationContextId, true, true, length);
  return [out];
}

const EMPTY = new Uint8Array(0);

function decodeFail(message: string, offset: number): never {
  throw new PduDecodeError(PduErrorCode.CommandMalformed, `command set: ${message} (at byte ${offset})`, offset);
}

function trimText(s: string): string {
  return s.replace(/^ +| +$/g, "");
}

/**
 * Decodes a whole command set (the reassembled command PDVs). Unknown group-0000 elements are skipped;
 * an element of another group, a truncated value or a wrongly sized US value is a PduDecodeError with code
 * ERR_DICOM_COMMAND_MALFORMED. The command field is kept as sent; see isKnownCommandField.
 */
export function decodeCommand(bytes: Uint8Array): DimseCommand {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Record<string, unknown> = {};
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < ELEMENT_HEADER_LENGTH) decodeFail(`${bytes.length - pos} trailing bytes are too few for an element header`, pos);
    const group = view.getUint16(pos, true);
    const element = view.getUint16(pos + 2, true);
    const length = view.getUint32(pos + 4, true);
    if (group !== 0x0000) {
      // DCMTK moves a response's status detail into the command set (Orthanc 1.10.1's C-GET-RSP carries (0008,0058) so):
      // kept aside for a response, still refused in a request, where the values could be echoed back.
      if (!isResponseField(fields["commandField"])) decodeFail(`element ${tagName(group, element)} is outside group 0000; a command set holds only group 0000 (PS3.7 §6.3.1)`, pos);
      fields["statusDetail"] = checkedStatusDetail(bytes, view, pos);
      break;
    }
    const start = pos + ELEMENT_HEADER_LENGTH;
    if (length > bytes.length - start) decodeFail(`element ${tagName(group, element)} announces ${length} bytes but only ${bytes.length - start} remain`, pos);
    const def = BY_ELEMENT.get(element);
    if (def !== undefined) fields[def.key] = readValue(def, bytes, view, start, length, pos);
    pos = start + length;
  }
  const commandField = fields["commandField"];
  const commandDataSetType = fields["commandDataSetType"];
  if (commandField === undefined) decodeFail("no Command Field (0000,0100)", 0);
  if (commandDataSetType === undefined) decodeFail("no Command Data Set Type (0000,0800)", 0);
  return fields as unknown as DimseCommand;
}

function isResponseField(commandField: unknown): boolean {
  return typeof commandField === "number" && (commandField & 0x8000) !== 0;
}

/** The elements from `pos` to the end: well-formed Implicit VR LE headers, defined lengths in bounds, no group 0000 again. */
function checkedStatusDetail(bytes: Uint8Array, view: DataView, from: number): Uint8Array {
  let pos = from;
  while (pos < bytes.length) {
    if (bytes.length - pos < ELEMENT_HEADER_LENGTH) decodeFail(`${bytes.length - pos} trailing bytes are too few for an element header`, pos);
    const group = view.getUint16(pos, true);
    const length = view.getUint32(pos + 4, true);
    const tag = `(${group.toString(16).padStart(4, "0")},${view.getUint16(pos + 2, true).toString(16).padStart(4, "0")})`;
    if (group === 0x0000) decodeFail(`element ${tag} of group 0000 follows elements of other groups (PS3.7 §6.3.1: tag order)`, pos);
    if (length > bytes.length - pos - ELEMENT_HEADER_LENGTH) decodeFail(`element ${tag} announces ${length} bytes but only ${bytes.length - pos - ELEMENT_HEADER_LENGTH} remain`, pos);
    pos += ELEMENT_HEADER_LENGTH + length;
  }
  return Uint8Array.prototype.slice.call(bytes, from);
}

/** "(gggg,eeee)", built only for an error message (a string per element was a measurable share of a decode). */
function tagName(group: number, element: number): string {
  return `(${group.toString(16).padStart(4, "0")},${element.toString(16).padStart(4, "0")})`;
}

/** True when encodedValue() would refuse `value` (already stripped of its padding): checked without building bytes. */
function textRefused(vr: Vr, value: string): boolean {
  if (value.length > (vr === "AE" ? AE_TITLE_LENGTH : 64)) return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || (c === 0x5c && vr === "AE")) return true;
  }
  return false;
}

function readValue(def: FieldDef, bytes: Uint8Array, view: DataView, start: number, length: number, pos: number): unknown {
  switch (def.vr) {
    case "US":
      if (length !== 2) decodeFail(`${tagName(0, def.element)} ${def.key} (US) must be 2 bytes, it is ${length}`, pos);
      return view.getUint16(start, true);
    case "AT": {
      if (length % 4 !== 0) decodeFail(`${tagName(0, def.element)} ${def.key} (AT) length ${length} is not a multiple of 4`, pos);
      const tags: number[] = [];
      for (let i = start; i < start + length; i += 4) tags.push(((view.getUint16(i, true) << 16) | view.getUint16(i + 2, true)) >>> 0);
      return tags;
    }
    default: {
      let s = "";
      for (let i = start; i < start + length; i++) s += String.fromCharCode(bytes[i]!);
      const value = def.vr === "UI" ? stripUidPadding(s) : def.vr === "AE" ? trimAeTitle(s) : trimText(s);
      // Strict: only what the encoder would write back, since responses echo these values (a UID with 0xff did).
      if (textRefused(def.vr, value)) {
        try {
          encodedValue(def, value);
        } catch (err) {
          decodeFail(`${tagName(0, def.element)} ${def.key}: ${(err as Error).message}`, pos);
        }
      }
      return value;
    }
  }
}
