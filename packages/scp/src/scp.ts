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
  type OutgoingMessage,
  type PeerInfo,
  type VerifyTransport,
} from "@dicomtls/association";
import { AssociateRjResult, AssociateRjSource, Status, type AAssociateRq } from "@dicomtls/pdu-codec";
import { statusResponse } from "./responses.js";
import { ServiceRegistry, type RegisterOptions } from "./service-registry.js";
import type { CommandAuthorization, ServiceHandler } from "./types.js";
import { VERIFICATION_SOP_CLASS, verificationHandler } from "./verification.js";

/** `node:diagnostics_channel` channels of the SCP (`dicom:scp:<event>`). */
export const ScpChannels = {
  /** A handler threw; the peer got a failure status: `{ association, message, error }`. */
  handlerError: "dicom:scp:handler-error",
  /** authorizeCommand refused a command; the association was aborted: `{ association, message, why }`. */
  commandRefused: "dicom:scp:command-refused",
  /** No DIMSE message for `idleTimeoutMs`; the association was aborted: `{ association, idleMs }`. */
  idleTimeout: "dicom:scp:idle-timeout",
} as const;
const handlerErrorChannel = channel(ScpChannels.handlerError);
const commandRefusedChannel = channel(ScpChannels.commandRefused);
const idleTimeoutChannel = channel(ScpChannels.idleTimeout);

export interface ScpOptions {
  /** Our AE title. */
  readonly aeTitle: string;
  /** Our receive limit (PS3.8 D.1); default the association package's 128 KiB. */
  readonly maxPduLength?: number;
  /** Refuse an A-ASSOCIATE-RQ not addressed to `aeTitle` (PS3.8 Table 9-21 reason 7). Default false, as Orthanc's DicomCheckCalledAet. */
  readonly checkCalledAeTitle?: boolean;
  /** Refuse more simultaneous associations than this (transient, "local limit exceeded"). Default unlimited. */
  readonly maxAssociations?: number;
  /** Access control on the association; runs after our own checks. Default accept. */
  readonly onAssociationRequest?: (rq: AAssociateRq, peer: PeerInfo) => AssociationDecision | Promise<AssociationDecision>;
  /** Access control per command; `{ allow: false }` aborts the association. Default allow. */
  readonly authorizeCommand?: (message: DimseMessage, association: Association) => CommandAuthorization | Promise<CommandAuthorization>;
  /** Peer-certificate policy after the TLS handshake, before any PDU is read. */
  readonly verifyTransport?: VerifyTransport;
  readonly timeouts?: AcceptTimeouts;
  /**
   * Abort an association on which the peer sent no DIMSE message for this long while nothing was in progress
   * (Orthanc's DicomScpTimeout: idle time between commands; it aborts, as DCMTK's DIMSE_NODATAAVAILABLE path does).
   * The clock starts when the association is established and again after the last response to each request.
   * 0 or undefined: no limit.
   */
  readonly idleTimeoutMs?: number;
  /** Register the Verification SOP Class (C-ECHO). Default true. */
  readonly verification?: boolean;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
}

export interface ScpCloseOptions {
  /** How long open associations may continue before they are aborted. Default 5 s; 0 aborts at once. */
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

  const policy = (): AcceptorPolicy => {
    const fallback = services.fallback();
    return {
      abstractSyntaxes: services.sopClasses().map((uid) => {
        const r = services.lookup(uid)!;
        return { abstractSyntax: uid, transferSyntaxes: r.transferSyntaxes, ...(r.roles !== undefined && { roles: r.roles }) };
      }),
      ...(fallback !== undefined && {
        acceptUnknown: { transferSyntaxes: fallback.transferSyntaxes, ...(fallback.roles !== undefined && { roles: fallback.roles }) },
      }),
    };
  };

  const onAssociationRequest = async (rq: AAssociateRq, peer: PeerInfo): Promise<AssociationDecision> => {
    if (closing) {
      return { accept: false, result: AssociateRjResult.RejectedTransient, source: AssociateRjSource.ServiceProviderPresentation, reason: 1, why: "the SCP is shutting down" };
    }
    if (options.maxAssociations !== undefined && associations.size >= options.maxAssociations) {
      return {
        accept: false,
        result: AssociateRjResult.RejectedTransient,
        source: AssociateRjSource.ServiceProviderPresentation,
        reason: 2,
        why: `${associations.size} associations open, the limit is ${options.maxAssociations}`,
      };
    }
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
  const idleWatches = new WeakMap<Association, IdleWatch>();
  const idleWatch = (association: Association): IdleWatch | undefined => {
    if (idleMs <= 0) return undefined;
    let watch = idleWatches.get(association);
    if (watch === undefined) {
      watch = new IdleWatch(association, idleMs);
      idleWatches.set(association, watch);
    }
    return watch;
  };

  const onMessage = async (message: DimseMessage, association: Association): Promise<HandlerResult> => {
    const watch = idleWatch(association);
    if (watch === undefined) return await serve(message, association);
    watch.begin();
    let result: HandlerResult;
    try {
      result = await serve(message, association);
    } catch (err) {
      watch.end();
      throw err;
    }
    return watch.endAfter(result);
  };

  const serve = async (message: DimseMessage, association: Association): Promise<HandlerResult> => {
    if (options.authorizeCommand !== undefined) {
      const verdict = await options.authorizeCommand(message, association);
      if (!verdict.allow) {
        commandRefusedChannel.publish({ association, message, why: verdict.why });
        await association.abort();
        return undefined;
      }
    }
    const registration = services.lookup(message.context.abstractSyntax);
    if (registration === undefined) {
      // dcm4che's one answer for a SOP class nobody serves (PS3.7 Annex C: 0122H).
      return { command: statusResponse(message.command, Status.SopClassNotSupported) };
    }
    try {
      return await registration.handler(message, { association, signal: message.signal });
    } catch (error) {
      handlerErrorChannel.publish({ association, message, error });
      const why = error instanceof Error ? error.message : String(error);
      return { command: statusResponse(message.command, Status.UnableToProcess, why) };
    }
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
      const pending = acceptAssociation(socket, {
        aeTitle: options.aeTitle,
        policy: policy(),
        onAssociationRequest,
        onMessage,
        signal: controller.signal,
        ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
        ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
        ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
        ...(options.implementationClassUid !== undefined && { implementationClassUid: options.implementationClassUid }),
        ...(options.implementationVersionName !== undefined && { implementationVersionName: options.implementationVersionName }),
      });
      everything.add(pending);
      const association = await pending.finally(() => {
        connecting.delete(controller);
        everything.delete(pending);
      });
      if (association === undefined) return undefined;
      associations.add(association);
      idleWatch(association)?.arm();
      const done = association.closed.then(() => {
        associations.delete(association);
      });
      everything.add(done);
      void done.finally(() => everything.delete(done));
      return association;
    },
    async close(closeOptions = {}) {
      closing = true;
      for (const c of connecting) c.abort();
      const timeoutMs = closeOptions.timeoutMs ?? 5_000;
      if (associations.size > 0 && timeoutMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all([...associations].map((a) => a.closed)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      await Promise.all([...associations].map((a) => a.abort().catch(() => undefined)));
      await Promise.all([...everything]);
    },
  };
  return scp;
}

/** One association's idle clock: runs only while no request is being served. */
class IdleWatch {
  readonly #association: Association;
  readonly #ms: number;
  #busy = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(association: Association, ms: number) {
    this.#association = association;
    this.#ms = ms;
    void association.closed.then(() => this.#clear());
  }

  /** (Re)starts the clock, unless a request is in progress or the association is over. */
  arm(): void {
    this.#clear();
    if (this.#busy > 0 || !this.#association.isEstablished) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#busy > 0 || !this.#association.isEstablished) return;
      idleTimeoutChannel.publish({ association: this.#association, idleMs: this.#ms });
      void this.#association.abort().catch(() => undefined);
    }, this.#ms);
    // An idle peer must not keep the process alive on its own.
    this.#timer.unref();
  }

  /** A request arrived: the clock stops until its last response is sent. */
  begin(): void {
    this.#busy++;
    this.#clear();
  }

  end(): void {
    this.#busy--;
    this.arm();
  }

  /** The handler's result, with end() once its last response was handed to the socket (or sending gave up). */
  endAfter(result: HandlerResult): HandlerResult {
    if (result === undefined) {
      this.end();
      return undefined;
    }
    return this.#track(result);
  }

  async *#track(result: NonNullable<HandlerResult>): AsyncGenerator<OutgoingMessage> {
    try {
      if (typeof (result as Partial<AsyncIterable<OutgoingMessage>>)[Symbol.asyncIterator] === "function") yield* result as AsyncIterable<OutgoingMessage>;
      else if (typeof (result as Partial<Iterable<OutgoingMessage>>)[Symbol.iterator] === "function") yield* result as Iterable<OutgoingMessage>;
      else yield result as OutgoingMessage;
    } finally {
      // The association awaited each yielded response's send before asking for the next one.
      this.end();
    }
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
