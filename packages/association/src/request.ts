import type { ConnectionOptions } from "node:tls";
import { AbortReason, AbortSource, type AAssociateRq, type UserIdentityRq } from "@dicomtls/pdu-codec";
import { Association, type MessageHandler } from "./association.js";
import { DEFAULT_ARTIM_MS, DEFAULT_MAX_PDU_LENGTH } from "./constants.js";
import { describeAbort, describeRejection } from "./describe.js";
import { diagnostics } from "./diagnostics.js";
import type {
  NegotiationError} from "./errors.js";
import {
  AssociationAbortedError,
  AssociationError,
  AssociationErrorCode,
  AssociationRejectedError,
  AssociationTimeoutError,
  TlsError,
} from "./errors.js";
import type { Indication } from "./fsm/effects.js";
import { buildAssociateRq, interpretAssociateAc, type ProposedPresentationContext } from "./negotiation/requestor.js";
import { connectSocket } from "./transport/connect.js";
import { SocketTransport, type VerifyTransport } from "./transport/socket-transport.js";
import { UpperLayer } from "./upper-layer.js";

export interface RequestTimeouts {
  /** TCP connect plus TLS handshake. Default 10 s. */
  readonly connectMs?: number;
  /** From A-ASSOCIATE-RQ sent to A-ASSOCIATE-AC/RJ received. Default 30 s. */
  readonly associateMs?: number;
  /** Wait for each DIMSE response; expiry aborts. Default none. */
  readonly dimseMs?: number;
  /** Wait for A-RELEASE-RP; expiry aborts. Default 10 s. */
  readonly releaseMs?: number;
  /** PS3.8 ARTIM (waiting for the close after an abort). Default 30 s. */
  readonly artimMs?: number;
}

export interface RequestAssociationOptions {
  readonly host: string;
  readonly port: number;
  /** DICOM TLS when set: passed to tls.connect (ca, cert, key, minVersion, ciphers ...). The server is verified unless you say otherwise there. */
  readonly tls?: ConnectionOptions;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  readonly presentationContexts: readonly ProposedPresentationContext[];
  /** Our receive limit (PS3.8 D.1); default 128 KiB. */
  readonly maxPduLength?: number;
  readonly timeouts?: RequestTimeouts;
  /** Runs after the TLS handshake, before the A-ASSOCIATE-RQ is sent; rejecting closes the connection. */
  readonly verifyTransport?: VerifyTransport;
  /** Handles requests the acceptor sends us (C-STORE sub-operations of C-GET ...). */
  readonly onMessage?: MessageHandler;
  readonly userIdentity?: UserIdentityRq;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
  readonly datasetHighWaterMark?: number;
}

/**
 * PS3.8 association requestor: connects (TCP or TLS), proposes, and resolves with the established Association.
 * Rejects with AssociationRejectedError (ERR_DICOM_ASSOCIATION_REJECTED), ConnectError (ERR_DICOM_CONNECT),
 * TlsError (ERR_DICOM_TLS), AssociationAbortedError (ERR_DICOM_ABORTED), AssociationTimeoutError or NegotiationError.
 */
export async function requestAssociation(options: RequestAssociationOptions): Promise<Association> {
  const maxPduLength = options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
  const t = options.timeouts ?? {};
  const where = `${options.calledAeTitle} at ${options.host}:${options.port}`;
  const rq: AAssociateRq = buildAssociateRq(options.presentationContexts, {
    callingAeTitle: options.callingAeTitle,
    calledAeTitle: options.calledAeTitle,
    maxPduLength,
    ...(options.userIdentity !== undefined && { userIdentity: options.userIdentity }),
    ...(options.implementationClassUid !== undefined && { implementationClassUid: options.implementationClassUid }),
    ...(options.implementationVersionName !== undefined && { implementationVersionName: options.implementationVersionName }),
  });

  let failure: AssociationError | undefined;
  let association: Association | undefined;
  let settled = false;
  let resolveP!: (a: Association) => void;
  let rejectP!: (e: AssociationError) => void;
  const result = new Promise<Association>((resolve, reject) => {
    resolveP = resolve;
    rejectP = reject;
  });
  const fail = (err: AssociationError): void => {
    failure ??= err;
  };
  let associateTimer: NodeJS.Timeout | undefined;

  const ul: UpperLayer = new UpperLayer(
    { isRequestor: true, artimMs: t.artimMs ?? DEFAULT_ARTIM_MS },
    {
      connect: () => void open(),
      indication: (ind) => onIndication(ind),
      pduError: (error) => diagnostics.pduError.publish({ peer: ul.transport?.peer, error }),
      ended: () => {
        clearTimeout(associateTimer);
        if (settled) return;
        settled = true;
        rejectP(failure ?? new AssociationError(AssociationErrorCode.ConnectionClosed, `the connection to ${where} closed before the association was established`));
      },
    },
  );

  const open = async (): Promise<void> => {
    try {
      const socket = await connectSocket({
        host: options.host,
        port: options.port,
        ...(options.tls !== undefined && { tls: options.tls }),
        timeoutMs: t.connectMs ?? 10_000,
      });
      const transport = new SocketTransport(socket, ul, { maxPDataLength: maxPduLength });
      if (options.verifyTransport !== undefined) {
        try {
          await transport.verify(options.verifyTransport);
        } catch (err) {
          throw err instanceof AssociationError ? err : new TlsError(`${where}: the peer certificate policy refused the connection: ${err instanceof Error ? err.message : String(err)}`, undefined, err);
        }
      }
      ul.attach(transport);
      transport.startReading();
      associateTimer = setTimeout(() => {
        fail(new AssociationTimeoutError(`${where} did not answer the A-ASSOCIATE-RQ within ${t.associateMs ?? 30_000} ms`, "associate"));
        void ul.dispatch({ name: "Evt15", source: AbortSource.ServiceUser, reason: AbortReason.NotSpecified }).catch(() => undefined);
      }, t.associateMs ?? 30_000);
      await ul.dispatch({ name: "Evt2", pdu: rq });
    } catch (err) {
      fail(err instanceof AssociationError ? err : new AssociationError(AssociationErrorCode.Connect, `cannot open a connection to ${where}: ${String(err)}`));
      // PS3.8 Sta4 + Evt17: the connection never came up.
      void ul.dispatch({ name: "Evt17" });
    }
  };

  const onIndication = (ind: Indication): void => {
    switch (ind.primitive) {
      case "A-ASSOCIATE-confirm-accept": {
        clearTimeout(associateTimer);
        const transport = ul.transport!;
        let negotiation;
        try {
          negotiation = interpretAssociateAc(rq, ind.pdu);
        } catch (err) {
          fail(err as NegotiationError);
          void ul.dispatch({ name: "Evt15", source: AbortSource.ServiceProvider, reason: AbortReason.InvalidPduParameterValue }).catch(() => undefined);
          return;
        }
        association = new Association({
          upperLayer: ul,
          associateRq: rq,
          associateAc: ind.pdu,
          accepted: negotiation.accepted,
          outcomes: negotiation.outcomes,
          maxPduLength,
          peerMaxPduLength: negotiation.peerMaxPduLength,
          peer: transport.peer,
          onMessage: options.onMessage,
          datasetHighWaterMark: options.datasetHighWaterMark,
          releaseTimeoutMs: t.releaseMs,
          dimseTimeoutMs: t.dimseMs,
        });
        settled = true;
        diagnostics.opened.publish({ association });
        resolveP(association);
        return;
      }
      case "A-ASSOCIATE-confirm-reject": {
        clearTimeout(associateTimer);
        const text = describeRejection(ind.pdu);
        diagnostics.rejected.publish({ role: "requestor", peer: ul.transport?.peer, rq, result: ind.pdu.result, source: ind.pdu.source, reason: ind.pdu.reason, text });
        fail(new AssociationRejectedError(`${where} ${text}`, ind.pdu));
        return;
      }
      case "A-ABORT-indication":
        fail(new AssociationAbortedError(`${where} aborted the association request (A-ABORT, service user)`, { source: ind.pdu.source, reason: ind.pdu.reason, byPeer: true }));
        return;
      case "A-P-ABORT-indication":
        fail(
          new AssociationAbortedError(`the association request to ${where} failed: ${ind.cause} (${describeAbort(ind.source, ind.reason)})`, {
            source: ind.source,
            reason: ind.reason,
            byPeer: true,
          }),
        );
        return;
      default:
        return;
    }
  };

  await ul.dispatch({ name: "Evt1" });
  return await result;
}
