/** `dicomtls plugin check CONFIG`: load and register the plugins of a configuration without opening any port. */

import { Writable } from "node:stream";
import { loadConfig } from "@dicomtls/config";
import { createScp } from "@dicomtls/scp";
import { Registry } from "prom-client";
import { createLogger } from "../log.js";
import type { ServerPlugin } from "../plugin-types.js";
import { configDirectoryOf } from "../main.js";
import { loadPlugins } from "./load-plugins.js";
import { PluginHost, type PluginDescription } from "./plugin-host.js";
import { pluginScu } from "./plugin-scu.js";
import { STORAGE_PLUGIN_NAME } from "./storage.js";

export interface PluginCheck {
  /** The loaded plugins, in start order (built-ins left out). */
  readonly plugins: readonly PluginDescription[];
  /** Native Orthanc plugins that will not run, and the like. */
  readonly warnings: readonly string[];
}

/** Stands for the storage during a check: plugins may depend on it; opening the storage folder is not the check's job. */
const storageStandIn: ServerPlugin = { name: STORAGE_PLUGIN_NAME, register: () => undefined };

/**
 * Loads the configuration and its plugins, validates their sections, and runs each register (with its close hooks
 * afterwards), listening on nothing. Throws ConfigError or PluginError with the same messages as the server's start.
 * `log` receives the plugins' own log lines (JSON), if wanted.
 */
export async function checkPlugins(configPath: string, options: { readonly env?: NodeJS.ProcessEnv; readonly log?: (line: string) => void } = {}): Promise<PluginCheck> {
  const loaded = await loadConfig(configPath, { env: options.env ?? process.env });
  const { plugins, warnings } = await loadPlugins(loaded);
  const log = options.log;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log?.(chunk.toString("utf8").trimEnd());
      done();
    },
  });
  const logger = createLogger({ destination });
  const scp = createScp({ aeTitle: loaded.config.dicomAet });
  const scu = pluginScu(loaded.config, () => undefined);
  const host = new PluginHost({ config: loaded.config, configDirectory: configDirectoryOf(configPath), scp, logger, registry: new Registry(), scu });
  try {
    await host.registerAll([storageStandIn, ...plugins]);
  } finally {
    await host.close();
    await scu.close();
    await scp.close({ timeoutMs: 0 });
  }
  return { plugins: host.plugins.filter((p) => p.source !== "built-in"), warnings };
}
