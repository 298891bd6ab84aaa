/** Start order of plugins: each after its dependencies (fastify/avvio style), otherwise as listed. */

import { PluginError, PluginErrorCode } from "@dicomtls/plugin-api";

export interface Orderable {
  readonly name: string;
  readonly dependencies?: readonly string[] | undefined;
  /** Where it came from, for messages ("built-in", a file, a package). */
  readonly source: string;
}

/**
 * Topological order, stable with respect to the listing: a plugin moves only as far as its dependencies require.
 * A duplicate name, a missing dependency or a cycle (named in full: a -> b -> a) is a PluginError.
 */
export function startOrder<T extends Orderable>(entries: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const e of entries) {
    const first = byName.get(e.name);
    if (first !== undefined) throw new PluginError(PluginErrorCode.Dependencies, `two plugins are named "${e.name}": ${first.source} and ${e.source}`, { plugin: e.name });
    byName.set(e.name, e);
  }
  const done = new Set<string>();
  const out: T[] = [];
  const visit = (e: T, path: readonly string[]): void => {
    if (done.has(e.name)) return;
    if (path.includes(e.name)) {
      const cycle = [...path.slice(path.indexOf(e.name)), e.name].join(" -> ");
      throw new PluginError(PluginErrorCode.Dependencies, `plugin dependencies form a cycle: ${cycle}`, { plugin: e.name });
    }
    for (const dep of e.dependencies ?? []) {
      const d = byName.get(dep);
      if (d === undefined) {
        const known = [...byName.keys()].join(", ");
        throw new PluginError(PluginErrorCode.Dependencies, `plugin "${e.name}" (${e.source}) depends on plugin "${dep}", which is not loaded (loaded: ${known}); add it to Plugins`, { plugin: e.name });
      }
      visit(d, [...path, e.name]);
    }
    done.add(e.name);
    out.push(e);
  };
  for (const e of entries) visit(e, []);
  return out;
}
