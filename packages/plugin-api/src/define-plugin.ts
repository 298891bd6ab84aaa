/** definePlugin: a plugin is a name, a version, its dependencies, its settings schema and a register function. */

import { z } from "zod";
import type { PluginApp } from "./app.js";

/** The stable codes of plugin errors. */
export const PluginErrorCode = {
  /** The module is not a plugin (no default export of the plugin shape), or a field has the wrong type. */
  InvalidPlugin: "ERR_DICOM_PLUGIN_INVALID",
  /** A `Plugins` entry cannot be found or imported. */
  LoadFailed: "ERR_DICOM_PLUGIN_LOAD",
  /** The plugin's configuration section does not match its schema. */
  InvalidSettings: "ERR_DICOM_PLUGIN_SETTINGS",
  /** A dependency is missing or dependencies form a cycle, or two plugins have one name. */
  Dependencies: "ERR_DICOM_PLUGIN_DEPENDENCIES",
  /** Two plugins serve one SOP class. */
  ServiceConflict: "ERR_DICOM_PLUGIN_SERVICE_CONFLICT",
  /** register threw, or did not finish within the deadline. */
  RegisterFailed: "ERR_DICOM_PLUGIN_REGISTER",
  /** A hook was registered after start-up, or the app was used in a way the node cannot honour. */
  Misuse: "ERR_DICOM_PLUGIN_MISUSE",
  /** The node keeps no index for app.index. */
  NoIndex: "ERR_DICOM_PLUGIN_NO_INDEX",
} as const;
export type PluginErrorCode = (typeof PluginErrorCode)[keyof typeof PluginErrorCode];

/** A plugin problem; the message names the plugin (and its file, key or peer) at fault. */
export class PluginError extends Error {
  override readonly name = "PluginError";
  readonly code: PluginErrorCode;
  /** The plugin at fault, when known. */
  readonly plugin: string | undefined;
  constructor(code: PluginErrorCode, message: string, options: { readonly plugin?: string; readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.plugin = options.plugin;
  }
}

/** What a plugin author writes. `S` is the zod schema of its configuration section. */
export interface PluginDefinition<S extends z.ZodType = z.ZodUndefined> {
  /** Unique on the node; used in logs, errors and `dependencies` of other plugins. */
  readonly name: string;
  /** The plugin's own version (semver), printed by `dicomtls plugin check`. */
  readonly version: string;
  /** Names of plugins that must register before this one ("storage" is the node's built-in storage). */
  readonly dependencies?: readonly string[];
  /** Top-level key of the configuration file holding this plugin's section ("Router", "Worklists"). */
  readonly settingsKey?: string;
  /**
   * zod schema of that section; an absent section is validated as `undefined` (give defaults with `.default({})`).
   * Or a function given the node's zod that returns the schema: a one-file plugin then needs no zod of its own.
   */
  readonly settings?: S | ((zod: typeof z) => S);
  /** Called once at start-up, before any port opens; hooks and handlers are registered here, synchronously or not. */
  register(app: PluginApp<z.output<S>>): void | Promise<void>;
}

/** A plugin as the node holds it (the same object definePlugin was given, checked). */
export type DicomTlsPlugin<S extends z.ZodType = z.ZodType> = PluginDefinition<S>;

const NAME = /^[A-Za-z0-9@][A-Za-z0-9@/._-]*$/;

/**
 * Checks that `value` has the plugin shape (a module's default export may be a plain object of it) and returns it
 * typed. `source` names the module in the error.
 */
export function assertPlugin(value: unknown, source: string): DicomTlsPlugin {
  const fail = (what: string): never => {
    throw new PluginError(PluginErrorCode.InvalidPlugin, `${source}: ${what}`);
  };
  if (value === null || typeof value !== "object") return fail(`the default export is not a plugin: expected definePlugin({ name, version, register }), got ${value === null ? "null" : typeof value}`);
  const p = value as Record<string, unknown>;
  if (typeof p.name !== "string" || !NAME.test(p.name)) return fail(`name: expected a non-empty string of letters, digits, @ / . _ -, got ${JSON.stringify(p.name)}`);
  const at = `plugin "${p.name}"`;
  if (typeof p.version !== "string" || p.version === "") return fail(`${at}: version: expected a non-empty string, got ${JSON.stringify(p.version)}`);
  if (typeof p.register !== "function") return fail(`${at}: register: expected a function, got ${typeof p.register}`);
  if (p.dependencies !== undefined && (!Array.isArray(p.dependencies) || !p.dependencies.every((d) => typeof d === "string"))) return fail(`${at}: dependencies: expected an array of plugin names`);
  const hasSchema = p.settings !== undefined;
  if (hasSchema && typeof p.settings !== "function" && typeof (p.settings as { safeParse?: unknown }).safeParse !== "function") {
    return fail(`${at}: settings: expected a zod schema, or a function (z) => schema`);
  }
  if (p.settingsKey !== undefined && (typeof p.settingsKey !== "string" || p.settingsKey === "")) return fail(`${at}: settingsKey: expected a non-empty string`);
  if (hasSchema !== (p.settingsKey !== undefined)) return fail(`${at}: settings and settingsKey go together (the schema validates the section under the key)`);
  return value as DicomTlsPlugin;
}

/** Declares a plugin: checks its shape at once (a mistake fails where it is written) and returns it. */
export function definePlugin<S extends z.ZodType = z.ZodUndefined>(definition: PluginDefinition<S>): DicomTlsPlugin<S> {
  assertPlugin(definition, `definePlugin(${JSON.stringify((definition as { name?: unknown }).name)})`);
  return definition;
}

/** The plugin's settings schema (calling the `(z) => schema` form with the node's zod); undefined without one. */
export function settingsSchemaOf(plugin: DicomTlsPlugin): z.ZodType | undefined {
  const s = plugin.settings;
  if (s === undefined) return undefined;
  const schema = typeof s === "function" ? (s)(z) : s;
  if (typeof (schema as { safeParse?: unknown } | undefined)?.safeParse !== "function") {
    throw new PluginError(PluginErrorCode.InvalidPlugin, `plugin "${plugin.name}": settings(z) did not return a zod schema`, { plugin: plugin.name });
  }
  return schema;
}
