/**
 * The plugins of one node: started in dependency order within a deadline each, their hooks called in start order,
 * their services tracked (one handler per SOP class), closed last-in first-out within a deadline each.
 */

import type { PeerInfo } from "@dicomtls/association";
import type { NodeConfig } from "@dicomtls/config";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import {
  PluginError,
  PluginErrorCode,
  rejectionOf,
  type AssociationClosed,
  type AssociationClosedHook,
  type AssociationRequestHook,
  type InstanceReceivedHook,
  type InstanceRefusal,
  type InstanceStoredHook,
  type PeerFacts,
  type PluginApp,
  type PluginScu,
  type ReceivedInstance,
  type StoredInstanceEvent,
  type TlsPeerHook,
  type TlsRefusal,
  type TlsRefusedHook,
} from "@dicomtls/plugin-api";
import { VERIFICATION_SOP_CLASS, type RegisterOptions, type Scp, type ServiceHandler } from "@dicomtls/scp";
import type { IndexStore } from "@dicomtls/storage";
import type { Registry } from "prom-client";
import type { Logger } from "../log.js";
import type { LoadedPlugin, NodeHooks, PluginEntry, ServerApp, ServerPlugin } from "../plugin-types.js";
import { startOrder } from "./order.js";
import { withDeadline } from "./deadline.js";

type MaybePromise<T> = T | Promise<T>;

/** One plugin as the host starts it, built-in or loaded. */
interface HostEntry {
  readonly name: string;
  readonly version: string;
  readonly dependencies: readonly string[];
  readonly source: string;
  readonly settingsKey: string | undefined;
  readonly settings: unknown;
  readonly start: (host: PluginHost) => MaybePromise<void>;
}

interface Owned<F> {
  readonly plugin: string;
  readonly fn: F;
}

/** What `dicomtls plugin check` prints of each plugin. */
export interface PluginDescription {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly dependencies: readonly string[];
  readonly settingsKey: string | undefined;
  readonly settings: unknown;
  /** The hooks it registered (onAssociationRequest, ...), in registration order. */
  readonly hooks: readonly string[];
  /** SOP class UIDs it serves. */
  readonly services: readonly string[];
}

export interface PluginHostOptions {
  readonly config: NodeConfig;
  readonly configDirectory: string;
  readonly scp: Scp;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly scu: PluginScu;
  readonly registerTimeoutMs?: number;
  readonly closeTimeoutMs?: number;
}

const BUILT_IN = "built-in";

function entryOf(e: PluginEntry): HostEntry {
  if (!Array.isArray(e) && "plugin" in (e as object)) {
    const { plugin, settings, source } = e as LoadedPlugin;
    return {
      name: plugin.name,
      version: plugin.version,
      dependencies: plugin.dependencies ?? [],
      source,
      settingsKey: plugin.settingsKey,
      settings,
      start: (host) => plugin.register(host.appFor(plugin.name, settings)),
    };
  }
  const [plugin, options] = Array.isArray(e) ? (e as readonly [ServerPlugin, unknown]) : [e as ServerPlugin, undefined];
  return { name: plugin.name, version: BUILT_IN, dependencies: plugin.dependencies ?? [], source: BUILT_IN, settingsKey: undefined, settings: options, start: (host) => plugin.register(host.serverAppFor(plugin.name), options) };
}

export class PluginHost implements NodeHooks {
  readonly #o: PluginHostOptions;
  readonly #association: Owned<AssociationRequestHook>[] = [];
  readonly #tlsPeer: Owned<TlsPeerHook>[] = [];
  readonly #received: Owned<InstanceReceivedHook>[] = [];
  readonly #stored: Owned<InstanceStoredHook>[] = [];
  readonly #closed: Owned<AssociationClosedHook>[] = [];
  readonly #tlsRefused: Owned<TlsRefusedHook>[] = [];
  /** SOP class UID -> the plugin serving it. */
  readonly #services = new Map<string, string>([[VERIFICATION_SOP_CLASS, "the node's Verification service"]]);
  readonly #closers: Owned<() => MaybePromise<void>>[] = [];
  readonly #described: PluginDescription[] = [];
  #index: IndexStore | undefined;

  constructor(options: PluginHostOptions) {
    this.#o = options;
  }

  get wantsReceived(): boolean {
    return this.#received.length > 0;
  }

  /** The plugins started so far, in start order. */
  get plugins(): readonly PluginDescription[] {
    return this.#described;
  }

  /** Orders the entries and registers each within the deadline; the first failure throws a PluginError naming the plugin. */
  async registerAll(entries: readonly PluginEntry[]): Promise<void> {
    const ordered = startOrder(entries.map(entryOf));
    const timeoutMs = this.#o.registerTimeoutMs ?? 30_000;
    for (const e of ordered) {
      const description = { name: e.name, version: e.version, source: e.source, dependencies: e.dependencies, settingsKey: e.settingsKey, settings: e.settings, hooks: [] as string[], services: [] as string[] };
      this.#described.push(description);
      const at = `plugin "${e.name}" (${e.source})`;
      try {
        await withDeadline(Promise.resolve().then(() => e.start(this)), timeoutMs, () => new PluginError(PluginErrorCode.RegisterFailed, `${at}: register did not finish within ${timeoutMs / 1000} s`, { plugin: e.name }));
      } catch (err) {
        if (err instanceof PluginError && err.plugin !== undefined) throw err;
        throw new PluginError(PluginErrorCode.RegisterFailed, `${at}: register failed: ${(err as Error)?.message ?? String(err)}`, { plugin: e.name, cause: err });
      }
      this.#o.logger.info({ event: "plugin-registered", plugin: e.name, version: e.version, source: e.source, hooks: description.hooks, services: description.services.length }, e.source === BUILT_IN ? `plugin ${e.name} registered (built-in)` : `plugin ${e.name} ${e.version} registered (${e.source})`);
    }
  }

  #describe(plugin: string): { hooks: string[]; services: string[] } {
    return this.#described.find((d) => d.name === plugin) as unknown as { hooks: string[]; services: string[] };
  }

  #hook<F>(list: Owned<F>[], kind: string, plugin: string): (fn: F) => void {
    return (fn) => {
      if (typeof fn !== "function") throw new PluginError(PluginErrorCode.Misuse, `plugin "${plugin}": ${kind} expects a function`, { plugin });
      list.push({ plugin, fn });
      this.#describe(plugin).hooks.push(kind);
    };
  }

  #handle(plugin: string): (sopClassUid: string, handler: ServiceHandler, options?: RegisterOptions) => void {
    return (sopClassUid, handler, options) => {
      const owner = this.#services.get(sopClassUid);
      if (owner !== undefined) {
        const first = owner.startsWith("the node") ? owner : `plugin "${owner}"`;
        throw new PluginError(PluginErrorCode.ServiceConflict, `SOP class ${sopClassUid} is served twice: by ${first} and by plugin "${plugin}"; a SOP class has one handler`, { plugin });
      }
      this.#services.set(sopClassUid, plugin);
      this.#describe(plugin).services.push(sopClassUid);
      this.#o.scp.handle(sopClassUid, handler, options);
    };
  }

  #common(plugin: string): Omit<ServerApp, "scp" | "logger" | "node"> {
    return {
      name: plugin,
      config: this.#o.config,
      configDirectory: this.#o.configDirectory,
      metrics: { registry: this.#o.registry },
      scu: this.#o.scu,
      index: this.#indexView(plugin),
      onAssociationRequest: this.#hook(this.#association, "onAssociationRequest", plugin),
      onTlsPeerVerified: this.#hook(this.#tlsPeer, "onTlsPeerVerified", plugin),
      onInstanceReceived: this.#hook(this.#received, "onInstanceReceived", plugin),
      onInstanceStored: this.#hook(this.#stored, "onInstanceStored", plugin),
      onAssociationClosed: this.#hook(this.#closed, "onAssociationClosed", plugin),
      onTlsRefused: this.#hook(this.#tlsRefused, "onTlsRefused", plugin),
      handle: this.#handle(plugin),
      onClose: (fn) => void this.#closers.push({ plugin, fn }),
    };
  }

  /** The app of a plugin loaded from the configuration. */
  appFor(plugin: string, settings: unknown): PluginApp<unknown> {
    return { ...this.#common(plugin), settings, logger: this.#o.logger.child({ plugin }) };
  }

  /** The app of a built-in plugin: the SCP (its handle() tracked like app.handle) and the node side of the hooks. */
  serverAppFor(plugin: string): ServerApp {
    const handle = this.#handle(plugin);
    const scp: Scp = Object.create(this.#o.scp, {
      handle: { value: (uid: string, handler: ServiceHandler, options?: RegisterOptions) => (handle(uid, handler, options), scp) },
    }) as Scp;
    return { ...this.#common(plugin), scp, logger: this.#o.logger, node: this };
  }

  /** Reads through to the index once the storage provided it. */
  #indexView(plugin: string): IndexStore {
    const index = (): IndexStore => {
      if (this.#index === undefined) throw new PluginError(PluginErrorCode.NoIndex, `plugin "${plugin}": this node keeps no index (the storage plugin provides it)`, { plugin });
      return this.#index;
    };
    return {
      find: (q) => index().find(q),
      instances: (s, o) => index().instances(s, o),
      instance: (uid) => index().instance(uid),
      count: (level) => index().count(level),
    };
  }

  provideIndex(index: IndexStore): void {
    this.#index = index;
  }

  /** The first refusal among the plugins' association hooks, with the plugin that refused. */
  async decideAssociation(rq: AAssociateRq, peer: PeerInfo, facts: PeerFacts): Promise<{ plugin: string; rejection: NonNullable<ReturnType<typeof rejectionOf>> } | undefined> {
    if (this.#association.length === 0) return undefined;
    const request = {
      callingAet: rq.callingAeTitle.trim(),
      calledAet: rq.calledAeTitle.trim(),
      peer: facts,
      abstractSyntaxes: rq.presentationContexts.map((pc) => pc.abstractSyntax),
    };
    for (const h of this.#association) {
      const rejection = rejectionOf(await h.fn(rq, peer, request));
      if (rejection !== undefined) return { plugin: h.plugin, rejection };
    }
    return undefined;
  }

  async verifyTlsPeer(peer: PeerFacts): Promise<{ plugin: string; why: string } | undefined> {
    for (const h of this.#tlsPeer) {
      const why = await h.fn(peer);
      if (why !== undefined) return { plugin: h.plugin, why };
    }
    return undefined;
  }

  async instanceReceived(instance: ReceivedInstance): Promise<InstanceRefusal | undefined> {
    for (const h of this.#received) {
      const r = await h.fn(instance);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** Observers: each hook runs, one failing is logged and does not stop the others. */
  async #notify<E>(list: readonly Owned<(e: E) => MaybePromise<void>>[], kind: string, event: E): Promise<void> {
    for (const h of list) {
      try {
        await h.fn(event);
      } catch (err) {
        this.#o.logger.error({ event: "plugin-hook-failed", plugin: h.plugin, hook: kind, code: (err as { code?: unknown })?.code }, `plugin ${h.plugin}: ${kind} hook failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }

  instanceStored(instance: StoredInstanceEvent): Promise<void> {
    return this.#notify(this.#stored, "onInstanceStored", instance);
  }

  get wantsTlsPeer(): boolean {
    return this.#tlsPeer.length > 0;
  }

  get wantsAssociationClosed(): boolean {
    return this.#closed.length > 0;
  }

  associationClosed(a: AssociationClosed): Promise<void> {
    return this.#notify(this.#closed, "onAssociationClosed", a);
  }

  tlsRefused(r: TlsRefusal): Promise<void> {
    return this.#notify(this.#tlsRefused, "onTlsRefused", r);
  }

  /** Close hooks, last registered first, each plugin's within the deadline; a failure or overrun is logged. */
  async close(): Promise<void> {
    const timeoutMs = this.#o.closeTimeoutMs ?? 10_000;
    for (const c of this.#closers.splice(0).reverse()) {
      try {
        await withDeadline(Promise.resolve().then(() => c.fn()), timeoutMs, () => new PluginError(PluginErrorCode.Misuse, `close did not finish within ${timeoutMs / 1000} s`, { plugin: c.plugin }));
      } catch (err) {
        this.#o.logger.error({ event: "plugin-close-failed", plugin: c.plugin }, `closing plugin ${c.plugin} failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}
