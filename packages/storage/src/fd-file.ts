import fs from "node:fs";

/**
 * An open file descriptor with what the writer needs of it. Small writes, close, rename and stat are synchronous calls
 * on the calling thread (microseconds against the page cache); fsync and fdatasync, which wait for the disk, and the
 * writes of large instances (see instance-writer.ts) go to the thread pool, through the callback API (no FileHandle: opening and closing one cost a pool round trip each,
 * ~0.3 ms of event-loop CPU per instance in the receive profile of issue 13). `fs.*` functions are
 * looked up on the module object at each call, so a test can count them.
 */
export class FdFile {
  #closed = false;
  /** Writes, fsyncs and fdatasyncs on the pool now: the descriptor must not be closed (and its number reused) under them. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(readonly fd: number) {}

  /** Opens `path` synchronously (`flags` as fs.openSync). */
  static open(path: string, flags: string): FdFile {
    return new FdFile(fs.openSync(path, flags));
  }

  /** fsync(2) on the thread pool: data and metadata durable. */
  sync(): Promise<void> {
    if (this.#closed) return this.#closedError("fsync");
    return this.#track(new Promise((resolve, reject) => fs.fsync(this.fd, (err) => (err === null ? resolve() : reject(err)))));
  }

  /** fdatasync(2) on the thread pool: the data (and the size) durable. */
  datasync(): Promise<void> {
    if (this.#closed) return this.#closedError("fdatasync");
    return this.#track(new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err === null ? resolve() : reject(err)))));
  }

  /** Positioned writev(2) of all of `parts` on the thread pool (continuing after short writes). */
  writev(parts: readonly Uint8Array[], position: number): Promise<void> {
    if (this.#closed) return this.#closedError("write");
    const all = (todo: readonly Uint8Array[], pos: number, resolve: () => void, reject: (err: Error) => void): void => {
      fs.writev(this.fd, todo as Uint8Array[], pos, (err, written) => {
        if (err !== null) return reject(err);
        let skip = written;
        let i = 0;
        while (i < todo.length && skip >= todo[i]!.byteLength) skip -= todo[i++]!.byteLength;
        if (i === todo.length) return resolve();
        all([todo[i]!.subarray(skip), ...todo.slice(i + 1)], pos + written, resolve, reject);
      });
    };
    return this.#track(new Promise((resolve, reject) => all(parts, position, resolve, reject)));
  }

  /** Resolves once no write, fsync or fdatasync of this descriptor is running (whatever their outcome). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** A closed descriptor's number may already be another file's: nothing is run on it. */
  #closedError(what: string): Promise<void> {
    return Promise.reject(Object.assign(new Error(`EBADF: the file was closed before its ${what}`), { code: "EBADF", syscall: what }));
  }

  #track(op: Promise<void>): Promise<void> {
    this.#inFlight.add(op);
    const done = (): void => void this.#inFlight.delete(op);
    op.then(done, done);
    return op;
  }

  /**
   * Closes the descriptor once (a second call does nothing: the number may belong to another file by then). Only
   * while idle: see idle().
   */
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
