import type { RegisterCommand } from "../options.js";
import { registerCert } from "./cert.js";
import { registerConfig } from "./config-command.js";
import { registerEcho } from "./echo-command.js";
import { registerFind } from "./find-command.js";
import { registerGet } from "./get-command.js";
import { registerMove } from "./move-command.js";
import { registerPlugin } from "./plugin-command.js";
import { registerRouter } from "./router-command.js";
import { registerStorage } from "./storage-command.js";
import { registerStore } from "./store-command.js";

/** Every command of the CLI, in help order. Add one line per new command file. */
export const COMMANDS: readonly RegisterCommand[] = [registerEcho, registerStore, registerFind, registerMove, registerGet, registerCert, registerConfig, registerStorage, registerPlugin, registerRouter];
