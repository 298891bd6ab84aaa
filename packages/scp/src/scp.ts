import { channel } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import {
  acceptAssociation,
  type AcceptTimeouts,
  type AcceptorPolicy,
  type Association,
  type AssociationDecision,
  type DimseMessage,
  type HandlerResult,
  type PeerInfo,
  type Roles,
  type VerifyTransport,
} from "@dicomtls/association";
import { AssociateRjResult, AssociateRjSource, Status, type AAssociateRq } from "@dicomtls/pdu-codec";
import { AssociationLimits } from "./association-limits.js";
import { statusResponse } from "./responses.js";
import { ServiceRegistry, type RegisterOptions, type ServiceRegistration } from "./service-registry.js";
import { isStorageSopClass } from "./uids/storage-sop-classes.js";
import type { CommandAuthorization, ServiceContext, ServiceHandler } from "./types.js";
import { VERIFICATION_SOP_CLASS, verificationHandler } from "./verification.js";

/** `node:diagnostics_channel` channels of the SCP (`dicom:scp:<event>`). */
export const ScpChannels = {
  /** A handler threw; the peer got a failure status: `{ association, message, error }`. */
  handlerError: "dicom:scp:handler-error",
  /** authorizeCommand refused a command; the association was aborted: `{ association, message, why, key? }` (key: the refusing configuration key). */
  commandRefused: "dicom:scp:command-refused",
  /**
   * An A-ASSOCIATE-RQ was refused because a limit is reached (transient, local limit exceeded):
   * `{ peer, rq, kind: "total" | "per-host", limit, open }`. Stalls (DicomScpTimeout) are the association
   * package's `dicom:association:stalled`.
   */
  limitExceeded: "dicom:scp:limit-exceeded",
  /**
   * @deprecated The progress timeout (idleTimeoutMs) now lives in the association package and publishes on
   * `dicom:association:stalled` (`{ association, phase, timeoutMs, idleMs }`); this is that channel's name.
   */
  idleTimeout: "dicom:association:stalled",
} as const;
const handlerErrorChannel = channel(ScpChannels.handlerError);
const commandRefusedChannel = channel(ScpChannels.commandRefused);
const limitExceededChannel = channel(ScpChannels.limitExceeded);

/** PS3.8 Table 9-21: source 3 (service provider, presentation related function), reason 2: local limit exceeded. */
const LOCAL_LIMIT_EXCEEDED = 2;
/** PS3.8 Table 9-21: source 3, reason 1: temporary congestion (we are shutting down). */
const TEMPORARY_CONGESTION = 1;
/** PS3.7 D.3.3.4: for C-GET we serve storage as SCP (the requestor's C-STORE) and also play SCU (the sub-operations). */
const STORAGE_ROLES_FOR_GET: Roles = Object.freeze({ scu: true, scp: true });
/** Part of the close bound kept for the A-ABORTs to reach the peers before their sockets are destroyed. */
const ABORT_FLUSH_MS = 1_000;

export interface ScpOptions {
  /** Our AE title. */
  readonly aeTitle: string;
  /** Our receive limit (PS3.8 D.1); default the association package's 128 KiB. */
  readonly maxPduLength?: number;
  /** Refuse an A-ASSOCIATE-RQ not addressed to `aeTitle` (PS3.8 Table 9-21 reason 7). Default false, as Orthanc's DicomCheckCalledAet. */
  readonly checkCalledAeTitle?: boolean;
  /** Refuse more simultaneous associations than this (transient, "local limit exceeded"). 0 or absent: unlimited. */
  readonly maxAssociations?: number;
  /** Refuse more simultaneous associations from one peer address than this, the same way. 0 or absent: unlimited. */
  readonly maxAssociationsPerHost?: number;
  /** Access control on the association; runs after our own checks. Default accept. */
  readonly onAssociationRequest?: (rq: AAssociateRq, peer: PeerInfo) => AssociationDecision | Promise<AssociationDecision>;
  /** Access control per command; `{ allow: false }` aborts the association. Default allow. */
  readonly authorizeCommand?: (message: DimseMessage, association: Association) => CommandAuthorization | Promise<CommandAuthorization>;
  /** Peer-certificate policy after the TLS handshake, before any PDU is read. */
  readonly verifyTransport?: VerifyTransport;
  readonly timeouts?: AcceptTimeouts;
  /**
   * Abort an association that makes no progress for this long while the peer owes us something (Orthanc's
   * DicomScpTimeout; it aborts, as DCMTK's DIMSE_NODATAAVAILABLE path does): between commands, inside a data set,
   * after a release request, or while the peer does not read our responses. Bytes in either direction are
   * progress, so a slow but moving transfer is never cut; time a handler spends working is not counted.
   * Each expiry is published on `dicom:association:stalled`. 0 or undefined: no limit.
   */
  readonly idleTimeoutMs?: number;
  /** Register the Verification SOP Class (C-ECHO). Default true. */
  readonly verification?: boolean;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
}

export interface ScpCloseOptions {
  /**
   * Bound on the whole close: open associations may continue until 1 s before it, are then aborted, and whatever
   * connection is still open at the bound is destroyed. Default 5 s; 0 aborts at once.
   */
  readonly timeoutMs?: number;
}

/** An association acceptor with a service registry. It takes connections; the caller owns listeners and TLS. */
export interface Scp {
  readonly aeTitle: string;
  readonly services: ServiceRegistry;
  /** Registers the handler of a SOP class UID, or of "*" (every SOP class nobody else serves). */
  handle(sopClassUid: string, handler: ServiceHandler, options?: RegisterOptions): Scp;
  /**
   * Serves one accepted connection: a `net.Socket`, or a `tls.TLSSocket` from the server's 'secureConnection'.
   * Resolves with the association once established (undefined when none came about).
   */
  handleConnection(socket: Socket): Promise<Association | undefined>;
  /** Associations currently established. */
  readonly associations: ReadonlySet<Association>;
  /** Stops taking associations, lets open ones finish for `timeoutMs`, aborts the rest; resolves when all are closed. */
  close(options?: ScpCloseOptions): Promise<void>;
}

/** Creates an SCP. Verification (C-ECHO) is served by default. */
export function createScp(options: ScpOptions): Scp {
  const services = new ServiceRegistry();
  if (options.verification !== false) services.register(VERIFICATION_SOP_CLASS, verificationHandler);
  const associations = new Set<Association>();
  const connecting = new Set<AbortController>();
  const everything = new Set<Promise<unknown>>();
  let closing = false;
  const limits = new AssociationLimits(options.maxAssociations, options.maxAssociationsPerHost);

  /**
   * The acceptor policy for one request. When it proposes a C-GET class, storage SOP classes (and the fallback) also
   * take the SCU role, so the requestor's SCP role proposal is granted: the C-STOREs come back on this association.
   */
  const policy = (rq: AAssociateRq): AcceptorPolicy => {
    const fallback = services.fallback();
    const retrieving = rq.presentationContexts.some((pc) => services.lookup(pc.abstractSyntax)?.storesOnSameAssociation === true);
    const rolesOf = (uid: string | undefined, r: ServiceRegistration): Roles | undefined =>
      r.roles ?? (retrieving && (uid === undefined || isStorageSopClass(uid)) ? STORAGE_ROLES_FOR_GET : undefined);
    const fallbackRoles = fallback === undefined ? undefined : rolesOf(undefined, fallback);
    return {
      abstractSyntaxes: services.sopClasses().map((uid) => {
        const r = services.lookup(uid)!;
        const roles = rolesOf(uid, r);
        return { abstractSyntax: uid, transferSyntaxes: r.transferSyntaxes, ...(roles !== undefined && { roles }) };
      }),
      ...(fallback !== undefined && {
        acceptUnknown: { transferSyntaxes: fallback.transferSyntaxes, ...(fallbackRoles !== undefined && { roles: fallbackRoles }) },
      }),
    };
  };

  /** Our own checks, then the caller's; `hold` is told the address whose slot an accepted request took. */
  const onAssociationRequest = async (rq: AAssociateRq, peer: PeerInfo, hold: (address: string) => void): Promise<AssociationDecision> => {
    if (closing) {
      return { accept: false, result: AssociateRjResult.RejectedTransient, source: AssociateRjSource.ServiceProviderPresentation, reason: TEMPORARY_CONGESTION, why: "the SCP is shutting down" };
    }
    const exceeded = limits.admit(peer.address);
    if (exceeded !== undefined) {
      limitExceededChannel.publish({ peer, rq, ...exceeded });
      const what = exceeded.kind === "total" ? "associations open" : `associations open from ${peer.address}`;
      return {
        accept: false,
        result: AssociateRjResult.RejectedTransient,
        source: AssociateRjSource.ServiceProviderPresentation,
        reason: LOCAL_LIMIT_EXCEEDED,
        why: `${exceeded.open} ${what}, the limit is ${exceeded.limit}`,
      };
    }
    let decision: AssociationDecision;
    try {
      decision = await decideRequest(rq, peer);
    } catch (err) {
      limits.release(peer.address);
      throw err;
    }
    if (decision.accept) hold(peer.address);
    else limits.release(peer.address);
    return decision;
  };

  const decideRequest = async (rq: AAssociateRq, peer: PeerInfo): Promise<AssociationDecision> => {
    if (options.checkCalledAeTitle === true && rq.calledAeTitle.trim() !== options.aeTitle.trim()) {
      return {
        accept: false,
        result: AssociateRjResult.RejectedPermanent,
        source: AssociateRjSource.ServiceUser,
        reason: 7,
        why: `called AE title "${rq.calledAeTitle}" is not ours ("${options.aeTitle}")`,
      };
    }
    return options.onAssociationRequest === undefined ? { accept: true } : await options.onAssociationRequest(rq, peer);
  };

  const idleMs = options.idleTimeoutMs ?? 0;
  const timeouts: AcceptTimeouts = { ...options.timeouts, ...(idleMs > 0 && { progressMs: idleMs }) };

  /**
   * Access control, then the SOP class's handler. Synchronous unless a hook or the handler is async: most requests
   * (C-ECHO, a C-STORE answered by the storage service) cost no promise here (issue 13, per-message overhead).
   */
  const onMessage = (message: DimseMessage, association: Association): HandlerResult | Promise<HandlerResult> => {
    if (options.authorizeCommand === undefined) return serve(message, association);
    const verdict = options.authorizeCommand(message, association);
    return isThenable(verdict) ? Promise.resolve(verdict).then((v) => authorized(v, message, association)) : authorized(verdict, message, association);
  };

  const authorized = (verdict: CommandAuthorization, message: DimseMessage, association: Association): HandlerResult | Promise<HandlerResult> => {
    if (verdict.allow) return serve(message, association);
    commandRefusedChannel.publish({ association, message, why: verdict.why, ...(verdict.key !== undefined && { key: verdict.key }) });
    return association.abort().then(() => undefined);
  };

  const serve = (message: DimseMessage, association: Association): HandlerResult | Promise<HandlerResult> => {
    const registration = services.lookup(message.context.abstractSyntax);
    if (registration === undefined) {
      // dcm4che's one answer for a SOP class nobody serves (PS3.7 Annex C: 0122H).
      return { command: statusResponse(message.command, Status.SopClassNotSupported) };
    }
    const failed = (error: unknown): HandlerResult => {
      handlerErrorChannel.publish({ association, message, error });
      const why = error instanceof Error ? error.message : String(error);
      return { command: statusResponse(message.command, Status.UnableToProcess, why) };
    };
    // The signal is read through: the request's AbortController is made only if the handler looks at it.
    const context: ServiceContext = {
      association,
      get signal() {
        return message.signal;
      },
    };
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = registration.handler(message, context);
    } catch (error) {
      return failed(error);
    }
    return isThenable(result) ? Promise.resolve(result).then(undefined, failed) : result;
  };

  const scp: Scp = {
    aeTitle: options.aeTitle,
    services,
    associations,
    handle(sopClassUid, handler, registerOptions) {
      services.register(sopClassUid, handler, registerOptions);
      return scp;
    },
    async handleConnection(socket) {
      if (closing) {
        socket.destroy();
        return undefined;
      }
      const controller = new AbortController();
      connecting.add(controller);
      let held: string | undefined;
      const pending = acceptAssociation(socket, {
        aeTitle: options.aeTitle,
        policy,
        onAssociationRequest: (rq, peer) =>
          onAssociationRequest(rq, peer, (address) => {
            held = address;
          }),
        onMessage,
        signal: controller.signal,
        ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
        ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
        timeouts,
        ...(options.implementationClassUid !== undefined && { implementationClassUid: options.implementationClassUid }),
        ...(options.implementationVersionName !== undefined && { implementationVersionName: options.implementationVersionName }),
      });
      everything.add(pending);
      const association = await pending.finally(() => {
        connecting.delete(controller);
        everything.delete(pending);
      });
      const release = (): void => {
        if (held !== undefined) limits.release(held);
        held = undefined;
      };
      if (association === undefined) {
        release();
        return undefined;
      }
      associations.add(association);
      const done = association.closed.then(() => {
        associations.delete(association);
        release();
      });
      everything.add(done);
      void done.finally(() => everything.delete(done));
      return association;
    },
    async close(closeOptions = {}) {
      closing = true;
      for (const c of connecting) c.abort();
      const timeoutMs = closeOptions.timeoutMs ?? 5_000;
      const flushMs = Math.min(ABORT_FLUSH_MS, timeoutMs);
      await closedWithin(associations, timeoutMs - flushMs);
      await Promise.all([...associations].map((a) => a.abort().catch(() => undefined)));
      // A stalled peer never closes its end: ARTIM would hold each socket for its whole period.
      await closedWithin(associations, flushMs);
      for (const a of associations) a.destroy();
      await Promise.all([...everything]);
    },
  };
  return scp;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | undefined)?.then === "function";
}

/** Resolves when every association closed, or after `ms`. */
async function closedWithin(associations: ReadonlySet<Association>, ms: number): Promise<void> {
  if (associations.size === 0 || ms <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([...associations].map((a) => a.closed)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
