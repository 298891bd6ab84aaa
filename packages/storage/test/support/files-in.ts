import { readdirSync } from "node:fs";
import { join } from "node:path";
import { INDEX_FILE_NAME } from "../../src/index.js";

/** Every file under a store's `folder` (paths relative to it, sorted), except the index database and its WAL files. */
export function filesIn(folder: string): string[] {
  return (readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(folder.length + 1))
    .filter((p) => !p.startsWith(INDEX_FILE_NAME))
    .sort();
}
