export { DicomTlsServer, ServerStartError, type ServerApp, type ServerPlugin, type PluginEntry, type StartOptions } from "./server.js";
export { accessPolicyOf, accessCommandOf } from "./mapping.js";
export { createLogger, type Logger } from "./log.js";
export { runServer, type RunOptions } from "./main.js";
export { builtinPlugins } from "./plugins/index.js";
export type { AssociationStats } from "./association-stats.js";
