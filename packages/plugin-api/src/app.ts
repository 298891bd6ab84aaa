/** The app a plugin's register receives: hooks, services, the SCU, the index, a logger, metrics. */

import type { NodeConfig } from "@dicomtls/config";
import type { ServiceHandler, RegisterOptions } from "@dicomtls/scp";
import type { EchoResult, StoreResult } from "@dicomtls/scu";
import type { IndexStore } from "@dicomtls/storage";
import type { Registry } from "prom-client";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import type { PeerInfo } from "@dicomtls/association";
import type { AssociationClosed, AssociationRequest, InstanceRefusal, PeerFacts, ReceivedInstance, StoredInstanceEvent, TlsRefusal } from "./events.js";
import type { AssociationVerdict } from "./rejection.js";

type MaybePromise<T> = T | Promise<T>;

/** A structured logger (pino's shape): a fields object then a message, or a message alone. */
export interface PluginLogger {
  debug(fields: object, message?: string): void;
  debug(message: string): void;
  info(fields: object, message?: string): void;
  info(message: string): void;
  warn(fields: object, message?: string): void;
  warn(message: string): void;
  error(fields: object, message?: string): void;
  error(message: string): void;
}

/**
 * A veto on each A-ASSOCIATE-RQ after the node's access control accepted it; the first refusal wins.
 * `rq` is the decoded PDU (presentation contexts, user information); `request` the same facts, trimmed.
 */
export type AssociationRequestHook = (rq: AAssociateRq, peer: PeerInfo, request: AssociationRequest) => MaybePromise<AssociationVerdict>;

/** A veto on a TLS peer after the handshake and the node's certificate policy; return a why to refuse (the socket closes). */
export type TlsPeerHook = (peer: PeerFacts) => MaybePromise<string | undefined>;

/** Before commit: undefined keeps the instance, an InstanceRefusal (`refuseInstance(status, why)`) answers a failure. */
export type InstanceReceivedHook = (instance: ReceivedInstance) => MaybePromise<InstanceRefusal | undefined>;

/** After the durable commit; runs after the peer's Success is on its way: an error is logged, never sent to the peer. */
export type InstanceStoredHook = (instance: StoredInstanceEvent) => MaybePromise<void>;

export type AssociationClosedHook = (association: AssociationClosed) => MaybePromise<void>;

export type TlsRefusedHook = (refusal: TlsRefusal) => MaybePromise<void>;

/** Sending to the peers of the configuration's DicomModalities, by name, with their TLS settings and timeouts. */
export interface PluginScu {
  /** C-STORE Part 10 files to the modality named `modality` (a key of DicomModalities, or its AE title). */
  store(modality: string, files: readonly string[], options?: { readonly signal?: AbortSignal; readonly associations?: number }): Promise<StoreResult>;
  /** C-ECHO the modality. */
  echo(modality: string): Promise<EchoResult>;
}

/** What a plugin is given. `Settings` is the output of its `settings` schema (undefined without one). */
export interface PluginApp<Settings = undefined> {
  /** The plugin's own name, as it is declared. */
  readonly name: string;
  /** Its configuration section, validated by its schema (defaults applied). */
  readonly settings: Settings;
  /** The node's configuration (read-only). */
  readonly config: NodeConfig;
  /** The folder of the configuration file: where relative paths of a plugin's section resolve. */
  readonly configDirectory: string;
  /** A child logger whose records carry `plugin: <name>`. */
  readonly logger: PluginLogger;
  /** The node's Prometheus registry: register metrics (names starting with `dicomtls_`); served on /metrics. */
  readonly metrics: { readonly registry: Registry };
  /** Send to configured modalities. */
  readonly scu: PluginScu;
  /**
   * The index of stored instances (patient / study / series / instance), to query. Reading it before the storage is
   * open (in register, it is) is fine; it throws ERR_DICOM_PLUGIN_NO_INDEX on a node that keeps no index.
   */
  readonly index: IndexStore;

  onAssociationRequest(hook: AssociationRequestHook): void;
  onTlsPeerVerified(hook: TlsPeerHook): void;
  onInstanceReceived(hook: InstanceReceivedHook): void;
  onInstanceStored(hook: InstanceStoredHook): void;
  onAssociationClosed(hook: AssociationClosedHook): void;
  onTlsRefused(hook: TlsRefusedHook): void;
  /**
   * Serve a SOP class (a plugin adds a service). One handler per SOP class on the node: a second, from any plugin,
   * stops start-up with an error naming both.
   */
  handle(sopClassUid: string, handler: ServiceHandler, options?: RegisterOptions): void;
  /** Runs at stop, after the associations ended; plugins close in reverse order of start, each within a deadline. */
  onClose(hook: () => MaybePromise<void>): void;
}
