import { TextDecoder } from "node:util";
import { DatasetError, DatasetErrorCode } from "./errors.js";

/** Bytes to text in one character set. "binary" is Node's true ISO 8859-1 (WHATWG "latin1" is windows-1252). */
type Decoder = (bytes: Uint8Array) => string;

function nodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

function whatwg(label: string): Decoder {
  let decoder: TextDecoder | undefined;
  return (bytes) => (decoder ??= new TextDecoder(label)).decode(bytes);
}

/**
 * PS3.3 C.12.1.1.2 Table C.12-2 / C.12-3 / C.12-5: the defined terms of (0008,0005) this package decodes, single-byte
 * without code extensions, plus UTF-8 and GB18030/GBK. The "ISO 2022 IR n" forms of the same sets decode alike while a
 * value holds no escape sequence; with escapes, only ISO 2022 IR 87 (Japanese kanji) is decoded (as ISO-2022-JP).
 * Absent or ISO_IR 6 is the default repertoire (ASCII); stray 8-bit bytes are read as ISO 8859-1, as Orthanc does.
 */
const DECODERS: Readonly<Record<string, Decoder>> = {
  "": nodeLatin1,
  "ISO_IR 6": nodeLatin1,
  "ISO_IR 100": nodeLatin1,
  "ISO_IR 101": whatwg("iso-8859-2"),
  "ISO_IR 109": whatwg("iso-8859-3"),
  "ISO_IR 110": whatwg("iso-8859-4"),
  "ISO_IR 144": whatwg("iso-8859-5"),
  "ISO_IR 127": whatwg("iso-8859-6"),
  "ISO_IR 126": whatwg("iso-8859-7"),
  "ISO_IR 138": whatwg("iso-8859-8"),
  "ISO_IR 148": whatwg("iso-8859-9"),
  "ISO_IR 203": whatwg("iso-8859-15"),
  "ISO_IR 166": whatwg("windows-874"),
  "ISO_IR 13": whatwg("shift_jis"),
  "ISO_IR 192": whatwg("utf-8"),
  GB18030: whatwg("gb18030"),
  GBK: whatwg("gbk"),
};

/** The (0008,0005) terms `decodeIdentifier` understands (plus their "ISO 2022 IR n" forms, see above). */
export const SUPPORTED_CHARACTER_SETS: readonly string[] = Object.keys(DECODERS).filter((k) => k !== "");

const ESC = 0x1b;
const iso2022jp = whatwg("iso-2022-jp");

function decoderFor(term: string): Decoder | undefined {
  return DECODERS[term] ?? DECODERS[term.replace(/^ISO 2022 IR /, "ISO_IR ")];
}

/** Text of a value in the character set(s) of (0008,0005) (`charsets` empty = default repertoire). */
export function decodeText(bytes: Uint8Array, charsets: readonly string[]): string {
  const first = charsets[0] ?? "";
  if (bytes.includes(ESC) && charsets.length > 0) {
    if (charsets.every((c) => c === "" || c === "ISO 2022 IR 6" || c === "ISO 2022 IR 87")) return iso2022jp(bytes);
    throw new DatasetError(
      DatasetErrorCode.CharacterSet,
      `a value uses ISO 2022 code extensions with Specific Character Set "${charsets.join("\\")}", which cannot be decoded here (supported: ${SUPPORTED_CHARACTER_SETS.join(", ")}, and ISO 2022 IR 87)`,
      0,
    );
  }
  const decode = decoderFor(first);
  if (decode === undefined) {
    throw new DatasetError(
      DatasetErrorCode.CharacterSet,
      `Specific Character Set "${charsets.join("\\")}" is not one this node decodes (supported: ${SUPPORTED_CHARACTER_SETS.join(", ")})`,
      0,
    );
  }
  return decode(bytes);
}

/** Text to bytes: UTF-8 when (0008,0005) says ISO_IR 192, else the default repertoire (the caller checked ASCII). */
export function encodeText(text: string, utf8: boolean): Uint8Array {
  return Buffer.from(text, utf8 ? "utf8" : "latin1");
}
