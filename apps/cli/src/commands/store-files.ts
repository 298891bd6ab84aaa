import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";

/**
 * The files under PATH...: files as given, folders walked recursively (names sorted, so runs are repeatable).
 * A path that does not exist is a usage error: a typo should not look like "0 files stored".
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string, given: boolean): Promise<void> => {
    let s;
    try {
      s = await stat(path);
    } catch (err) {
      if (given) throw new UsageError(`${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or folder" : (err as Error).message}`);
      return; // a dangling link inside a folder
    }
    if (s.isDirectory()) {
      const names = (await readdir(path)).sort();
      for (const name of names) await walk(join(path, name), false);
    } else if (s.isFile()) {
      out.push(path);
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
}
