/**
 * The least a C-STORE SCP in Node can do per instance (issue 13's floor): a TLS server that accepts every proposed
 * presentation context, walks P-DATA-TF PDUs and their PDVs as views of the socket's reads (no framer copy, no state
 * machine, no access control, no header parse, no index, no logging), writes each data set behind its File Meta with
 * synchronous writev of 256 KiB gathers into a temporary file, then (durable) fsyncs it on the pool, renames it and
 * fsyncs its folder, and answers C-STORE-RSP Success. What it costs per instance is what Node's TLS socket, its event
 * loop and the file system cost before any of dicomtls' own code: dicomtls-server's CPU above it is ours.
 * Not a DICOM node: a measuring tool only (no checks of what the peer sends beyond what it needs to walk the bytes).
 */
import * as fs from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { encodeFileMeta } from "@dicomtls/dataset";
import { decodeAAssociateRq, decodeCommand, encodeAAssociateAc, encodeAReleaseRp, encodeCommandPdus, PduType } from "@dicomtls/pdu-codec";

export interface FloorServerOptions {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly ca: Buffer;
  /** Folder the instances are written to. */
  readonly folder: string;
  /** fsync each file and the folder before Success (as dicomtls with SyncStorageArea true). */
  readonly durable: boolean;
  readonly maxPdu: number;
  /** Sub-folders the files are spread over (1: all in `folder`). */
  readonly folders: number;
}

const GATHER = 256 * 1024;
const IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.10.1172.13";

interface FileInProgress {
  readonly fd: number;
  readonly temp: string;
  readonly final: string;
  readonly folderFd: number;
  views: Buffer[];
  gathered: number;
  readonly command: ReturnType<typeof decodeCommand>;
}

/** One association's byte walker: PDU header -> PDV items -> command bytes or data set views. */
class FloorConnection {
  #header = Buffer.alloc(6);
  #headerFill = 0;
  /** Body bytes left in the current PDU; for non-P-DATA PDUs the body is gathered in #other. */
  #pduLeft = 0;
  #pduType = 0;
  #other: Buffer[] = [];
  #pdvHeader = Buffer.alloc(6);
  #pdvHeaderFill = 0;
  #pdvLeft = 0;
  #pdvFlags = 0;
  #pdvContext = 0;
  #command: Buffer[] = [];
  #contexts = new Map<number, string>();
  #maxPeerPdu = 16384;
  #file: FileInProgress | undefined;
  #counter = 0;

  constructor(
    private readonly socket: TLSSocket,
    private readonly opts: FloorServerOptions,
    private readonly folderFd: number,
    private readonly folderFds: Readonly<Record<string, number>>,
  ) {
    socket.on("data", (chunk: Buffer) => this.#take(chunk));
    socket.on("error", () => socket.destroy());
  }

  #take(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.#pduLeft === 0) {
        const n = Math.min(6 - this.#headerFill, chunk.length - off);
        chunk.copy(this.#header, this.#headerFill, off, off + n);
        this.#headerFill += n;
        off += n;
        if (this.#headerFill < 6) return;
        this.#headerFill = 0;
        this.#pduType = this.#header[0]!;
        this.#pduLeft = this.#header.readUInt32BE(2);
        this.#other = [Buffer.from(this.#header)];
        if (this.#pduLeft === 0) this.#otherPdu();
        continue;
      }
      const n = Math.min(this.#pduLeft, chunk.length - off);
      if (this.#pduType === PduType.PDataTf) this.#pdvBytes(chunk, off, off + n);
      else this.#other.push(chunk.subarray(off, off + n));
      off += n;
      this.#pduLeft -= n;
      if (this.#pduLeft === 0 && this.#pduType !== PduType.PDataTf) this.#otherPdu();
    }
  }

  #pdvBytes(chunk: Buffer, start: number, end: number): void {
    let off = start;
    while (off < end) {
      if (this.#pdvLeft === 0) {
        const n = Math.min(6 - this.#pdvHeaderFill, end - off);
        chunk.copy(this.#pdvHeader, this.#pdvHeaderFill, off, off + n);
        this.#pdvHeaderFill += n;
        off += n;
        if (this.#pdvHeaderFill < 6) return;
        this.#pdvHeaderFill = 0;
        this.#pdvLeft = this.#pdvHeader.readUInt32BE(0) - 2;
        this.#pdvContext = this.#pdvHeader[4]!;
        this.#pdvFlags = this.#pdvHeader[5]!;
        if (this.#pdvLeft === 0) this.#pdvEnd();
        continue;
      }
      const n = Math.min(this.#pdvLeft, end - off);
      const view = chunk.subarray(off, off + n);
      if ((this.#pdvFlags & 1) === 1) this.#command.push(view);
      else this.#dataBytes(view);
      off += n;
      this.#pdvLeft -= n;
      if (this.#pdvLeft === 0) this.#pdvEnd();
    }
  }

  #pdvEnd(): void {
    if ((this.#pdvFlags & 2) === 0) return;
    if ((this.#pdvFlags & 1) === 1) {
      const command = decodeCommand(Buffer.concat(this.#command));
      this.#command = [];
      if (command.commandField === 0x0030) return void this.#send(encodeCommandPdus(this.#pdvContext, { commandField: 0x8030, messageIdBeingRespondedTo: command.messageId ?? 0, commandDataSetType: 0x0101, status: 0, affectedSopClassUid: command.affectedSopClassUid ?? "1.2.840.10008.1.1" }, this.#maxPeerPdu));
      this.#open(command);
    } else {
      this.#finish();
    }
  }

  #open(command: ReturnType<typeof decodeCommand>): void {
    const uid = command.affectedSopInstanceUid ?? `unknown.${this.#counter}`;
    // FLOOR_FOLDERS=256: spread over 256 sub-folders as dicomtls' layout does (the cost of the layout on its own).
    const sub = this.opts.folders > 1 ? (this.#counter % this.opts.folders).toString(16).padStart(2, "0") : "";
    const temp = join(this.opts.folder, sub, `${uid}.${process.pid}.${this.#counter++}.partial`);
    const fd = fs.openSync(temp, "wx");
    const meta = encodeFileMeta({ mediaStorageSopClassUid: command.affectedSopClassUid ?? "1.2.3", mediaStorageSopInstanceUid: uid, transferSyntaxUid: this.#contexts.get(this.#pdvContext) ?? "1.2.840.10008.1.2", implementationClassUid: IMPLEMENTATION_CLASS_UID });
    this.#file = { fd, temp, final: join(this.opts.folder, sub, `${uid}.dcm`), folderFd: this.folderFds[sub] ?? this.folderFd, views: [meta], gathered: meta.length, command };
  }

  #dataBytes(view: Buffer): void {
    const f = this.#file;
    if (f === undefined) return;
    f.views.push(view);
    f.gathered += view.length;
    if (f.gathered >= GATHER) this.#flush(f);
  }

  #flush(f: FileInProgress): void {
    if (f.views.length > 0) fs.writevSync(f.fd, f.views);
    f.views = [];
    f.gathered = 0;
  }

  #finish(): void {
    const f = this.#file;
    if (f === undefined) return;
    this.#file = undefined;
    this.#flush(f);
    const answer = (): void => {
      fs.closeSync(f.fd);
      fs.renameSync(f.temp, f.final);
      const respond = (): void => this.#send(encodeCommandPdus(this.#pdvContext, { commandField: 0x8001, messageIdBeingRespondedTo: f.command.messageId ?? 0, affectedSopClassUid: f.command.affectedSopClassUid ?? "1.2.3", affectedSopInstanceUid: f.command.affectedSopInstanceUid ?? "1.2.3", commandDataSetType: 0x0101, status: 0 }, this.#maxPeerPdu));
      if (this.opts.durable) fs.fsync(f.folderFd, respond);
      else respond();
    };
    if (this.opts.durable) fs.fsync(f.fd, answer);
    else answer();
  }

  #send(pdus: readonly Buffer[]): void {
    for (const p of pdus) this.socket.write(p);
  }

  #otherPdu(): void {
    const pdu = Buffer.concat(this.#other);
    this.#other = [];
    if (pdu[0] === PduType.AAssociateRq) {
      const rq = decodeAAssociateRq(pdu);
      this.#maxPeerPdu = rq.userInformation.maxLength === 0 ? 1 << 24 : rq.userInformation.maxLength;
      for (const pc of rq.presentationContexts) this.#contexts.set(pc.id, pc.transferSyntaxes[0]!);
      this.socket.write(
        encodeAAssociateAc({
          type: PduType.AAssociateAc,
          protocolVersion: 1,
          calledAeTitle: rq.calledAeTitle,
          callingAeTitle: rq.callingAeTitle,
          applicationContextName: rq.applicationContextName,
          presentationContexts: rq.presentationContexts.map((pc) => ({ id: pc.id, result: 0, transferSyntax: pc.transferSyntaxes[0]! })),
          userInformation: { maxLength: this.opts.maxPdu, implementationClassUid: IMPLEMENTATION_CLASS_UID },
        }),
      );
    } else if (pdu[0] === PduType.AReleaseRq) {
      this.socket.end(encodeAReleaseRp());
    } else {
      this.socket.destroy();
    }
  }
}

/** Starts the floor server on `port` (127.0.0.1). */
export async function startFloorStoreServer(opts: FloorServerOptions, port: number): Promise<Server> {
  fs.mkdirSync(opts.folder, { recursive: true });
  const folderFd = fs.openSync(opts.folder, "r");
  const folderFds: Record<string, number> = {};
  for (let i = 0; opts.folders > 1 && i < opts.folders; i++) {
    const sub = i.toString(16).padStart(2, "0");
    fs.mkdirSync(join(opts.folder, sub), { recursive: true });
    folderFds[sub] = fs.openSync(join(opts.folder, sub), "r");
  }
  const server = createServer({ key: opts.key, cert: opts.cert, ca: opts.ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.setNoDelay(true);
    new FloorConnection(socket, opts, folderFd, folderFds);
  });
  server.on("close", () => fs.closeSync(folderFd));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

// Run as a process of its own: node --conditions=dicomtls-source --import tsx floor-store-server.ts PORT FOLDER DURABLE MAXPDU KEY CERT CA
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [port, folder, durable, maxPdu, key, cert, ca, folders] = process.argv.slice(2);
  await startFloorStoreServer({ folder: folder!, folders: Number(folders ?? "1"), durable: durable === "true", maxPdu: Number(maxPdu), key: fs.readFileSync(key!), cert: fs.readFileSync(cert!), ca: fs.readFileSync(ca!) }, Number(port));
  process.stdout.write(`floor listening ${port}\n`);
  process.on("SIGTERM", () => process.exit(0));
}
