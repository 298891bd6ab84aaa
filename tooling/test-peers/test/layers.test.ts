/**
 * The dependency direction of ARCHITECTURE.md, checked on the workspace itself: each package's runtime dependencies
 * on packages of ours point to a lower layer (the bottom ones have a fixed list), and every `@dicomtls/*` its sources
 * import is declared (sources in `dependencies`, tests and examples in either list). Reads only this repository.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** Layer of each library package; a package depends only on lower layers. Apps, plugins and tooling by folder. */
const LAYER: Readonly<Record<string, number>> = {
  "@dicomtls/pdu-codec": 0,
  "@dicomtls/tls-context": 0,
  "@dicomtls/config": 0,
  "@dicomtls/dataset": 1,
  "@dicomtls/association": 2,
  "@dicomtls/storage": 2,
  "@dicomtls/scp": 3,
  "@dicomtls/scu": 3,
  "@dicomtls/plugin-api": 4,
};
const PLUGINS_LAYER = 5;
const APPS_LAYER = 6;

/** The bottom of the graph, exactly: pure codecs and config import nothing of ours, storage only the File Meta codec. */
const ONLY: Readonly<Record<string, readonly string[]>> = {
  "@dicomtls/pdu-codec": [],
  "@dicomtls/tls-context": [],
  "@dicomtls/config": [],
  "@dicomtls/dataset": ["@dicomtls/pdu-codec"],
  "@dicomtls/storage": ["@dicomtls/dataset"],
};

interface Pkg {
  readonly dir: string;
  readonly name: string;
  readonly group: "packages" | "plugins" | "apps" | "tooling";
  readonly deps: readonly string[];
  readonly devDeps: readonly string[];
}

function ours(record: Record<string, string> | undefined): string[] {
  return Object.keys(record ?? {}).filter((k) => k.startsWith("@dicomtls/"));
}

function workspace(): Pkg[] {
  const pkgs: Pkg[] = [];
  for (const group of ["packages", "plugins", "apps", "tooling"] as const) {
    const base = join(ROOT, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      const file = join(base, d, "package.json");
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, "utf8")) as { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      pkgs.push({ dir: join(base, d), name: json.name, group, deps: ours(json.dependencies), devDeps: ours(json.devDependencies) });
    }
  }
  return pkgs;
}

function layerOf(p: Pkg): number | undefined {
  if (p.group === "apps") return APPS_LAYER;
  if (p.group === "plugins") return PLUGINS_LAYER;
  return LAYER[p.name];
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(path));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Package names a file imports (static, dynamic, re-exports), subpaths cut to the package. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](@dicomtls\/[a-z0-9-]+)(?:\/[^"']*)?["']/g)) names.add(m[1]!);
  return [...names];
}

const pkgs = workspace();
const byName = new Map(pkgs.map((p) => [p.name, p]));

describe("dependency direction (ARCHITECTURE.md)", () => {
  it("finds the workspace", () => {
    for (const name of ["@dicomtls/pdu-codec", "@dicomtls/dataset", "@dicomtls/storage", "@dicomtls/scp"]) assert.ok(byName.has(name), name);
  });

  it("every library package has a layer, and its dependencies of ours are in lower layers", () => {
    const faults: string[] = [];
    for (const p of pkgs) {
      if (p.group === "tooling") continue;
      const layer = layerOf(p);
      if (layer === undefined) {
        faults.push(`${p.name} (${relative(ROOT, p.dir)}) has no layer: add it to LAYER in ${relative(ROOT, new URL(import.meta.url).pathname)}`);
        continue;
      }
      for (const dep of p.deps) {
        const target = byName.get(dep);
        if (target === undefined) continue;
        if (target.group === "tooling") faults.push(`${p.name} depends on ${dep} (tooling): make it a devDependency`);
        else if (target.group === "apps") {
          // An app may build on another (the CLI on the server's plugin loader); nothing else builds on an app.
          if (p.group !== "apps") faults.push(`${p.name} depends on the app ${dep}: libraries and plugins never import an app`);
        }
        else {
          const to = layerOf(target);
          if (to !== undefined && to >= layer) faults.push(`${p.name} (layer ${layer}) depends on ${dep} (layer ${to}): imports point down only`);
        }
      }
      const only = ONLY[p.name];
      if (only !== undefined) {
        for (const dep of p.deps) if (!only.includes(dep)) faults.push(`${p.name} may depend only on ${only.join(", ") || "no package of ours"}, not ${dep}`);
      }
    }
    assert.deepEqual(faults, []);
  });

  it("scp and scu never import each other", () => {
    assert.ok(!byName.get("@dicomtls/scp")!.deps.includes("@dicomtls/scu"));
    assert.ok(!byName.get("@dicomtls/scu")!.deps.includes("@dicomtls/scp"));
  });

  it("every package of ours a source imports is declared: src in dependencies, tests and examples in either list", () => {
    const faults: string[] = [];
    for (const p of pkgs) {
      for (const file of tsFiles(join(p.dir, "src"))) {
        for (const dep of importedPackages(file)) {
          if (dep !== p.name && !p.deps.includes(dep)) faults.push(`${relative(ROOT, file)} imports ${dep}, not in ${p.name}'s dependencies`);
        }
      }
      for (const file of [...tsFiles(join(p.dir, "test")), ...tsFiles(join(p.dir, "examples"))]) {
        for (const dep of importedPackages(file)) {
          if (dep !== p.name && !p.deps.includes(dep) && !p.devDeps.includes(dep)) faults.push(`${relative(ROOT, file)} imports ${dep}, which ${p.name} does not declare`);
        }
      }
    }
    assert.deepEqual(faults, []);
  });

  it("pdu-codec is pure: no dcmjs, no workers, no file or socket modules in its sources", () => {
    const faults: string[] = [];
    for (const file of tsFiles(join(byName.get("@dicomtls/pdu-codec")!.dir, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/from\s+["']([^"']+)["']/g)) {
        const spec = m[1]!;
        if (/^(node:)?(fs|fs\/promises|net|tls|worker_threads|child_process)$/.test(spec) || spec === "dcmjs" || spec === "piscina") {
          faults.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(faults, []);
  });
});
