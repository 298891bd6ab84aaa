import { PduDecodeError, PduEncodeError, PduErrorCode } from "../errors.js";
import type { ByteReader } from "./byte-reader.js";

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/** PS3.8 §9.3.2: AE titles are 16 bytes, padded with spaces; PS3.5 makes leading/trailing spaces insignificant. */
export const AE_TITLE_LENGTH = 16;

export function checkAeTitle(value: string, what: string): void {
  if (value.length > AE_TITLE_LENGTH || !ASCII_PRINTABLE.test(value) || value.includes("\\")) {
    throw new PduEncodeError(`${what} ${JSON.stringify(value)} is not an AE title: at most 16 printable ASCII characters, no backslash`);
  }
}

export function padAeTitle(value: string): string {
  return value.padEnd(AE_TITLE_LENGTH, " ");
}

/**
 * PS3.8 §9.3.2 + PS3.5 §6.2 (AE): leading and trailing spaces are not significant. Trailing NULs are padding too:
 * devices send them, and DCMTK reads the field as a C string that ends at the first NUL. What is left is kept as
 * received; `aeTitleProblem` says whether it can be a title at all.
 */
export function trimAeTitle(value: string): string {
  return value.replace(/[ \0]+$/, "").replace(/^ +/, "");
}

/**
 * Why `value` (already trimmed) cannot be an AE title, or undefined when it can: PS3.5 §6.2 allows the default
 * repertoire without backslash and control characters, at most 16 characters, and not only spaces (PS3.8 §9.3.2).
 */
export function aeTitleProblem(value: string): string | undefined {
  if (value.length === 0) return "it is empty (all spaces), which PS3.8 §9.3.2 forbids";
  if (value.length > AE_TITLE_LENGTH) return `it is ${value.length} characters long, more than 16`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return `it holds byte 0x${c.toString(16).padStart(2, "0")} at position ${i + 1}, outside printable ASCII`;
    if (c === 0x5c) return `it holds a backslash at position ${i + 1}`;
  }
  return undefined;
}

/** PS3.8 Annex F + PS3.5 §9: a UID on the wire may end with one NUL pad byte; some peers pad with a space. */
export function stripUidPadding(value: string): string {
  let end = value.length;
  while (end > 0 && (value.charCodeAt(end - 1) === 0 || value.charCodeAt(end - 1) === 0x20)) end--;
  return end === value.length ? value : value.slice(0, end);
}

/** UIDs and names go on the wire as single-byte ASCII; reject anything that would not round-trip. */
export function checkAscii(value: string, what: string, maxLength = 0xffff): void {
  if (value.length > maxLength || !ASCII_PRINTABLE.test(value)) {
    throw new PduEncodeError(`${what} ${JSON.stringify(value.slice(0, 80))} must be printable ASCII of at most ${maxLength} characters`);
  }
}

/**
 * Reads an n-byte UID or name from the wire, strictly: padding stripped, then printable ASCII of at most `maxLength`
 * characters, the same rule the encoder applies, so that whatever decodes can be echoed back (PS3.8 Annex F).
 */
export function readAsciiValue(r: ByteReader, n: number, what: string, maxLength = 64): string {
  const start = r.pos;
  const value = stripUidPadding(r.latin1(n, what));
  if (value.length > maxLength || !ASCII_PRINTABLE.test(value)) {
    const shown = JSON.stringify(value.slice(0, 80));
    throw new PduDecodeError(PduErrorCode.InvalidValue, `${what} ${shown} is not printable ASCII of at most ${maxLength} characters (at byte ${start})`, start);
  }
  return value;
}
