import { spawnSync } from "node:child_process";

/** Environment for DCMTK tools: Debian's DCMTK leaves Nagle on unless TCP_NODELAY=1 (40 ms per exchange). */
export function dcmtkEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, TCP_NODELAY: "1", ...extra };
}

/** Throws with an install hint when a peer tool is missing: a missing peer is a setup error, never a skip. */
export function requireTool(name: string): void {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`${name} is not installed: run \`bash scripts/setup-peers.sh\` (Debian's dcmtk and orthanc packages)`);
  }
}
