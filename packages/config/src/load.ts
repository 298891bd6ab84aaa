import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { ConfigError, ConfigIssueKind, formatIssue } from "./errors.js";
import type { ConfigIssue, SourceLocation } from "./errors.js";
import { JsonSyntaxError, parseConfigJson } from "./json-text.js";
import type { Env, JsonObject, JsonPath, ParsedFile } from "./json-text.js";
import type { NodeConfig } from "./node-config.js";
import { notUsedReason } from "./not-used.js";
import { validateConfig } from "./validate.js";
import type { RawIssue } from "./validate.js";

export interface LoadOptions {
  /** Variables for `${VAR}` substitution; defaults to process.env. */
  readonly env?: Env;
  /** Whether a regular file exists (TLS files are checked at load time); injectable for tests. */
  readonly isFile?: (path: string) => boolean;
}

export interface ParseTextOptions extends LoadOptions {
  /** Shown in messages; relative paths in the text resolve against its folder (default: cwd). */
  readonly file?: string;
}

/**
 * A key dicomtls does not use: an Orthanc key of another feature (HTTP, Lua, plugins...), a key it validates and does
 * not act on, or a modality field (`DicomModalities.<name>.<field>`) set to a value it ignores.
 */
export interface IgnoredKey {
  readonly key: string;
  readonly file: string;
  /** Why it is not used, in a sentence an administrator can act on. */
  readonly reason: string;
}

export interface LoadResult {
  readonly config: NodeConfig;
  /** Likely typos, unknown keys, unset variables, obsolete values: print once at start-up. */
  readonly warnings: readonly ConfigIssue[];
  readonly ignoredKeys: readonly IgnoredKey[];
  /** Top-level key -> the file it came from. */
  readonly sources: Readonly<Record<string, string>>;
}

/** Formats warnings for a log, one per line. */
export function formatWarnings(result: Pick<LoadResult, "warnings">): string[] {
  return result.warnings.map(formatIssue);
}

const pathToString = (path: JsonPath): string =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

/** Reads Orthanc-format configuration text (one file's content). Throws ConfigError. */
export function parseConfigText(text: string, options: ParseTextOptions = {}): LoadResult {
  const file = options.file === undefined ? "<text>" : resolve(options.file);
  const env = options.env ?? process.env;
  let parsed: ParsedFile;
  try {
    parsed = parseConfigJson(text, file, env);
  } catch (e) {
    throw syntaxToConfigError(e);
  }
  return finish([parsed], options, options.file === undefined ? process.cwd() : dirname(file));
}

/**
 * Loads the configuration from a file, or from a folder whose `*.json` files (not recursive, in
 * name order) are merged at top level, as Orthanc does. Throws ConfigError listing every problem.
 */
export async function loadConfig(pathOrDir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const target = resolve(pathOrDir);
  const env = options.env ?? process.env;
  let files: string[];
  try {
    const s = await stat(target);
    if (s.isDirectory()) {
      const entries = await readdir(target, { withFileTypes: true });
      const names: string[] = [];
      for (const e of entries) {
        if (extname(e.name).toLowerCase() !== ".json") continue;
        // Orthanc skips only directories; a symlink to a file counts.
        const full = join(target, e.name);
        if (e.isDirectory() || (e.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory() === true)) continue;
        names.push(e.name);
      }
      files = names.sort().map((n) => join(target, n));
    } else {
      files = [target];
    }
  } catch (e) {
    throw new ConfigError([{ kind: ConfigIssueKind.MissingFile, path: "", message: `cannot read the configuration at ${target}: ${errorText(e)}` }]);
  }

  const parsed: ParsedFile[] = [];
  const syntaxIssues: ConfigIssue[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, "utf8");
    } catch (e) {
      syntaxIssues.push({ kind: ConfigIssueKind.MissingFile, path: "", message: `cannot read ${f}: ${errorText(e)}` });
      continue;
    }
    try {
      parsed.push(parseConfigJson(text, f, env));
    } catch (e) {
      syntaxIssues.push(...syntaxToConfigError(e).issues);
    }
  }
  if (syntaxIssues.length > 0) throw new ConfigError(syntaxIssues);
  const result = finish(parsed, options, dirname(target));
  if (files.length === 0) {
    return {
      ...result,
      warnings: [{ kind: ConfigIssueKind.UnknownKey, path: "", message: `no *.json file in ${target}: every option has its default` }, ...result.warnings],
    };
  }
  return result;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function syntaxToConfigError(e: unknown): ConfigError {
  if (e instanceof JsonSyntaxError) {
    return new ConfigError([{ kind: ConfigIssueKind.Syntax, path: "", message: `malformed JSON: ${e.message}`, location: e.location }]);
  }
  throw e;
}

/** Merges the parsed files, validates, and places every issue in its file. */
function finish(parsed: readonly ParsedFile[], options: LoadOptions, fallbackDir: string): LoadResult {
  const merged: JsonObject = {};
  const owner = new Map<string, ParsedFile>();
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];

  for (const p of parsed) {
    for (const [key, value] of Object.entries(p.value)) {
      const first = owner.get(key);
      if (first !== undefined) {
        // Orthanc: 'The configuration section "X" is defined in 2 different configuration files'.
        errors.push({
          kind: ConfigIssueKind.DuplicateKey,
          path: key,
          message: `defined in 2 configuration files: ${first.file} and ${p.file} (a key may appear in one file only)`,
          ...located(p.locate([key])),
        });
        continue;
      }
      owner.set(key, p);
      merged[key] = value;
    }
    for (const d of p.duplicateKeys) {
      warnings.push({ kind: ConfigIssueKind.DuplicateKey, path: pathToString(d.path), message: "key appears twice in the same object; the last one wins", location: d.location });
    }
    for (const u of p.unsetVariables) {
      warnings.push({
        kind: ConfigIssueKind.UnsetVariable,
        path: "",
        message: `environment variable ${u.name} is not set: \${${u.name}} was replaced by an empty string (as Orthanc does); use \${${u.name}:-default} to give a default`,
        location: u.location,
      });
    }
  }

  const place = (raw: RawIssue): ConfigIssue => {
    const top = raw.path[0];
    const file = typeof top === "string" ? owner.get(top) : undefined;
    // Point at the deepest part of the path that exists in the file.
    let location: SourceLocation | undefined;
    for (let n = raw.path.length; n > 0 && location === undefined && file !== undefined; n--) location = file.locate(raw.path.slice(0, n));
    return { kind: raw.kind, path: pathToString(raw.path), message: raw.message, ...located(location) };
  };

  const v = validateConfig(merged, {
    baseDir: (key) => {
      const f = owner.get(key);
      return f === undefined || f.file === "<text>" ? fallbackDir : dirname(f.file);
    },
    ...(options.isFile === undefined ? {} : { isFile: options.isFile }),
  });
  errors.push(...v.errors.map(place));
  warnings.push(...v.warnings.map(place));
  if (errors.length > 0 || v.config === undefined) throw new ConfigError(errors, warnings);

  const sources: Record<string, string> = {};
  for (const [key, p] of owner) sources[key] = p.file;
  return {
    config: v.config,
    warnings,
    ignoredKeys: v.ignoredKeys.map((key) => ({ key, file: owner.get(key.split(".")[0]!)?.file ?? "", reason: notUsedReason(key) })),
    sources,
  };
}

const located = (location: SourceLocation | undefined): { location?: SourceLocation } => (location === undefined ? {} : { location });
