import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { SecureContextOptions } from "node:tls";
import { certificateFacts } from "./certificate-info.js";
import { DicomTlsConfigError } from "./errors.js";
import { loadTlsContext, ownExpiryWarning, secureContextOptionsOf, type TlsContext } from "./load.js";
import { staleLists } from "./revocation.js";
import { SettingKeys, TlsWarningCodes, type DicomTlsSettings, type TlsWarning } from "./settings.js";

export type ReloadResult = { readonly ok: true; readonly context: TlsContext } | { readonly ok: false; readonly error: DicomTlsConfigError };

/** Why a reload ran. */
export type ReloadTrigger = "manual" | "file-change";

export interface TlsContextManagerOptions {
  /** Watch the certificate, key, trusted and modality files and reload when they change (default false). */
  watch?: boolean;
  /** Quiet time after the last file event before reloading, so a half-written file is not read (default 250 ms). */
  debounceMs?: number;
  /** A new context is active: the server calls `server.setSecureContext(manager.secureContextOptions())`. */
  onReload?: (context: TlsContext, trigger: ReloadTrigger) => void;
  /** A reload failed; the previous context stays active. */
  onReloadError?: (error: DicomTlsConfigError, trigger: ReloadTrigger) => void;
}

/**
 * Owns the node's current TLS context: loads it, reloads it on demand or when its files change, and keeps the
 * last good context when the new files are invalid.
 */
export class TlsContextManager {
  #current: TlsContext;
  #settings: DicomTlsSettings;
  readonly #opts: TlsContextManagerOptions;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<ReloadResult> | undefined;
  #closed = false;

  private constructor(context: TlsContext, opts: TlsContextManagerOptions) {
    this.#current = context;
    this.#settings = context.settings;
    this.#opts = opts;
  }

  /** Load the settings (throws DicomTlsConfigError at start-up) and start watching when asked. */
  static async create(settings: DicomTlsSettings, opts: TlsContextManagerOptions = {}): Promise<TlsContextManager> {
    const m = new TlsContextManager(await loadTlsContext(settings), opts);
    if (opts.watch === true) m.#watchFiles();
    return m;
  }

  /** The active context. */
  get current(): TlsContext {
    return this.#current;
  }

  /** Options for `server.setSecureContext()` built from the active context. */
  secureContextOptions(): SecureContextOptions {
    return secureContextOptionsOf(this.#current);
  }

  /**
   * Load the files again (optionally with new settings). On success the new context becomes active; on failure
   * the old one stays and the error is returned (and passed to onReloadError).
   */
  async reload(settings?: DicomTlsSettings, trigger: ReloadTrigger = "manual"): Promise<ReloadResult> {
    // One reload at a time: a burst of file events must not race two loads against each other.
    while (this.#reloading) await this.#reloading.catch(() => undefined);
    const next = settings ?? this.#settings;
    const run = (async (): Promise<ReloadResult> => {
      try {
        const context = await loadTlsContext(next);
        this.#current = context;
        this.#settings = next;
        this.#opts.onReload?.(context, trigger);
        if (this.#watchers.length > 0) this.#watchFiles();
        return { ok: true, context };
      } catch (err) {
        const error = err instanceof DicomTlsConfigError ? err : new DicomTlsConfigError("DicomTls", (err as Error).message, undefined, { cause: err });
        this.#opts.onReloadError?.(error, trigger);
        return { ok: false, error };
      }
    })();
    this.#reloading = run;
    try {
      return await run;
    } finally {
      this.#reloading = undefined;
    }
  }

  /** The own-certificate expiry warning at `now` (within 30 days), or undefined. The server calls this daily. */
  checkExpiry(now: Date = new Date()): TlsWarning | undefined {
    return ownExpiryWarning(certificateFacts(this.#current.certificates[0]!), this.#current.settings.certificateFile, now);
  }

  /**
   * Revocation lists of the active context past their nextUpdate at `now` (the server calls this daily): a list
   * nobody refreshes turns from a warning into refusals (CRL_HAS_EXPIRED) once DicomTlsRevocationListGraceDays pass.
   */
  checkRevocationLists(now: Date = new Date()): TlsWarning[] {
    const policy = this.#current.revocation;
    if (policy === undefined) return [];
    return staleLists(policy, now).map((l) => ({
      code: TlsWarningCodes.RevocationListStale,
      key: SettingKeys.revocationLists,
      message: `the revocation list of ${l.issuer} (${l.file}) was due for renewal on ${l.nextUpdate?.toISOString() ?? "?"}; peers are refused (CRL_HAS_EXPIRED) ${policy.graceDays} days after that: fetch a current list`,
    }));
  }

  /** Stop watching files. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }

  #watchFiles(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    if (this.#closed) return;
    // Watch folders, not files: editors and certbot replace files by rename, which ends a per-file watch.
    const byDir = new Map<string, Set<string>>();
    for (const f of this.#current.files) {
      const abs = resolve(f);
      const set = byDir.get(dirname(abs)) ?? new Set<string>();
      set.add(basename(abs));
      byDir.set(dirname(abs), set);
    }
    // A folder of revocation lists: a list added, replaced or removed there matters whatever its name.
    const anyName = new Set(this.#current.folders.map((f) => resolve(f)));
    for (const dir of anyName) if (!byDir.has(dir)) byDir.set(dir, new Set());
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || anyName.has(dir) || names.has(filename.toString())) this.#schedule();
        });
        w.on("error", () => undefined);
        this.#watchers.push(w);
      } catch {
        // A folder that vanished is reported by the next reload, which reads the files.
      }
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.reload(undefined, "file-change");
    }, this.#opts.debounceMs ?? 250);
    this.#timer.unref();
  }
}
