import type { Socket } from "node:net";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { DicomListener, ListenerRefusalReasons, reject, type AssociationDecision, type ListenerRefusal, type PeerInfo } from "@dicomtls/association";
import type { NodeConfig } from "@dicomtls/config";
import type { Association } from "@dicomtls/association";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import { createScp, decideAssociation, decideCommand, type AccessPolicy, type Scp } from "@dicomtls/scp";
import { buildClientOptions, buildServerOptions, classifyHandshakeError, evaluatePeer, HandshakeFailureReasons, secureContextOptionsOf, TlsContextManager, tlsSettingsFromConfig, type ReloadTrigger, type TlsContext, type TlsWarning } from "@dicomtls/tls-context";
import { Registry } from "prom-client";
import { serverDiagnostics, type ConnectionRefusedMessage } from "./channels.js";
import { startHttpServer, type HttpEndpoint } from "./http/server.js";
import { NodeMetrics } from "./http/metrics.js";
import { RuntimeStats } from "./http/runtime-stats.js";
import { NodeStatus } from "./http/status.js";
import type { Logger } from "./log.js";
import { accessCommandOf, accessPolicyOf } from "./mapping.js";
import { countAssociationEvents, type AssociationStats } from "./association-stats.js";
import { displayAddress, logLimits, peerFields, requestFields, revocationFields, subscribeDiagnostics } from "./diagnostics-log.js";
import { clientOffer } from "./client-offer.js";
import { ServerStartError, type StartOptions } from "./plugin-types.js";
import { PluginHost, type PluginDescription } from "./plugins/plugin-host.js";
import { pluginScu } from "./plugins/plugin-scu.js";
import { certificateFacts, peerFacts } from "./plugins/facts.js";
import { pluginTlsVeto, reportAssociationClosed } from "./plugins/node-events.js";
import { AuditTrail } from "./audit/index.js";
import { registerAuditMetrics } from "./audit/audit-metrics.js";

export type { ServerApp, ServerPlugin, PluginEntry, LoadedPlugin, NodeHooks, StartOptions } from "./plugin-types.js";
export { ServerStartError } from "./plugin-types.js";

/** PS3.8 Table 9-21: permanent, service user, calling AE title not recognized. */
const CALLING_AE_NOT_RECOGNIZED = 3;

/** The running node: listeners, the SCP, its TLS context, plugins. */
export class DicomTlsServer {
  readonly config: NodeConfig;
  readonly scp: Scp;
  readonly #logger: Logger;
  readonly #listeners: DicomListener[] = [];
  #plugins: PluginHost | undefined;
  #pluginScu: ReturnType<typeof pluginScu> | undefined;
  readonly #policy: AccessPolicy;
  readonly #tls: TlsContextManager | undefined;
  #audit: AuditTrail | undefined;
  /** The TLS material of the audit trail's syslog client when DICOM TLS itself is off. */
  #auditTls: TlsContextManager | undefined;
  #runtime: RuntimeStats | undefined;
  /** The Prometheus registry of the node (plugins' metrics included). */
  readonly metricsRegistry = new Registry();
  #status: NodeStatus | undefined;
  #metrics: NodeMetrics | undefined;
  #http: HttpEndpoint | undefined;
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
      // It also bounds the time without progress in every other phase (a data set, a release): see ScpOptions.
      idleTimeoutMs: config.dicomScpTimeout * 1000,
      // ARTIM (the wait for A-ASSOCIATE-RQ, and for the peer to close after an abort) is held to the same bound.
      timeouts: config.dicomScpTimeout > 0 ? { dimseMs: config.dicomScpTimeout * 1000, artimMs: Math.min(30_000, config.dicomScpTimeout * 1000) } : {},
      maxAssociations: config.dicomMaximumAssociations,
      maxAssociationsPerHost: config.dicomMaximumAssociationsPerHost,
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
    const unsubscribeIdle = logLimits(logger);
    const counters = countAssociationEvents();
    server.#counters = counters;
    server.#unsubscribe = () => {
      unsubscribeDiagnostics();
      unsubscribeIdle();
      counters.stop();
    };
    try {
      await server.#openAuditTrail();
      await server.#registerPlugins(options);
      server.#observe();
      await server.#listen(options.host);
      // The serving period starts once the ports are open (start-up RSS and compilation are not serving).
      server.#runtime = new RuntimeStats();
      if (config.httpServerEnabled) await server.#startHttp(options.host);
      // PS3.15 A.5.3.1 Application Start, once the ports are open.
      server.#audit?.start();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** The bound ports: the main DICOM port (TLS when DicomTlsEnabled), the optional plain one, the HTTP(S) one. */
  get ports(): { readonly dicom: number; readonly plain: number | undefined; readonly http: number | undefined } {
    const main = this.#listeners[0];
    const plain = this.#listeners[1];
    return { dicom: main?.port ?? this.config.dicomPort, plain: plain?.port, http: this.#http?.port };
  }

  /** Event-loop delay, memory and GC while serving: /metrics, /status and the `runtime-stats` record at shutdown. */
  get runtimeStats(): RuntimeStats {
    return (this.#runtime ??= new RuntimeStats());
  }

  /** "http" or "https" when the HTTP server runs. */
  get httpScheme(): string | undefined {
    return this.#http?.scheme;
  }

  /** What /status serves (undefined while HttpServerEnabled is false). */
  get status(): NodeStatus | undefined {
    return this.#status;
  }

  /** Status and metrics subscribe to the diagnostics channels before the first connection can arrive. */
  #observe(): void {
    if (!this.config.httpServerEnabled) return;
    const associations = (): ReadonlySet<Association> => this.scp.associations;
    const tlsContext = (): TlsContext | undefined => this.#tls?.current;
    const runtime = () => this.runtimeStats.figures();
    const status = new NodeStatus({ aet: this.config.dicomAet, dicomPort: () => this.ports.dicom, associations, tlsContext, runtime });
    this.#status = status;
    if (!this.config.metricsEnabled) return;
    this.#metrics = new NodeMetrics(this.metricsRegistry, { associations, openSockets: () => status.openSockets(), tlsContext, runtime });
    const audit = this.#audit;
    if (audit !== undefined) registerAuditMetrics(this.metricsRegistry, () => audit.stats());
  }

  async #startHttp(host: string | undefined): Promise<void> {
    this.#http = await startHttpServer({
      config: this.config,
      logger: this.#logger,
      status: this.#status!,
      ...(this.#metrics !== undefined && { metrics: this.#metrics }),
      ...(host !== undefined && { host }),
    });
  }

  /** The PS3.15 audit trail when `AuditTrail` is configured: `stats()` gives messages, sent, queued and dropped. */
  get auditTrail(): AuditTrail | undefined {
    return this.#audit;
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

  /** Revocation lists past their nextUpdate (DicomTlsCertificateRevocationLists), for the daily check. */
  checkRevocationLists(now: Date = new Date()): TlsWarning[] {
    return this.#tls?.checkRevocationLists(now) ?? [];
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
      { event: "tls-reloaded", trigger, subject: next.certificate.subject, fingerprint256: next.certificate.fingerprint256, revocationLists: next.revocation?.lists.length ?? 0 },
      `DICOM TLS context reloaded (${trigger}): new associations see ${next.certificate.subject}`,
    );
  }

  /** Stop listening, release or abort open associations, close plugins in reverse order. Idempotent. */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      // The HTTP port first: its event streams end, and no scrape sees a half-stopped node.
      await this.#http?.close();
      this.#tls?.close();
      await Promise.all(this.#listeners.map((l) => l.close()));
      await this.scp.close({ timeoutMs: options.timeoutMs ?? 5_000 });
      // After the associations ended (their transfers are recorded), before plugins close: Application Stop, flushed.
      await this.#audit?.stop({ timeoutMs: options.timeoutMs ?? 5_000 });
      this.#auditTls?.close();
      // Last-in first-out, each plugin's hooks within a deadline (the built-in storage closes last).
      await this.#plugins?.close();
      await this.#pluginScu?.close();
      this.#unsubscribe();
      this.#status?.close();
      this.#metrics?.close();
      this.#runtime?.stop();
    })();
    return this.#stopping;
  }

  /** The audit trail's sinks, opened before any port so a bad `AuditTrail` stops the start. */
  async #openAuditTrail(): Promise<void> {
    const a = this.config.auditTrail;
    if (a.file === null && a.syslog === null) return;
    let tlsOptions: (() => ConnectionOptions) | undefined;
    if (a.syslog?.protocol === "tls") {
      // RFC 5425 with the node's TLS settings (validated by the config): the DICOM context, or its own when DICOM TLS is off.
      this.#auditTls = this.#tls === undefined ? await TlsContextManager.create(tlsSettingsFromConfig(this.config)) : undefined;
      const manager = this.#tls ?? this.#auditTls;
      const host = a.syslog.host;
      tlsOptions = () => {
        const { ALPNProtocols: _dicomOnly, ...o } = buildClientOptions(manager!.current, { host });
        return o;
      };
    }
    this.#audit = new AuditTrail({ config: a, aeTitle: this.config.dicomAet, logger: this.#logger, ...(tlsOptions !== undefined && { tlsOptions }) });
  }

  /** The plugins started, in start order (name, version, source, settings, hooks, services). */
  get plugins(): readonly PluginDescription[] {
    return this.#plugins?.plugins ?? [];
  }

  /** Built-in and loaded plugins in dependency order, before any port opens; the first failure stops the start. */
  async #registerPlugins(options: StartOptions): Promise<void> {
    this.#pluginScu = pluginScu(this.config, () => this.#tls?.current);
    this.#plugins = new PluginHost({
      config: this.config,
      configDirectory: options.configDirectory ?? process.cwd(),
      scp: this.scp,
      logger: this.#logger,
      registry: this.metricsRegistry,
      scu: this.#pluginScu,
      tlsContext: () => this.#tls?.current,
      ...(options.pluginRegisterTimeoutMs !== undefined && { registerTimeoutMs: options.pluginRegisterTimeoutMs }),
      ...(options.pluginCloseTimeoutMs !== undefined && { closeTimeoutMs: options.pluginCloseTimeoutMs }),
    });
    await this.#plugins.registerAll(options.plugins ?? []);
  }

  async #listen(host: string | undefined): Promise<void> {
    const tls = this.#tls?.current;
    const onConnection = (socket: Socket | TLSSocket): void => {
      if (serverDiagnostics.connection.hasSubscribers) serverDiagnostics.connection.publish({ socket });
      const served = this.scp.handleConnection(socket);
      if (this.#plugins !== undefined) reportAssociationClosed(this.#plugins, served);
    };
    const onRefusal = (r: ListenerRefusal): void => {
      // OpenSSL's refusal says why (protocol version, cipher, ALPN): that is the reason code operators need.
      const reason = r.reason === ListenerRefusalReasons.HandshakeFailed && r.error !== undefined ? classifyHandshakeError(r.error) : r.reason;
      const offer = reason === HandshakeFailureReasons.NoSharedCipher || reason === HandshakeFailureReasons.UnsupportedProtocol ? clientOffer(r.clientHello, this.#tls?.current.privateKey.asymmetricKeyType) : undefined;
      this.#logger.warn(
        {
          event: "connection-refused",
          reason,
          listenerReason: r.reason,
          peer: `${displayAddress(r.remoteAddress)}:${r.remotePort ?? "?"}`,
          port: r.localPort,
          ...(r.error && { tlsError: (r.error as Error & { code?: string }).code }),
          ...(offer !== undefined && { offered: offer.offered, acceptedBy: offer.acceptedBy }),
        },
        `connection from ${displayAddress(r.remoteAddress)}:${r.remotePort ?? "?"} refused (${reason}): ${r.detail.trimEnd()}${offer === undefined ? "" : `; ${offer.text}`}`,
      );
      void this.#plugins?.tlsRefused({ reason, address: r.remoteAddress, port: r.remotePort, detail: r.detail, certificate: undefined });
      if (serverDiagnostics.connectionRefused.hasSubscribers) {
        const message: ConnectionRefusedMessage = { reason, listenerReason: r.reason, remoteAddress: r.remoteAddress, remotePort: r.remotePort, localPort: r.localPort, detail: r.detail, refusal: r };
        serverDiagnostics.connectionRefused.publish(message);
      }
    };
    const main = new DicomListener({
      port: this.config.dicomPort,
      ...(host !== undefined && { host }),
      ...(tls !== undefined && { tls: buildServerOptions(tls), handshakeTimeoutMs: tls.handshakeTimeoutMs, maxConcurrentHandshakes: this.config.dicomTlsMaximumHandshakes }),
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
  async #verifyPeer(socket: Socket | TLSSocket): Promise<void> {
    const tls = this.#tls?.current;
    if (tls === undefined || !("encrypted" in socket)) return;
    const verdict = evaluatePeer(socket, tls.peerPolicy);
    if (verdict.ok) {
      for (const w of verdict.warnings) this.#logger.warn({ event: "peer-warning", ...peerFields(verdict.peer) }, w);
      if (this.#plugins !== undefined) await pluginTlsVeto(this.#plugins, socket, this.#logger);
      return;
    }
    this.#logger.warn(
      {
        event: "tls-peer-refused",
        reason: verdict.reason,
        ...peerFields(verdict.peer),
        ...revocationFields(verdict.revocation),
      },
      `DICOM TLS peer ${displayAddress(verdict.peer.remoteAddress)}:${verdict.peer.remotePort ?? "?"} refused (${verdict.reason}): ${verdict.detail}`,
    );
    const x509 = (socket).getPeerX509Certificate?.();
    void this.#plugins?.tlsRefused({ reason: verdict.reason, address: socket.remoteAddress, port: socket.remotePort, detail: verdict.detail, certificate: x509 === undefined ? undefined : certificateFacts(x509) });
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
    const fields = requestFields(rq, peer);
    if (!decision.accept) {
      const code = decision.reason === CALLING_AE_NOT_RECOGNIZED ? "CALLING_AE_NOT_RECOGNIZED" : "CALLED_AE_NOT_RECOGNIZED";
      this.#logger.warn({ event: "association-refused", reason: code, ...fields }, `association from ${rq.callingAeTitle} at ${fields.peer} refused (${code}): ${decision.why}`);
      return reject(decision.reason, decision.source, decision.result, decision.why);
    }
    const veto = await this.#plugins?.decideAssociation(rq, peer, peerFacts(peer));
    if (veto !== undefined) {
      const r = veto.rejection;
      this.#logger.warn(
        { event: "association-refused", reason: "PLUGIN_VETO", plugin: veto.plugin, rejectReason: r.name, result: r.result, source: r.source, ...fields },
        `association from ${rq.callingAeTitle} at ${fields.peer} refused by plugin ${veto.plugin} (${r.name}): ${r.why}`,
      );
      return reject(r.reason, r.source, r.result, r.why);
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
