import fs from "node:fs";

/**
 * An open file descriptor with what the writer needs of it. Writes, close, rename and stat are synchronous calls on
 * the calling thread (microseconds against the page cache); only fsync and fdatasync, which wait for the disk, go to
 * the thread pool, through the callback API (no FileHandle: opening and closing one cost a pool round trip each,
 * ~0.3 ms of event-loop CPU per instance in the receive profile of issue 13). `fs.fsync` and `fs.fdatasync` are
 * looked up on the module object at each call, so a test can count them.
 */
export class FdFile {
  #closed = false;

  constructor(readonly fd: number) {}

  /** Opens `path` synchronously (`flags` as fs.openSync). */
  static open(path: string, flags: string): FdFile {
    return new FdFile(fs.openSync(path, flags));
  }

  /** fsync(2) on the thread pool: data and metadata durable. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.fd, (err) => (err === null ? resolve() : reject(err))));
  }

  /** fdatasync(2) on the thread pool: the data (and the size) durable. */
  datasync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err === null ? resolve() : reject(err))));
  }

  /** Closes the descriptor once (a second call does nothing: the number may belong to another file by then). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.fd);
  }

  closeQuietly(): void {
    try {
      this.close();
    } catch {
      // Closed already, or failing after everything that mattered (fsync) succeeded.
    }
  }
}
