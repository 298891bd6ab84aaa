import type { Socket } from "node:net";
import { AssociateRjResult, AssociateRjSource, PduType, type AAssociateRq } from "@dicomtls/pdu-codec";
import { Association, type MessageHandler } from "./association.js";
import { DEFAULT_ARTIM_MS, DEFAULT_MAX_PDU_LENGTH } from "./constants.js";
import { describeRejection } from "./describe.js";
import { diagnostics } from "./diagnostics.js";
import type { Indication } from "./fsm/effects.js";
import { negotiateAsAcceptor, type AcceptorPolicy } from "./negotiation/acceptor.js";
import { SocketTransport, type VerifyTransport } from "./transport/socket-transport.js";
import type { PeerInfo } from "./transport/transport.js";
import { UpperLayer } from "./upper-layer.js";

/** The caller's answer to an A-ASSOCIATE-RQ. */
export type AssociationDecision =
  | { readonly accept: true; readonly userIdentityServerResponse?: Uint8Array }
  /** PS3.8 Table 9-21 values; `why` is for our logs and audit trail, the peer only sees the numbers. */
  | { readonly accept: false; readonly result: number; readonly source: number; readonly reason: number; readonly why?: string };

export const accept: AssociationDecision = Object.freeze({ accept: true });

/** A rejection; the defaults say "permanent, by the service user, no reason given". */
export function reject(
  reason: number = 1,
  source: number = AssociateRjSource.ServiceUser,
  result: number = AssociateRjResult.RejectedPermanent,
  why?: string,
): AssociationDecision {
  return { accept: false, result, source, reason, ...(why !== undefined && { why }) };
}

export interface AcceptTimeouts {
  /** PS3.8 §9.1.4 ARTIM: wait for A-ASSOCIATE-RQ after connect (also bounds verifyTransport) and for the close after release/abort. */
  readonly artimMs?: number;
  /** Bound on the wait for the peer's A-RELEASE-RP when we release. */
  readonly releaseMs?: number;
  /** Bound on the wait for each response to our own requests (C-GET sub-operations ...). */
  readonly dimseMs?: number;
  /**
   * Bound on the time without progress (bytes in or out) while the peer owes us something, in every phase once
   * established: between commands, inside a data set, after a release request. 0 or absent: none.
   */
  readonly progressMs?: number;
}

export interface AcceptOptions {
  /** Our AE title (informative: the A-ASSOCIATE-AC echoes the called AE title of the request). */
  readonly aeTitle: string;
  /** Our receive limit (PS3.8 D.1); default 128 KiB. */
  readonly maxPduLength?: number;
  /** What to accept; a function sees the request first (e.g. C-GET: storage roles only when a GET class is proposed). */
  readonly policy: AcceptorPolicy | ((rq: AAssociateRq) => AcceptorPolicy);
  /** Decides on each A-ASSOCIATE-RQ (access control); default accept. Runs after negotiation was computed. */
  readonly onAssociationRequest?: (rq: AAssociateRq, peer: PeerInfo) => AssociationDecision | Promise<AssociationDecision>;
  /** Runs after the TLS handshake and before any PDU is read; rejecting closes the connection. */
  readonly verifyTransport?: VerifyTransport;
  /** Handles the peer's requests; resolves to the response(s). */
  readonly onMessage?: MessageHandler;
  readonly timeouts?: AcceptTimeouts;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  /** Unread data set bytes per message before the socket is paused. Default 4 x maxPduLength. */
  readonly datasetHighWaterMark?: number;
  /** Aborting it gives up on the connection (destroyed) while no association exists yet. */
  readonly signal?: AbortSignal;
}

/**
 * PS3.8 association acceptor on one accepted connection (plain `net.Socket`, or a `tls.TLSSocket` from the server's
 * 'secureConnection'). Resolves with the established Association, or `undefined` when none came about (rejected,
 * refused by verifyTransport, ARTIM expired, the peer went away); `dicom:association:*` channels say why.
 */
export async function acceptAssociation(socket: Socket, options: AcceptOptions): Promise<Association | undefined> {
  const maxPduLength = options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
  const artimMs = options.timeouts?.artimMs ?? DEFAULT_ARTIM_MS;
  let settle!: (a: Association | undefined) => void;
  const result = new Promise<Association | undefined>((resolve) => {
    settle = resolve;
  });
  let association: Association | undefined;

  const ul: UpperLayer = new UpperLayer(
    { isRequestor: false, artimMs },
    {
      indication: (ind) => onIndication(ind),
      pduError: (error) => diagnostics.pduError.publish({ peer: transport.peer, error }),
      ended: () => settle(undefined),
      providerRejected: (rq, { result, source, reason }, why) =>
        diagnostics.rejected.publish({ role: "acceptor", by: "provider", peer: transport.peer, rq, result, source, reason, text: why }),
      internalError: (error) => diagnostics.internalError.publish({ peer: transport.peer, error }),
    },
  );
  const transport = new SocketTransport(socket, ul, { maxPDataLength: maxPduLength });
  ul.attach(transport);

  const onIndication = (ind: Indication): void => {
    if (ind.primitive === "A-ASSOCIATE-indication") {
      decide(ind.pdu).catch((err: unknown) => {
        // The boundary of this connection: whatever negotiation or the AC's encoder throws aborts it, and only it.
        ul.failInternally(err);
        settle(undefined);
      });
    } else if (ind.primitive === "A-P-ABORT-indication" || ind.primitive === "A-ABORT-indication") {
      diagnostics.aborted.publish({ peer: transport.peer, error: new Error(`connection from ${transport.peer.address} aborted before an association existed`) });
    }
  };

  const decide = async (rq: AAssociateRq): Promise<void> => {
    let decision: AssociationDecision;
    try {
      decision = options.onAssociationRequest === undefined ? accept : await options.onAssociationRequest(rq, transport.peer);
    } catch (err) {
      // A failing access-control hook must not let the peer in.
      decision = reject(1, AssociateRjSource.ServiceUser, AssociateRjResult.RejectedTransient, `onAssociationRequest failed: ${String(err)}`);
    }
    if (ul.state !== "Sta3") return;
    if (!decision.accept) {
      const rj = { type: PduType.AAssociateRj, result: decision.result, source: decision.source, reason: decision.reason } as const;
      diagnostics.rejected.publish({
        role: "acceptor",
        peer: transport.peer,
        rq,
        result: rj.result,
        source: rj.source,
        reason: rj.reason,
        text: decision.why ?? describeRejection(rj),
      });
      await ul.dispatch({ name: "Evt8", pdu: rj });
      return;
    }
    const negotiation = negotiateAsAcceptor(rq, typeof options.policy === "function" ? options.policy(rq) : options.policy, {
      maxPduLength,
      ...(options.implementationClassUid !== undefined && { implementationClassUid: options.implementationClassUid }),
      ...(options.implementationVersionName !== undefined && { implementationVersionName: options.implementationVersionName }),
      ...(decision.userIdentityServerResponse !== undefined && { userIdentityServerResponse: decision.userIdentityServerResponse }),
    });
    association = new Association({
      upperLayer: ul,
      associateRq: rq,
      associateAc: negotiation.ac,
      accepted: negotiation.accepted,
      outcomes: negotiation.outcomes,
      maxPduLength,
      peerMaxPduLength: negotiation.peerMaxPduLength,
      peer: transport.peer,
      onMessage: options.onMessage,
      datasetHighWaterMark: options.datasetHighWaterMark,
      releaseTimeoutMs: options.timeouts?.releaseMs,
      dimseTimeoutMs: options.timeouts?.dimseMs,
      ...(options.timeouts?.progressMs !== undefined && { progressTimeoutMs: options.timeouts.progressMs }),
    });
    await ul.dispatch({ name: "Evt7", pdu: negotiation.ac });
    diagnostics.opened.publish({ association });
    settle(association);
  };

  const onAbort = (): void => {
    if (association === undefined) transport.destroy();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  void result.finally(() => options.signal?.removeEventListener("abort", onAbort));
  if (options.signal?.aborted === true) onAbort();

  // PS3.8 AE-5: connection accepted, ARTIM running (it also bounds the verify hook below).
  await ul.dispatch({ name: "Evt5" });
  if (options.verifyTransport !== undefined) {
    try {
      await transport.verify(options.verifyTransport);
    } catch (error) {
      diagnostics.transportRefused.publish({ peer: transport.peer, error });
      return await result;
    }
  }
  transport.startReading();
  return await result;
}
