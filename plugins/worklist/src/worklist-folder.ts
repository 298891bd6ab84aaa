/**
 * The `.wl` files of a folder, kept decoded in memory and re-read when the folder changes: fs.watch marks the folder
 * changed, and a query then compares each file's mtime and size with what was read (only changed files are read
 * again). Watching can miss events (network file systems, a folder replaced), so a query also re-checks the mtimes
 * when the last check is older than `recheckMs`. Bounded: at most `maxFiles` files of at most `maxFileBytes` each.
 */

import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { readWorklistFile, WorklistFileError, type WorklistEntry } from "./wl-file.js";

export interface WorklistFolderOptions {
  /** Files beyond this many (in name order) are left out, with a problem reported. Default 10,000. */
  readonly maxFiles?: number;
  /** A larger file is left out, with a problem reported. Default 4 MiB. */
  readonly maxFileBytes?: number;
  /** A query re-checks the mtimes when the last check is older than this, even without a watch event. Default 2,000 ms. */
  readonly recheckMs?: number;
  /** After each read of the folder: how many entries it holds and how many files were (re-)read. */
  readonly onRead?: (read: { readonly entries: number; readonly filesRead: number }) => void;
  /** A file that cannot be served (or a bound reached); called once per version of the file. */
  readonly onProblem?: (problem: { readonly path: string; readonly message: string }) => void;
}

/** The folder cannot be served (missing, not a folder). */
export class WorklistFolderError extends Error {
  readonly code = "ERR_DICOM_WORKLIST_FOLDER";
  constructor(message: string) {
    super(message);
    this.name = "WorklistFolderError";
  }
}

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly entry: WorklistEntry | undefined;
}

const isWorklistName = (name: string): boolean => name.toLowerCase().endsWith(".wl");

export class WorklistFolder {
  readonly path: string;
  readonly #maxFiles: number;
  readonly #maxFileBytes: number;
  readonly #recheckMs: number;
  readonly #onProblem: WorklistFolderOptions["onProblem"];
  readonly #onRead: WorklistFolderOptions["onRead"];
  #cache = new Map<string, Cached>();
  #entries: readonly WorklistEntry[] = [];
  #changed = true;
  #checkedAt = 0;
  #scanning: Promise<void> | undefined;
  #watcher: FSWatcher | undefined;
  /** How many times files were read (for tests and logs: unchanged files are not read again). */
  reads = 0;

  constructor(path: string, options: WorklistFolderOptions = {}) {
    this.path = path;
    this.#maxFiles = options.maxFiles ?? 10_000;
    this.#maxFileBytes = options.maxFileBytes ?? 4 * 1024 * 1024;
    this.#recheckMs = options.recheckMs ?? 2_000;
    this.#onProblem = options.onProblem;
    this.#onRead = options.onRead;
  }

  /** Checks the folder, reads it once and starts watching it. Throws WorklistFolderError naming the path. */
  async open(): Promise<void> {
    const s = await stat(this.path).catch(() => undefined);
    if (s === undefined) throw new WorklistFolderError(`${this.path}: no such folder`);
    if (!s.isDirectory()) throw new WorklistFolderError(`${this.path}: not a folder`);
    await this.entries();
    // Read at once on a change, so the next query finds the files ready (and a log shows the folder was read).
    this.#watcher = watch(this.path, { persistent: false }, () => {
      this.#changed = true;
      void this.entries().catch(() => undefined);
    });
    this.#watcher.on("error", () => {
      this.#changed = true;
    });
  }

  /** The current entries, in file-name order; the folder is re-read first when it changed (or the check is stale). */
  async entries(): Promise<readonly WorklistEntry[]> {
    // One read at a time; a change seen during a read causes one more (events arriving together share it).
    if (this.#scanning !== undefined) await this.#scanning;
    let stale = Date.now() - this.#checkedAt >= this.#recheckMs;
    while (this.#changed || stale) {
      stale = false;
      this.#scanning ??= this.#scan().finally(() => {
        this.#scanning = undefined;
      });
      await this.#scanning;
    }
    return this.#entries;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #problem(path: string, message: string, cached: Cached | undefined, mtimeMs: number, size: number): void {
    // Once per version of a file: the same broken file is not reported on every query.
    if (cached !== undefined && cached.mtimeMs === mtimeMs && cached.size === size) return;
    this.#onProblem?.({ path, message });
  }

  async #scan(): Promise<void> {
    this.#changed = false;
    this.#checkedAt = Date.now();
    const names = (await readdir(this.path).catch(() => [] as string[])).filter(isWorklistName).sort();
    if (names.length > this.#maxFiles) {
      this.#onProblem?.({ path: this.path, message: `${names.length} .wl files, more than the ${this.#maxFiles} served; the last ${names.length - this.#maxFiles} by name are left out` });
    }
    const next = new Map<string, Cached>();
    const readsBefore = this.reads;
    for (const name of names.slice(0, this.#maxFiles)) {
      const path = join(this.path, name);
      const s = await stat(path).catch(() => undefined);
      if (s === undefined || !s.isFile()) continue;
      const cached = this.#cache.get(name);
      if (cached !== undefined && cached.mtimeMs === s.mtimeMs && cached.size === s.size) {
        next.set(name, cached);
        continue;
      }
      let entry: WorklistEntry | undefined;
      if (s.size > this.#maxFileBytes) {
        this.#problem(path, `${s.size} bytes, more than the ${this.#maxFileBytes} a worklist file may have; left out`, cached, s.mtimeMs, s.size);
      } else {
        try {
          this.reads++;
          entry = await readWorklistFile(path, name);
        } catch (err) {
          const why = err instanceof WorklistFileError ? err.message : `${path}: ${err instanceof Error ? err.message : String(err)}`;
          this.#problem(path, `${why}; left out`, cached, s.mtimeMs, s.size);
        }
      }
      next.set(name, { mtimeMs: s.mtimeMs, size: s.size, entry });
    }
    this.#cache = next;
    this.#entries = [...next.values()].flatMap((c) => (c.entry === undefined ? [] : [c.entry]));
    this.#onRead?.({ entries: this.#entries.length, filesRead: this.reads - readsBefore });
  }
}
