import { closeSync, openSync, writeSync } from "node:fs";

/** Writes zeros to `path` until the file system says ENOSPC: what is left after is less than a page. */
export function fillUp(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const block = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, block);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
