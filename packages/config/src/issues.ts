/** Turning zod's findings into the issues a person reads: the key path, what was expected, what was found. */

import type { z } from "zod";
import { ConfigIssueKind } from "./errors.js";
import type { JsonPath, JsonValue } from "./json-text.js";

/** An issue before it is placed in a file: the loader adds the location. */
export interface RawIssue {
  readonly kind: ConfigIssueKind;
  readonly path: JsonPath;
  readonly message: string;
}


export function valueAt(root: JsonValue | undefined, path: JsonPath): JsonValue | undefined {
  let v: JsonValue | undefined = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? (typeof p === "number" ? v[p] : undefined) : (v)[String(p)];
  }
  return v;
}

/** How a found value is shown in a message: short, and never a secret. */
export function describeValue(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "an empty array" : `an array of ${v.length}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

export function fromZod(error: z.ZodError, root: JsonValue, prefix: JsonPath): RawIssue[] {
  return error.issues.map((iss) => {
    const path = [...prefix, ...iss.path.map((p) => (typeof p === "number" ? p : String(p)))];
    const found = valueAt(root, iss.path.map((p) => (typeof p === "number" ? p : String(p))));
    if (found === undefined) {
      return { kind: ConfigIssueKind.MissingValue, path, message: `missing; ${iss.message}` };
    }
    const secret = path[path.length - 1] === "DicomTlsPrivateKeyPassword" || path[0] === "RegisteredUsers";
    return { kind: ConfigIssueKind.InvalidValue, path, message: `${iss.message}, got ${secret ? "a non-string value" : describeValue(found)}` };
  });
}


