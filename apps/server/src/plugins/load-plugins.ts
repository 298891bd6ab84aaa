/**
 * Loading the configuration's `Plugins`: files (.js, .mjs), folders of them, package names, and Orthanc's native
 * plugins (.so): its worklist plugin maps to the bundled @dicomtls/plugin-worklist, any other is named in a warning.
 */

import { readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { formatIssue, type LoadResult, type PluginSource } from "@dicomtls/config";
import { assertPlugin, PluginError, PluginErrorCode, settingsSchemaOf } from "@dicomtls/plugin-api";
import type { LoadedPlugin } from "../plugin-types.js";

/** Orthanc's sample worklist plugin, which the bundled worklist plugin replaces with the same `Worklists` section. */
export const ORTHANC_WORKLIST_LIBRARY = /^libModalityWorklists\.so(\.[0-9.]+)?$/;
export const WORKLIST_PACKAGE = "@dicomtls/plugin-worklist";

const SCRIPT = new Set([".js", ".mjs"]);
const NATIVE = /\.(so(\.[0-9.]+)?|dylib|dll)$/i;

export interface LoadedPlugins {
  readonly plugins: readonly LoadedPlugin[];
  /** Native Orthanc plugins that cannot be loaded, mapped ones, and similar notes for the start-up log. */
  readonly warnings: readonly string[];
  /** Top-level keys the plugins read (their settingsKey): not "unknown keys" of the configuration. */
  readonly settingsKeys: readonly string[];
}

/** A module to import, and how to name it in messages. */
interface Candidate {
  readonly specifier: string;
  readonly source: string;
  /** For packages: a folder to resolve from when the server itself cannot. */
  readonly baseDir?: string;
  /** Stands for a native Orthanc plugin: when the package is not installed, a warning rather than an error. */
  readonly replaces?: string;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function kindOf(path: string): Promise<"file" | "folder" | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s === undefined ? undefined : s.isDirectory() ? "folder" : "file";
}

/** The modules one entry stands for; notes and problems go to the lists. */
async function candidatesOf(src: PluginSource, warnings: string[], problems: string[]): Promise<Candidate[]> {
  if (src.kind === "package") {
    return [{ specifier: src.name, source: src.name, baseDir: src.baseDir }];
  }
  const kind = await kindOf(src.path);
  if (kind === undefined) {
    problems.push(`Plugins: "${src.entry}": no such file or folder (${src.path})`);
    return [];
  }
  if (kind === "file") return fileCandidate(src.path, src.entry, warnings, problems);
  const names = (await readdir(src.path)).sort();
  const out: Candidate[] = [];
  for (const name of names) {
    const full = join(src.path, name);
    if ((await kindOf(full)) !== "file") continue;
    if (SCRIPT.has(extname(name)) || NATIVE.test(name)) out.push(...fileCandidate(full, src.entry, warnings, problems));
  }
  if (out.length === 0 && !names.some((n) => NATIVE.test(n))) warnings.push(`Plugins: "${src.entry}": the folder ${src.path} holds no .js, .mjs or .so file`);
  return out;
}

function fileCandidate(path: string, entry: string, warnings: string[], problems: string[]): Candidate[] {
  const name = basename(path);
  if (NATIVE.test(name)) {
    if (ORTHANC_WORKLIST_LIBRARY.test(name)) {
      warnings.push(`Plugins: "${entry}": Orthanc's worklist plugin ${path} is served by the bundled ${WORKLIST_PACKAGE} with the same Worklists section`);
      return [{ specifier: WORKLIST_PACKAGE, source: WORKLIST_PACKAGE, replaces: path }];
    }
    warnings.push(`Plugins: "${entry}": ${path} is a native Orthanc plugin, which dicomtls cannot load; it is not running`);
    return [];
  }
  if (!SCRIPT.has(extname(name))) {
    problems.push(`Plugins: "${entry}": ${path} is not a plugin module (expected a .js or .mjs file, a folder of them, or a package name)`);
    return [];
  }
  return [{ specifier: pathToFileURL(path).href, source: path }];
}

async function importCandidate(c: Candidate): Promise<unknown> {
  try {
    return await import(c.specifier);
  } catch (err) {
    const notFound = (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && c.baseDir !== undefined && errorText(err).includes(`'${c.specifier}'`);
    if (!notFound) throw err;
  }
  // Not one of the server's own dependencies: a package installed next to the configuration.
  let resolved: string;
  try {
    resolved = createRequire(join(c.baseDir, "noop.js")).resolve(c.specifier);
  } catch {
    const folder = join(c.baseDir, c.specifier);
    if ((await kindOf(folder)) === "folder") throw Object.assign(new Error("folder"), { folder });
    const bundled = c.specifier.startsWith("@dicomtls/plugin-") ? " (a bundled plugin: install it next to the server)" : "";
    throw new PluginError(PluginErrorCode.LoadFailed, `Plugins: "${c.specifier}": no such package, from the server or from ${c.baseDir}${bundled}`);
  }
  return await import(pathToFileURL(resolved).href);
}

/**
 * Imports every plugin of `config.plugins`, checks its shape and validates its section with its schema. Every problem
 * is collected; when there is one, a PluginError lists them all (one per line) and nothing starts.
 */
export async function loadPlugins(loaded: Pick<LoadResult, "config" | "checkSection">): Promise<LoadedPlugins> {
  const warnings: string[] = [];
  const problems: string[] = [];
  const plugins: LoadedPlugin[] = [];
  const seen = new Set<string>();
  const queue: Candidate[] = [];
  for (const src of loaded.config.plugins) queue.push(...(await candidatesOf(src, warnings, problems)));
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (seen.has(c.specifier)) continue;
    seen.add(c.specifier);
    let mod: unknown;
    try {
      mod = await importCandidate(c);
    } catch (err) {
      const folder = (err as { folder?: string }).folder;
      if (folder !== undefined) {
        queue.unshift(...(await candidatesOf({ kind: "path", entry: c.specifier, path: folder }, warnings, problems)));
        continue;
      }
      if (c.replaces !== undefined && (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
        warnings.push(`Plugins: ${c.replaces} maps to ${c.specifier}, which is not installed: worklists are not served`);
        continue;
      }
      problems.push(err instanceof PluginError ? err.message : `Plugins: ${c.source}: cannot be imported: ${errorText(err)}`);
      continue;
    }
    try {
      const plugin = assertPlugin((mod as { default?: unknown }).default, c.source);
      const schema = settingsSchemaOf(plugin);
      let settings: unknown;
      if (schema !== undefined) {
        const r = loaded.checkSection(plugin.settingsKey!, schema);
        if (r.ok) settings = r.value;
        else for (const issue of r.issues) problems.push(`plugin "${plugin.name}" (${c.source}): ${formatIssue(issue)}`);
      }
      plugins.push({ plugin, settings, source: c.source });
    } catch (err) {
      problems.push(errorText(err));
    }
  }
  if (problems.length > 0) {
    throw new PluginError(PluginErrorCode.LoadFailed, `the plugins cannot start (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  const settingsKeys = plugins.flatMap((p) => (p.plugin.settingsKey === undefined ? [] : [p.plugin.settingsKey]));
  return { plugins, warnings, settingsKeys };
}
