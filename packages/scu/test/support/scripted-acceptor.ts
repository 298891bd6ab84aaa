import { acceptAssociation, listenDicom, type Association, type DicomListener, type DimseMessage, type OutgoingMessage } from "@dicomtls/association";
import { encodeIdentifier } from "@dicomtls/dataset";

/** Explicit VR Little Endian: the one transfer syntax the scripted acceptor takes. */
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
/** How the scripted acceptor answers a request. */
export type Script = (m: DimseMessage) => Iterable<OutgoingMessage> | AsyncIterable<OutgoingMessage>;

const listeners: DicomListener[] = [];

/** Closes every listener acceptor() opened (a test file's `after`). */
export async function closeAcceptors(): Promise<void> {
  for (const l of listeners.splice(0)) await l.close();
}

/** An acceptor (plain TCP, loopback, AE SCRIPTED) taking the given SOP classes, answering each request with `script`. */
export async function acceptor(sopClasses: readonly string[], script: Script): Promise<{ port: number; accepted: Array<Promise<Association | undefined>> }> {
  const accepted: Array<Promise<Association | undefined>> = [];
  const listener = await listenDicom({
    host: "127.0.0.1",
    port: 0,
    onConnection: (socket) => {
      accepted.push(
        acceptAssociation(socket, {
          aeTitle: "SCRIPTED",
          policy: { abstractSyntaxes: sopClasses.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes: [EXPLICIT_LE] })) },
          onMessage: (m) => script(m),
        }),
      );
    },
  });
  listeners.push(listener);
  return { port: listener.port, accepted };
}

/** The requester's side of an association with the scripted acceptor on `port`. */
export const peer = (port: number) => ({ host: "127.0.0.1", port, callingAeTitle: "DICOMTLS", calledAeTitle: "SCRIPTED" });

/** A query identifier in the acceptor's transfer syntax. */
export const id = (keys: Record<string, string>, level = "STUDY"): Uint8Array => encodeIdentifier(keys, { transferSyntaxUid: EXPLICIT_LE, level });
