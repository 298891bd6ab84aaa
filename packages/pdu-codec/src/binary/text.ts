import { PduEncodeError } from "../errors.js";

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

export function trimAeTitle(value: string): string {
  return value.replace(/^ +| +$/g, "");
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
