import type { Socket } from "node:net";

/** RFC 8446 §5.1: ContentType handshake; a record header is 5 bytes, its fragment at most 2^14 bytes. */
const TLS_HANDSHAKE_RECORD = 0x16;
const RECORD_HEADER = 5;
export const MAX_PEEKED_BYTES = RECORD_HEADER + 16_384;

/** Enough bytes to decide: one for non-TLS, the whole first record (capped) for a TLS handshake when asked. */
function complete(head: Buffer, wholeRecord: boolean): boolean {
  if (head.length === 0) return false;
  if (!wholeRecord || head[0] !== TLS_HANDSHAKE_RECORD) return true;
  if (head.length < RECORD_HEADER) return false;
  return head.length >= Math.min(RECORD_HEADER + head.readUInt16BE(3), MAX_PEEKED_BYTES);
}

/**
 * Look at the first bytes of a connection without consuming them: the first byte, or with `wholeRecord` the whole
 * first TLS record (a ClientHello, so a refused handshake can say what the client offered). The bytes are put back
 * with `unshift` before `onHead` runs, so whoever reads next (TLS or the DICOM framer) sees the stream untouched.
 * Bounded in size (MAX_PEEKED_BYTES) here and in time by the caller's handshake timer; a socket that closes first
 * never calls back.
 */
export function peekFirstRecord(socket: Socket, wholeRecord: boolean, onHead: (head: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      chunks.push(chunk);
      length += chunk.length;
    }
    const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    if (!complete(head, wholeRecord)) return;
    socket.off("readable", onReadable);
    socket.unshift(head);
    onHead(head);
  };
  socket.on("readable", onReadable);
}
