/** The plugin contract of the server app: what a plugin is given, and what the server is started with. */

import type { DicomTlsPlugin, InstanceRefusal, PluginApp, ReceivedInstance, StoredInstanceEvent } from "@dicomtls/plugin-api";
import type { Scp } from "@dicomtls/scp";
import type { IndexStore } from "@dicomtls/storage";
import type { Logger } from "./log.js";

/** What the built-in storage plugin feeds the hooks of the others with. */
export interface NodeHooks {
  /** Before commit: the first refusal of a plugin's onInstanceReceived hook, if any. */
  instanceReceived(instance: ReceivedInstance): Promise<InstanceRefusal | undefined>;
  /** After the durable commit: every onInstanceStored hook (errors are logged, never reach the peer). */
  instanceStored(instance: StoredInstanceEvent): Promise<void>;
  /** The index app.index answers with. */
  provideIndex(index: IndexStore): void;
  /** Whether any plugin listens (the storage plugin skips building the events otherwise). */
  readonly wantsReceived: boolean;
}

/**
 * What a built-in plugin is given: the public PluginApp (without settings: built-ins take options), the SCP itself
 * (its handle() is tracked: a second handler of a SOP class is a start-up error naming both plugins), the node's
 * pino logger, and the node side of the instance hooks.
 */
export interface ServerApp extends Omit<PluginApp<undefined>, "settings" | "logger" | "name"> {
  readonly name: string;
  readonly scp: Scp;
  readonly logger: Logger;
  readonly node: NodeHooks;
}

/** A built-in plugin: named, with declared dependencies, started in order, closed in reverse (fastify/avvio style). */
export interface ServerPlugin<Options = unknown> {
  readonly name: string;
  readonly dependencies?: readonly string[];
  register(app: ServerApp, options: Options): void | Promise<void>;
}

/** A plugin loaded from the configuration's `Plugins`: its definition, its validated settings, where it came from. */
export interface LoadedPlugin {
  readonly plugin: DicomTlsPlugin;
  readonly settings: unknown;
  /** The file or package it was loaded from. */
  readonly source: string;
}

export type PluginEntry = ServerPlugin | readonly [ServerPlugin<never>, unknown] | LoadedPlugin;

export interface StartOptions {
  readonly logger: Logger;
  /** Interface to bind, DICOM and HTTP ports alike; default all (as Orthanc). */
  readonly host?: string;
  readonly plugins?: readonly PluginEntry[];
  /** The folder of the configuration file (plugins resolve relative paths of their sections against it); default cwd. */
  readonly configDirectory?: string;
  /** Bound on each plugin's register; past it start-up fails naming the plugin. Default 30 s. */
  readonly pluginRegisterTimeoutMs?: number;
  /** Bound on each plugin's close hooks at stop. Default 10 s. */
  readonly pluginCloseTimeoutMs?: number;
}

export class ServerStartError extends Error {
  readonly code = "ERR_DICOM_SERVER_START";
}
