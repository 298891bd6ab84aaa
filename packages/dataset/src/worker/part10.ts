import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { decodeFileMeta, FIRST_FILE_META_READ } from "../part10/file-meta.js";
import { FileError, FileErrorCode } from "./errors.js";
import type { FileInfo } from "./protocol.js";


/** An open file read with positional sync reads: the worker's thread is ours to block, and sync reads cost least. */
export class FileReader {
  readonly fd: number;
  readonly size: number;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, "r");
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      throw new FileError(FileErrorCode.Read, path, `cannot open the file (${(err as Error).message})`, { cause: err });
    }
  }

  /** Fills `target[offset, offset + length)` from file position `position`; the bytes must all be there. */
  readInto(target: Uint8Array, offset: number, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, target, offset + done, length - done, position + done);
      } catch (err) {
        throw new FileError(FileErrorCode.Read, this.path, `read failed at offset ${position + done} (${(err as Error).message})`, { cause: err });
      }
      if (n === 0) {
        throw new FileError(FileErrorCode.Read, this.path, `the file ended at offset ${position + done}, expected ${position + length} bytes: it changed while being read`);
      }
      done += n;
    }
  }

  read(position: number, length: number): Uint8Array {
    const b = new Uint8Array(length);
    this.readInto(b, 0, length, position);
    return b;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function withFile<T>(path: string, use: (file: FileReader) => T): T {
  const file = new FileReader(path);
  try {
    return use(file);
  } finally {
    file.close();
  }
}

/** Reads preamble and File Meta (PS3.10 §7.1), reading further while the File Meta runs past what was read. */
export function readFileInfo(file: FileReader): FileInfo {
  let want = Math.min(file.size, FIRST_FILE_META_READ);
  for (;;) {
    const r = decodeFileMeta(file.read(0, want), file.path, want >= file.size);
    if (r.kind === "meta") {
      const { meta } = r;
      return {
        sopClassUid: meta.mediaStorageSopClassUid,
        sopInstanceUid: meta.mediaStorageSopInstanceUid,
        transferSyntaxUid: meta.transferSyntaxUid,
        datasetOffset: meta.datasetOffset,
        datasetLength: file.size - meta.datasetOffset,
        fileSize: file.size,
      };
    }
    want = Math.min(file.size, r.bytes);
  }
}
