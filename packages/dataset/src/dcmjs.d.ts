/**
 * The slice of dcmjs 0.52 this package uses (it ships no types). Only the raw reader: dcmjs' naturalized form is
 * never used here because denaturalize drops private tags (see js-stack.md §2).
 */
declare module "dcmjs" {
  /** A denaturalized element: `Value` as dcmjs decoded it, `_rawValue` before character-set handling. */
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  export interface ReadBufferStreamOptions {
    /** Absolute byte offset in the ArrayBuffer where reading starts. */
    start?: number | null;
    /** Absolute byte offset in the ArrayBuffer where reading stops (exclusive). */
    stop?: number | null;
    noCopy?: boolean;
  }

  export class ReadBufferStream {
    constructor(buffer: ArrayBufferLike, littleEndian?: boolean | null, options?: ReadBufferStreamOptions);
    offset: number;
  }

  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    stopOnGreaterTag?: boolean;
  }

  export interface DictionaryEntry {
    tag: string;
    /** Two upper-case letters, or dcmjs' lower-case markers for ambiguous VRs: ox, xs, lt, up, na. */
    vr: string;
    vm: string;
    name: string;
  }

  export interface Logger {
    setLevel(level: "trace" | "debug" | "info" | "warn" | "error" | "silent"): void;
  }

  const dcmjs: {
    data: {
      ReadBufferStream: typeof ReadBufferStream;
      DicomMessage: {
        /** Reads a raw dataset (no preamble, no meta) in the given transfer syntax. */
        _read(stream: ReadBufferStream, transferSyntaxUid: string, options?: ReadOptions): DcmjsDict;
        /** Encapsulated and unknown syntaxes map to Explicit VR Little Endian (PS3.5 §A.4). */
        _normalizeSyntax(transferSyntaxUid: string): string;
      };
      DicomMetaDictionary: {
        /** Look-up only (a Proxy): keys "(GGGG,EEEE)" or "GGGGEEEE"; not enumerable. */
        dictionary: Record<string, DictionaryEntry | undefined>;
        /** Keyword (PS3.6 "PatientName") -> entry; `tag` is "(GGGG,EEEE)". */
        nameMap: Record<string, DictionaryEntry | undefined>;
      };
    };
    log: Logger & { getLogger(name: string): Logger };
  };
  export default dcmjs;
}
