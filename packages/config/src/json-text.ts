/**
 * Orthanc's configuration file format: JSON with comments (JsonCpp `allowComments`), after textual
 * `${VAR}` substitution over the whole file [Orthanc `Toolbox::SubstituteVariables`].
 *
 * Our own small parser rather than JSON.parse, so that every value keeps its position in the
 * file the person edited: errors say line and column of the original text, before substitution.
 */

import type { SourceLocation } from "./errors.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type JsonPath = readonly (string | number)[];

export type Env = Readonly<Record<string, string | undefined>>;

/** A substituted piece of text and where it came from, to map offsets back to the original. */
interface Segment {
  readonly outStart: number;
  readonly outEnd: number;
  readonly origStart: number;
  /** Copied verbatim (offsets shift 1:1) or the value of a `${...}` (all map to its `$`). */
  readonly verbatim: boolean;
}

interface Substitution {
  readonly text: string;
  readonly segments: readonly Segment[];
  /** `${VAR}` without default whose variable is unset: Orthanc substitutes "" silently. */
  readonly unset: readonly { readonly name: string; readonly outOffset: number; readonly origOffset: number }[];
  readonly emptyNames: readonly number[];
}

/*
 * Same four alternatives, in the same order, as Orthanc's boost regex: `${A}`, `${A:-x}` (no quotes
 * in x), `${A:-"x"}`, `${A:-'x'}`. A name may hold anything but ':' (non-greedy up to '}').
 */
const VARIABLE = /\$\{([^:]*?)\}|\$\{([^:]*?):-([^'"]*?)\}|\$\{([^:]*?):-"([^"]*?)"\}|\$\{([^:]*?):-'([^']*?)'\}/g;

export function substituteVariables(source: string, env: Env): Substitution {
  const segments: Segment[] = [];
  const unset: { name: string; outOffset: number; origOffset: number }[] = [];
  const emptyNames: number[] = [];
  let out = "";
  let last = 0;
  for (const m of source.matchAll(VARIABLE)) {
    const at = m.index;
    if (at > last) {
      segments.push({ outStart: out.length, outEnd: out.length + at - last, origStart: last, verbatim: true });
      out += source.slice(last, at);
    }
    let value: string;
    if (m[1] !== undefined) {
      const name = m[1];
      // Orthanc throws an internal error on `${}`; we report it as a mistake in the file.
      if (name === "") emptyNames.push(at);
      const v = env[name];
      if (v === undefined && name !== "") unset.push({ name, outOffset: out.length, origOffset: at });
      value = v ?? "";
    } else {
      const name = m[2] ?? m[4] ?? m[6] ?? "";
      const fallback = m[3] ?? m[5] ?? m[7] ?? "";
      if (name === "") emptyNames.push(at);
      value = env[name] ?? fallback;
    }
    segments.push({ outStart: out.length, outEnd: out.length + value.length, origStart: at, verbatim: false });
    out += value;
    last = at + m[0].length;
  }
  if (last < source.length) {
    segments.push({ outStart: out.length, outEnd: out.length + source.length - last, origStart: last, verbatim: true });
  }
  out += source.slice(last);
  return { text: out, segments, unset, emptyNames };
}

/** Offset in substituted text -> offset in the original text. */
function toOriginalOffset(segments: readonly Segment[], offset: number): number {
  // The last segment starting at or before the offset; an empty substitution yields to its successor.
  let lo = 0;
  let hi = segments.length - 1;
  let found: Segment | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (s.outStart <= offset) {
      found = s;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found === undefined) return offset;
  return found.verbatim ? found.origStart + (offset - found.outStart) : found.origStart;
}

/** Offset -> 1-based line and column, computed once per file. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

export class JsonSyntaxError extends Error {
  readonly location: SourceLocation;
  constructor(message: string, location: SourceLocation) {
    super(message);
    this.name = "JsonSyntaxError";
    this.location = location;
  }
}

/** Result of reading one configuration file. */
export interface ParsedFile {
  readonly file: string;
  readonly value: JsonObject;
  /** Location of a value (or, when asked for a key that exists, of the value under it). */
  locate(path: JsonPath): SourceLocation | undefined;
  /** Same key twice in one object: JsonCpp keeps the last silently; we warn. */
  readonly duplicateKeys: readonly { readonly path: JsonPath; readonly location: SourceLocation }[];
  readonly unsetVariables: readonly { readonly name: string; readonly location: SourceLocation }[];
}

const pathKey = (path: JsonPath): string => JSON.stringify(path);

/**
 * Parses Orthanc-style JSON: comments `//` and `/* *\/` anywhere whitespace may be, trailing commas
 * accepted (JsonCpp's CharReaderBuilder default), a UTF-8 BOM skipped, the root must be an object.
 */
export function parseConfigJson(original: string, file: string, env: Env): ParsedFile {
  const bomless = original.charCodeAt(0) === 0xfeff ? " " + original.slice(1) : original;
  const sub = substituteVariables(bomless, env);
  const text = sub.text;
  const lines = new LineIndex(bomless);
  const where = (outOffset: number): SourceLocation => ({ file, ...lines.at(toOriginalOffset(sub.segments, outOffset)) });
  const whereOriginal = (origOffset: number): SourceLocation => ({ file, ...lines.at(origOffset) });

  const offsets = new Map<string, number>();
  const duplicateKeys: { path: JsonPath; location: SourceLocation }[] = [];
  const comments: [number, number][] = [];
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, where(at));
  };

  const describe = (at: number): string => {
    if (at >= text.length) return "the end of the file";
    const c = text[at]!;
    return c === "\n" ? "a line break" : `'${c}'`;
  };

  const skip = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        i++;
      } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
        const start = i;
        while (i < text.length && text.charCodeAt(i) !== 10) i++;
        comments.push([start, i]);
      } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
        const start = i;
        const end = text.indexOf("*/", i + 2);
        if (end < 0) fail("unterminated /* comment", start);
        i = end + 2;
        comments.push([start, i]);
      } else {
        return;
      }
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let s = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return s;
      }
      if (c === "\n" || c.charCodeAt(0) < 0x20) fail("line break or control character inside a string (missing closing quote?)");
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e !== undefined && e in simple) {
          s += simple[e];
          i += 2;
        } else if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape in string");
          s += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          fail(`invalid escape '\\${e ?? ""}' in string`);
        }
      } else {
        s += c;
        i++;
      }
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

  const parseValue = (path: (string | number)[]): JsonValue => {
    skip();
    offsets.set(pathKey(path), i);
    const c = text[i];
    if (c === "{") return parseObject(path);
    if (c === "[") return parseArray(path);
    if (c === '"') return parseString();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) return fail(`invalid number`);
      i += m[0].length;
      return Number(m[0]);
    }
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`expected a value, found ${describe(i)}`);
  };

  const parseObject = (path: (string | number)[]): JsonObject => {
    i++;
    const obj: JsonObject = {};
    for (;;) {
      skip();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      if (text[i] !== '"') fail(`expected a quoted key or '}', found ${describe(i)}`);
      const keyAt = i;
      const key = parseString();
      skip();
      if (text[i] !== ":") fail(`expected ':' after key "${key}", found ${describe(i)}`);
      i++;
      const childPath = [...path, key];
      if (Object.hasOwn(obj, key)) duplicateKeys.push({ path: childPath, location: where(keyAt) });
      obj[key] = parseValue(childPath);
      skip();
      if (text[i] === ",") {
        i++;
      } else if (text[i] !== "}") {
        fail(`expected ',' or '}' after the value of "${key}", found ${describe(i)}`);
      }
    }
  };

  const parseArray = (path: (string | number)[]): JsonValue[] => {
    i++;
    const arr: JsonValue[] = [];
    for (;;) {
      skip();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      arr.push(parseValue([...path, arr.length]));
      skip();
      if (text[i] === ",") {
        i++;
      } else if (text[i] !== "]") {
        fail(`expected ',' or ']' in array, found ${describe(i)}`);
      }
    }
  };

  for (const at of sub.emptyNames) {
    throw new JsonSyntaxError("empty variable name in ${...}", whereOriginal(at));
  }
  skip();
  if (text[i] !== "{") fail(`the configuration must be a JSON object starting with '{', found ${describe(i)}`);
  const value = parseObject([]);
  skip();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the configuration object`);

  // An unset variable inside a comment changes nothing, so it is not worth a warning.
  const inComment = (o: number): boolean => comments.some(([s, e]) => o >= s && o <= e);
  const unsetVariables = sub.unset
    .filter((u) => !inComment(u.outOffset))
    .map((u) => ({ name: u.name, location: whereOriginal(u.origOffset) }));

  return {
    file,
    value,
    duplicateKeys,
    unsetVariables,
    locate(path) {
      const at = offsets.get(pathKey(path));
      return at === undefined ? undefined : where(at);
    },
  };
}
