/** The audit file: one XML message per line, appended; a failing disk is logged once, never thrown at DICOM traffic. */
import { createWriteStream, openSync, type WriteStream } from "node:fs";
import type { Logger } from "../log.js";

export class AuditStartError extends Error {
  readonly code = "ERR_DICOM_AUDIT_START";
}

export interface FileSinkStats {
  readonly written: number;
  readonly failed: number;
}

export class AuditFileSink {
  readonly path: string;
  readonly #stream: WriteStream;
  readonly #logger: Logger;
  #written = 0;
  #failed = 0;
  #errorLogged = false;

  /** Opens (creates) the file now, so a path that cannot be written stops the start with the key and file named. */
  constructor(path: string, logger: Logger) {
    this.path = path;
    this.#logger = logger;
    let fd: number;
    try {
      fd = openSync(path, "a", 0o640);
    } catch (err) {
      throw new AuditStartError(`AuditTrail.File: cannot open ${path} for appending: ${(err as Error).message}`, { cause: err });
    }
    this.#stream = createWriteStream("", { fd, autoClose: true });
    this.#stream.on("error", (err) => this.#fail(err));
  }

  /** Appends one message as one line (the XML holds no raw newline: escapeXml writes them as references). */
  write(xml: string): void {
    this.#stream.write(`${xml}\n`, (err) => {
      if (err) this.#fail(err);
      else this.#written++;
    });
  }

  stats(): FileSinkStats {
    return { written: this.#written, failed: this.#failed };
  }

  /** Flushes and closes, waiting at most until `deadline` (ms since the epoch). */
  async close(deadline: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#stream.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #fail(err: Error): void {
    this.#failed++;
    if (this.#errorLogged) return;
    this.#errorLogged = true;
    this.#logger.error({ event: "audit-file-failed", file: this.path, code: (err as NodeJS.ErrnoException).code }, `AuditTrail.File: writing ${this.path} failed: ${err.message}`);
  }
}
