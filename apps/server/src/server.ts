import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { DicomListener, ListenerRefusalReasons, reject, type AssociationDecision, type ListenerRefusal, type PeerInfo } from "@dicomtls/association";
import type { NodeConfig } from "@dicomtls/config";
import type { Association } from "@dicomtls/association";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import { createScp, decideAssociation, decideCommand, ScpChannels, type AccessPolicy, type Scp } from "@dicomtls/scp";
import { buildServerOptions, classifyHandshakeError, evaluatePeer, secureContextOptionsOf, TlsContextManager, tlsSettingsFromConfig, type ReloadTrigger, type TlsContext, type TlsWarning } from "@dicomtls/tls-context";
import type { Logger } from "./log.js";
import { accessCommandOf, accessPolicyOf } from "./mapping.js";
import { countAssociationEvents, type AssociationStats } from "./association-stats.js";
import { displayAddress, peerFields, subscribeDiagnostics } from "./diagnostics-log.js";

/** What a plugin is given: the configuration, the SCP to register services on, the logger, and hooks. */
export interface ServerApp {
  readonly config: NodeConfig;
  readonly scp: Scp;
  readonly logger: Logger;
  /** Runs at stop, last registered first (plugins close in reverse order of start). */
  onClose(hook: () => void | Promise<void>): void;
  /** A veto on each A-ASSOCIATE-RQ after Orthanc's access control accepted it; return a reason string to refuse. */
  onAssociationRequest(hook: (rq: AAssociateRq, peer: PeerInfo) => string | undefined | Promise<string | undefined>): void;
}

/** A plugin: named, with declared dependencies, started in order, closed in reverse (fastify/avvio style). */
export interface ServerPlugin<Options = unknown> {
  readonly name: string;
  readonly dependencies?: readonly string[];
  register(app: ServerApp, options: Options): void | Promise<void>;
}

export type PluginEntry = ServerPlugin | readonly [ServerPlugin<never>, unknown];

export interface StartOptions {
  readonly logger: Logger;
  /** Interface to bind; default all (as Orthanc). */
  readonly host?: string;
  readonly plugins?: readonly PluginEntry[];
}

export class ServerStartError extends Error {
  readonly code = "ERR_DICOM_SERVER_START";
}

/** PS3.8 Table 9-21: permanent, service user, calling AE title not recognized. */
const CALLING_AE_NOT_RECOGNIZED = 3;

/** The running node: listeners, the SCP, its TLS context, plugins. */
export class DicomTlsServer {
  readonly config: NodeConfig;
  readonly scp: Scp;
  readonly #logger: Logger;
  readonly #listeners: DicomListener[] = [];
  readonly #closeHooks: Array<() => void | Promise<void>> = [];
  readonly #associationHooks: Array<(rq: AAssociateRq, peer: PeerInfo) => string | undefined | Promise<string | undefined>> = [];
  readonly #policy: AccessPolicy;
  readonly #tls: TlsContextManager | undefined;
  #unsubscribe: () => void = () => undefined;
  #counters: { readonly stats: AssociationStats; stop(): void } | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(config: NodeConfig, logger: Logger, tls: TlsContextManager | undefined) {
    this.config = config;
    this.#logger = logger;
    this.#tls = tls;
    this.#policy = accessPolicyOf(config);
    this.scp = createScp({
      aeTitle: config.dicomAet,
      maxPduLength: config.maximumPduLength,
      onAssociationRequest: (rq, peer) => this.#decideAssociation(rq, peer),
      authorizeCommand: (message, association) => {
        const command = accessCommandOf(message.command);
        if (command === undefined) return { allow: true };
        return decideCommand(this.#policy, { command, callingAet: association.callingAeTitle, peerIp: association.peer.address });
      },
      verifyTransport: (socket) => this.#verifyPeer(socket),
      // DicomScpTimeout is Orthanc's idle limit between DIMSE commands (expiry aborts); Orthanc also uses it as the
      // DIMSE timeout of the C-STORE sub-operations it sends inside a C-GET (GetScp's DIMSE_getProvider).
      idleTimeoutMs: config.dicomScpTimeout * 1000,
      timeouts: config.dicomScpTimeout > 0 ? { dimseMs: config.dicomScpTimeout * 1000 } : {},
    });
  }

  /** Load TLS material, register plugins, open the listeners. Fails before opening any port when something is wrong. */
  static async start(config: NodeConfig, options: StartOptions): Promise<DicomTlsServer> {
    const { logger } = options;
    let tls: TlsContextManager | undefined;
    // The listener exists only after the context loaded; reloads reach it through this late binding.
    let onReload: (ctx: TlsContext, trigger: ReloadTrigger) => void = () => undefined;
    if (config.dicomTlsEnabled) {
      tls = await TlsContextManager.create(tlsSettingsFromConfig(config), {
        // A changed certificate, key or trusted file swaps the context for new associations (certbot, rotation).
        watch: true,
        onReload: (ctx, trigger) => onReload(ctx, trigger),
        onReloadError: (error, trigger) =>
          logger.error(
            { event: "tls-reload-failed", trigger, code: error.code, key: error.key, file: error.file },
            `DICOM TLS reload (${trigger}) refused, the previous certificate keeps serving: ${error.message}`,
          ),
      });
      for (const w of tls.current.warnings) logger.warn({ event: "tls-warning", code: w.code, key: w.key }, w.message);
    }
    const server = new DicomTlsServer(config, logger, tls);
    onReload = (ctx, trigger) => server.#tlsReloaded(ctx, trigger);
    const unsubscribeDiagnostics = subscribeDiagnostics(logger);
    const unsubscribeIdle = logIdleTimeouts(logger);
    const counters = countAssociationEvents();
    server.#counters = counters;
    server.#unsubscribe = () => {
      unsubscribeDiagnostics();
      unsubscribeIdle();
      counters.stop();
    };
    try {
      await server.#registerPlugins(options.plugins ?? []);
      await server.#listen(options.host);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** The bound ports: the main DICOM port (TLS when DicomTlsEnabled) and the optional plain one. */
  get ports(): { readonly dicom: number; readonly plain: number | undefined } {
    const main = this.#listeners[0];
    const plain = this.#listeners[1];
    return { dicom: main?.port ?? this.config.dicomPort, plain: plain?.port };
  }

  /** Counters since start (internal errors, protocol errors, provider rejections), for the status page and metrics. */
  get stats(): AssociationStats {
    return this.#counters?.stats ?? { internalErrors: 0, protocolErrors: 0, providerRejections: 0 };
  }

  get tlsContext(): TlsContext | undefined {
    return this.#tls?.current;
  }

  /** The own-certificate expiry warning (within 30 days) of the current TLS context, if any. */
  checkCertificateExpiry(now: Date = new Date()): TlsWarning | undefined {
    return this.#tls?.checkExpiry(now);
  }

  /**
   * Reload the certificate, key and trusted certificates for new associations; open ones are untouched.
   * When the new files are invalid the current context stays and the error says why.
   */
  async reloadTls(): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: Error }> {
    if (this.#tls === undefined) return { ok: true };
    // Success and failure are logged by the manager's callbacks, as for file-change reloads.
    const r = await this.#tls.reload(undefined, "manual");
    return r.ok ? { ok: true } : { ok: false, error: r.error };
  }

  #tlsReloaded(next: TlsContext, trigger: ReloadTrigger): void {
    this.#listeners[0]?.setSecureContext(secureContextOptionsOf(next));
    for (const w of next.warnings) this.#logger.warn({ event: "tls-warning", code: w.code, key: w.key }, w.message);
    this.#logger.info(
      { event: "tls-reloaded", trigger, subject: next.certificate.subject, fingerprint256: next.certificate.fingerprint256 },
      `DICOM TLS context reloaded (${trigger}): new associations see ${next.certificate.subject}`,
    );
  }

  /** Stop listening, release or abort open associations, close plugins in reverse order. Idempotent. */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      this.#tls?.close();
      await Promise.all(this.#listeners.map((l) => l.close()));
      await this.scp.close({ timeoutMs: options.timeoutMs ?? 5_000 });
      for (const hook of this.#closeHooks.reverse()) {
        try {
          await hook();
        } catch (err) {
          this.#logger.error({ event: "plugin-close-failed" }, `closing a plugin failed: ${(err as Error).message}`);
        }
      }
      this.#unsubscribe();
    })();
    return this.#stopping;
  }

  async #registerPlugins(entries: readonly PluginEntry[]): Promise<void> {
    const app: ServerApp = {
      config: this.config,
      scp: this.scp,
      logger: this.#logger,
      onClose: (hook) => this.#closeHooks.push(hook),
      onAssociationRequest: (hook) => this.#associationHooks.push(hook),
    };
    const started = new Set<string>();
    for (const entry of entries) {
      const [plugin, opts] = Array.isArray(entry) ? (entry as readonly [ServerPlugin, unknown]) : [entry as ServerPlugin, undefined];
      for (const dep of plugin.dependencies ?? []) {
        if (!started.has(dep)) throw new ServerStartError(`plugin "${plugin.name}" needs plugin "${dep}", which is not registered before it`);
      }
      if (started.has(plugin.name)) throw new ServerStartError(`plugin "${plugin.name}" is registered twice`);
      await plugin.register(app, opts);
      started.add(plugin.name);
    }
  }

  async #listen(host: string | undefined): Promise<void> {
    const tls = this.#tls?.current;
    const onConnection = (socket: Socket | TLSSocket): void => {
      void this.scp.handleConnection(socket);
    };
    const onRefusal = (r: ListenerRefusal): void => {
      // OpenSSL's refusal says why (protocol version, cipher, ALPN): that is the reason code operators need.
      const reason = r.reason === ListenerRefusalReasons.HandshakeFailed && r.error !== undefined ? classifyHandshakeError(r.error) : r.reason;
      this.#logger.warn(
        { event: "connection-refused", reason, listenerReason: r.reason, peer: `${displayAddress(r.remoteAddress)}:${r.remotePort ?? "?"}`, port: r.localPort, ...(r.error && { tlsError: (r.error as Error & { code?: string }).code }) },
        `connection from ${displayAddress(r.remoteAddress)}:${r.remotePort ?? "?"} refused (${reason}): ${r.detail}`,
      );
    };
    const main = new DicomListener({
      port: this.config.dicomPort,
      ...(host !== undefined && { host }),
      ...(tls !== undefined && { tls: buildServerOptions(tls), handshakeTimeoutMs: tls.handshakeTimeoutMs }),
      onConnection,
      onRefusal,
    });
    this.#listeners.push(main);
    await listenOrExplain(main, "DicomPort", this.config.dicomPort);
    if (this.config.dicomPlainPort !== null) {
      const plain = new DicomListener({ port: this.config.dicomPlainPort, ...(host !== undefined && { host }), onConnection, onRefusal });
      this.#listeners.push(plain);
      await listenOrExplain(plain, "DicomPlainPort", this.config.dicomPlainPort);
    }
  }

  /** Post-handshake peer-certificate policy: the exact reason is logged before the socket is destroyed. */
  #verifyPeer(socket: Socket | TLSSocket): void {
    const tls = this.#tls?.current;
    if (tls === undefined || !("encrypted" in socket)) return;
    const verdict = evaluatePeer(socket, tls.peerPolicy);
    if (verdict.ok) {
      for (const w of verdict.warnings) this.#logger.warn({ event: "peer-warning", ...peerFields(verdict.peer) }, w);
      return;
    }
    this.#logger.warn(
      { event: "tls-peer-refused", reason: verdict.reason, ...peerFields(verdict.peer) },
      `DICOM TLS peer ${displayAddress(verdict.peer.remoteAddress)}:${verdict.peer.remotePort ?? "?"} refused (${verdict.reason}): ${verdict.detail}`,
    );
    throw Object.assign(new Error(`${verdict.reason}: ${verdict.detail}`), { code: verdict.reason });
  }

  async #decideAssociation(rq: AAssociateRq, peer: PeerInfo): Promise<AssociationDecision> {
    const fingerprint = peer.tls?.certificate?.fingerprint256;
    const certificateModalities =
      peer.tls === undefined ? undefined : (this.#tls?.current.modalities ?? []).filter((m) => fingerprint !== undefined && m.fingerprint256 === fingerprint).map((m) => m.name);
    const decision = decideAssociation(this.#policy, {
      calledAet: rq.calledAeTitle,
      callingAet: rq.callingAeTitle,
      peerIp: peer.address,
      ...(certificateModalities !== undefined && { certificateModalities }),
    });
    const fields = {
      peer: `${displayAddress(peer.address)}:${peer.port}`,
      callingAet: rq.callingAeTitle,
      calledAet: rq.calledAeTitle,
      ...(peer.tls !== undefined && {
        tlsVersion: peer.tls.protocol,
        cipher: peer.tls.cipher,
        ...(peer.tls.certificate !== undefined && {
          certSubject: peer.tls.certificate.subject.replace(/\n/g, ", "),
          certIssuer: peer.tls.certificate.issuer.replace(/\n/g, ", "),
          certFingerprint256: peer.tls.certificate.fingerprint256,
        }),
      }),
    };
    if (!decision.accept) {
      const code = decision.reason === CALLING_AE_NOT_RECOGNIZED ? "CALLING_AE_NOT_RECOGNIZED" : "CALLED_AE_NOT_RECOGNIZED";
      this.#logger.warn({ event: "association-refused", reason: code, ...fields }, `association from ${rq.callingAeTitle} at ${fields.peer} refused (${code}): ${decision.why}`);
      return reject(decision.reason, decision.source, decision.result, decision.why);
    }
    for (const hook of this.#associationHooks) {
      const why = await hook(rq, peer);
      if (why !== undefined) {
        this.#logger.warn({ event: "association-refused", reason: "PLUGIN_VETO", ...fields }, `association from ${rq.callingAeTitle} at ${fields.peer} refused by a plugin: ${why}`);
        return reject(1, 1, 1, why);
      }
    }
    return { accept: true };
  }
}

async function listenOrExplain(listener: DicomListener, key: string, port: number): Promise<void> {
  try {
    await listener.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? "the port is already in use" : code === "EACCES" ? "permission denied (ports below 1024 need privileges)" : (err as Error).message;
    throw new ServerStartError(`${key}: cannot listen on port ${port}: ${why}`, { cause: err });
  }
}

/** DicomScpTimeout expiries: one `association-idle-timeout` record each (the abort itself is logged too). */
function logIdleTimeouts(logger: Logger): () => void {
  const onIdle = (m: unknown): void => {
    const { association, idleMs } = m as { association: Association; idleMs: number };
    logger.warn(
      { event: "association-idle-timeout", peer: `${displayAddress(association.peer.address)}:${association.peer.port}`, callingAet: association.callingAeTitle, idleSeconds: idleMs / 1000 },
      `association from ${association.callingAeTitle} idle for ${idleMs / 1000} s (DicomScpTimeout): aborted`,
    );
  };
  subscribe(ScpChannels.idleTimeout, onIdle);
  return () => unsubscribe(ScpChannels.idleTimeout, onIdle);
}
