#!/usr/bin/env node
// Runs every package's tests in one node:test process tree, so CI reads one summary.
// Sources run through tsx with the "dicomtls-source" condition; no build needed for unit tests,
// but interop tests that spawn apps/*/bin use dist, so `pnpm build` first (scripts/test.sh does).
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const unitOnly = process.argv.includes("--unit");
const roots = ["packages", "plugins", "apps", "tooling"];
const files = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const pkg of readdirSync(root).sort()) {
    const dir = join(root, pkg, "test");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(".test.ts")) continue;
      if (unitOnly && f.includes(".interop.")) continue;
      files.push(join(dir, f));
    }
  }
}
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const args = [
  "--conditions=dicomtls-source", "--import", "tsx", "--test",
  "--test-concurrency=2", "--test-timeout=600000",
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env, TCP_NODELAY: "1" } });
process.exit(r.status ?? 1);
