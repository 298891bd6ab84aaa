/**
 * A DICOM peer on a raw TCP socket that sends exactly the bytes a test chooses: a whole A-ASSOCIATE-RQ, then
 * half a PDU, a command that announces a data set it never sends, a release request after a stall. Every PDU the
 * server sends back is decoded and kept in order.
 */
import { connect, type Socket } from "node:net";
import { buildAssociateRq } from "@dicomtls/association";
import { PduFramer, PduType, decodePdu, encodeCommand, encodePDataTf, encodePdu, type DimseCommand, type Pdu } from "@dicomtls/pdu-codec";

export class RawPeer {
  readonly socket: Socket;
  /** Every PDU received, in order. */
  readonly received: Pdu[] = [];
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
  readonly #framer = new PduFramer({ maxPDataLength: 0 });
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      for (const bytes of this.#framer.push(chunk)) this.received.push(decodePdu(bytes));
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    void this.closed.then(() => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** A TCP connection to 127.0.0.1:port, from `localAddress` when given (127.0.0.2 is another host on loopback). */
  static async connect(port: number, localAddress?: string): Promise<RawPeer> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port, ...(localAddress !== undefined && { localAddress }) }, () => resolve(s));
      s.once("error", reject);
    });
    return new RawPeer(socket);
  }

  /** The next PDU of `type` the server sends (or undefined once the connection closed without one). */
  async next(type?: number): Promise<Pdu | undefined> {
    for (let seen = 0; ; ) {
      for (; seen < this.received.length; seen++) {
        const pdu = this.received[seen]!;
        if (type === undefined || pdu.type === type) return pdu;
      }
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Sends an A-ASSOCIATE-RQ for the given SOP classes (implicit VR little endian) and returns the answer PDU. */
  async associate(callingAeTitle: string, calledAeTitle: string, abstractSyntaxes: readonly string[]): Promise<Pdu | undefined> {
    const rq = buildAssociateRq(
      abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: ["1.2.840.10008.1.2"] })),
      { callingAeTitle, calledAeTitle, maxPduLength: 16384 },
    );
    this.socket.write(encodePdu(rq));
    const answer = await Promise.race([this.next(PduType.AAssociateAc), this.next(PduType.AAssociateRj)]);
    return answer;
  }

  /** One whole command set as a single P-DATA-TF on presentation context `contextId`. */
  sendCommand(contextId: number, command: DimseCommand): void {
    this.socket.write(encodePDataTf({ type: PduType.PDataTf, pdvs: [{ presentationContextId: contextId, isCommand: true, isLast: true, data: encodeCommand(command) }] }));
  }

  /** A data set fragment (not the last one) on `contextId`. */
  sendDatasetFragment(contextId: number, data: Uint8Array): void {
    this.socket.write(encodePDataTf({ type: PduType.PDataTf, pdvs: [{ presentationContextId: contextId, isCommand: false, isLast: false, data }] }));
  }

  sendReleaseRq(): void {
    this.socket.write(encodePdu({ type: PduType.AReleaseRq }));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
