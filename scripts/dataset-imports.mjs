#!/usr/bin/env node
// Merge helper for the move of dataset, Part 10 and codec-runner code into @dicomtls/dataset (branch h-layout).
// A branch written before the move imports those names from @dicomtls/pdu-codec or @dicomtls/association, and may
// add files under the old folders. After merging such a branch (and accepting git's "file location" suggestions),
// resolve the conflicts, then run `node scripts/dataset-imports.mjs` from the repository root: it
//   1. rewrites imports of names @dicomtls/dataset exports from @dicomtls/pdu-codec / @dicomtls/association to it,
//      and `@dicomtls/pdu-codec/worker` to `@dicomtls/dataset/worker`;
//   2. in packages/dataset/src, points relative imports of PDU code (../fragmenter.js, ../pdu/*, ../errors.js) and
//      ../codec/types.js-style leftovers at @dicomtls/pdu-codec;
//   3. adds @dicomtls/dataset to the dependencies (src) or devDependencies (tests only) and the tsconfig.build.json
//      references of each package that now imports it.
// It prints what it changed; check with `pnpm install --offline`, `pnpm typecheck`, `pnpm lint`. Safe to run twice.
// Delete it once every branch started before the move has landed.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

const DATASET_INDEXES = ["packages/dataset/src/dataset/index.ts", "packages/dataset/src/codec/index.ts", "packages/dataset/src/index.ts"];
// Names that stay where they are although dataset re-exports them (PduBatch is pdu-codec's).
const STAYS = new Set(["PduBatch"]);

function exportedNames() {
  const names = new Set();
  for (const f of DATASET_INDEXES) {
    if (!existsSync(f)) continue;
    for (const m of readFileSync(f, "utf8").matchAll(/export (?:type )?\{([^}]*)\}/g)) {
      for (const raw of m[1].split(",")) {
        const n = raw.replace(/\btype\s+/, "").split(" as ")[0].trim();
        if (n !== "" && !STAYS.has(n)) names.add(n);
      }
    }
  }
  return names;
}

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const DATASET = exportedNames();
const IMPORT = /(import|export)(\s+type)?\s*\{([^}]*)\}\s*from\s*"@dicomtls\/(pdu-codec|association)";/g;

function splitImports(text) {
  return text.replace(IMPORT, (whole, kw, typeKw, body, pkg) => {
    const specs = body.split(",").map((s) => s.trim()).filter((s) => s !== "");
    const moved = specs.filter((s) => DATASET.has(s.replace(/^type\s+/, "").split(" as ")[0].trim()));
    if (moved.length === 0) return whole;
    const kept = specs.filter((s) => !moved.includes(s));
    const t = typeKw ? " type" : "";
    const lines = [];
    if (kept.length > 0) lines.push(`${kw}${t} { ${kept.join(", ")} } from "@dicomtls/${pkg}";`);
    lines.push(`${kw}${t} { ${moved.join(", ")} } from "@dicomtls/dataset";`);
    return lines.join("\n");
  });
}

/** Joins several `import { ... } from "@dicomtls/dataset"` of one file into one (all-type ones stay `import type`). */
function joinDatasetImports(text) {
  const re = /^import(\s+type)?\s*\{([^}]*)\}\s*from\s*"@dicomtls\/dataset";\n/gm;
  const found = [...text.matchAll(re)];
  if (found.length < 2) return text;
  const specs = found.flatMap((m) => m[2].split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => (m[1] && !s.startsWith("type ") ? `type ${s}` : s)));
  const allTypes = specs.every((s) => s.startsWith("type "));
  const line = allTypes ? `import type { ${specs.map((s) => s.slice(5)).join(", ")} } from "@dicomtls/dataset";\n` : `import { ${specs.join(", ")} } from "@dicomtls/dataset";\n`;
  let first = true;
  return text.replace(re, () => {
    if (!first) return "";
    first = false;
    return line;
  });
}

function fixRelative(file, text) {
  // association's own files that reached its former codec folder.
  if (file.startsWith(join("packages", "association", "src"))) return text.replace(/from "(\.\.?\/)+codec\/[a-z-]+\.js";/g, 'from "@dicomtls/dataset";');
  if (!file.startsWith(join("packages", "dataset", "src"))) return text;
  const toIndex = relative(dirname(file), join("packages", "dataset", "src", "dataset", "index.js")).split(sep).join("/");
  return text
    .replace(/from "\.\.\/(fragmenter|errors|pdu\/[a-z-]+|types)\.js";/g, 'from "@dicomtls/pdu-codec";')
    .replace(/from "@dicomtls\/dataset";/g, `from "${toIndex.startsWith(".") ? toIndex : `./${toIndex}`}";`);
}

// Run it after resolving conflicts: an import inside conflict markers would be rewritten on both sides.
for (const root of ["packages", "apps", "tooling", "plugins"]) {
  if (!existsSync(root)) continue;
  const manifests = readdirSync(root).flatMap((d) => ["package.json", "tsconfig.build.json"].map((n) => join(root, d, n))).filter((f) => existsSync(f));
  const conflicted = [...tsFiles(root), ...manifests].filter((f) => /^<{7} /m.test(readFileSync(f, "utf8")));
  if (conflicted.length > 0) {
    console.error(`dataset-imports: resolve the merge conflicts first:\n  ${conflicted.join("\n  ")}`);
    process.exit(1);
  }
}

const changed = [];
const pduCodecUsers = [];
const users = new Map(); // package dir -> "src" | "test"
for (const root of ["packages", "apps", "tooling", "plugins"]) {
  if (!existsSync(root)) continue;
  for (const pkg of readdirSync(root)) {
    const dir = join(root, pkg);
    for (const file of tsFiles(dir)) {
      const before = readFileSync(file, "utf8");
      let after = splitImports(before).replaceAll('"@dicomtls/pdu-codec/worker"', '"@dicomtls/dataset/worker"');
      after = joinDatasetImports(fixRelative(file, after));
      if (after !== before) {
        writeFileSync(file, after);
        changed.push(file);
      }
      const usesDataset = /from\s+"@dicomtls\/dataset(\/worker)?"/.test(after);
      // pdu-codec depends on nothing (dataset depends on it): a file of it that needs dataset belongs in dataset.
      if (dir === join("packages", "pdu-codec") && usesDataset) {
        pduCodecUsers.push(file);
        continue;
      }
      if (dir !== join("packages", "dataset") && usesDataset) {
        const kind = file.startsWith(join(dir, "src")) ? "src" : "test";
        if (users.get(dir) !== "src") users.set(dir, kind);
      }
    }
  }
}

for (const [dir, kind] of users) {
  const pj = join(dir, "package.json");
  const json = JSON.parse(readFileSync(pj, "utf8"));
  const field = kind === "src" ? "dependencies" : "devDependencies";
  const has = json.dependencies?.["@dicomtls/dataset"] !== undefined || (kind === "test" && json.devDependencies?.["@dicomtls/dataset"] !== undefined);
  if (!has) {
    if (kind === "src" && json.devDependencies) delete json.devDependencies["@dicomtls/dataset"];
    json[field] = { ...json[field], "@dicomtls/dataset": "workspace:*" };
    writeFileSync(pj, `${JSON.stringify(json, null, 2)}\n`);
    changed.push(pj);
  }
  const tb = join(dir, "tsconfig.build.json");
  // Tooling builds after its dependencies through turbo alone (no project references).
  if (kind === "src" && existsSync(tb) && !dir.startsWith("tooling")) {
    const cfg = JSON.parse(readFileSync(tb, "utf8"));
    const ref = "../../packages/dataset/tsconfig.build.json";
    cfg.references ??= [];
    if (!cfg.references.some((r) => r.path === ref)) {
      cfg.references.push({ path: ref });
      writeFileSync(tb, `${JSON.stringify(cfg, null, 2)}\n`);
      changed.push(tb);
    }
  }
}

// Tests added to the old folders that test moved code: they belong in packages/dataset/test (git mv; their
// "../src/index.js" then reaches the same names there).
const misplaced = [];
for (const dir of [join("packages", "pdu-codec", "test"), join("packages", "association", "test")]) {
  for (const file of tsFiles(dir)) {
    const text = readFileSync(file, "utf8");
    const local = [...text.matchAll(/import(?:\s+type)?\s*\{([^}]*)\}\s*from\s*"\.\.\/src\/(?:index|worker)\.js"/g)].flatMap((m) => m[1].split(","));
    if (/from\s*"\.\.\/src\/worker\.js"/.test(text) || local.some((s) => DATASET.has(s.replace(/^\s*type\s+/, "").split(" as ")[0].trim()))) misplaced.push(file);
  }
}
misplaced.push(...pduCodecUsers.filter((f) => !misplaced.includes(f)));
if (misplaced.length > 0) console.log(`dataset-imports: these files use code now in packages/dataset; git mv them to packages/dataset (test/ or src/):\n  ${misplaced.join("\n  ")}`);
console.log(changed.length === 0 ? "dataset-imports: nothing to change" : `dataset-imports: changed\n  ${changed.join("\n  ")}`);
