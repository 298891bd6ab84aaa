import type { NodeConfig } from "@dicomtls/config";
import type { PluginEntry } from "../server.js";
import { queryPlugin } from "./query.js";
import { commitmentPlugin } from "./commitment.js";
import { retrievePlugin } from "./retrieve.js";
import { storagePlugin } from "./storage.js";

/** The plugins every dicomtls server runs, in start order. */
export function builtinPlugins(_config: NodeConfig): PluginEntry[] {
  return [storagePlugin, queryPlugin, retrievePlugin, commitmentPlugin];
}
