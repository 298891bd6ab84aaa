export { default, ROUTER_PLUGIN_NAME } from "./plugin.js";
export { routerSettings, queueFileOf, ROUTER_SETTINGS_KEY, MAX_RETRY_INTERVAL_SECONDS, type RouterSettings, type RouterRule } from "./settings.js";
export { RouterQueue, JobState, type Job, type DestinationStatus } from "./queue.js";
export { Forwarder, type ForwarderOptions } from "./forwarder.js";
export { compileMatch, wildcardRegExp, MATCH_KEYS } from "./match.js";
