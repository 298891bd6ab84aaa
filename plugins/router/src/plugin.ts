/** The router plugin: each stored instance a rule matches is queued for the rule's destinations and forwarded. */

import { PluginError, PluginErrorCode, definePlugin } from "@dicomtls/plugin-api";
import { Forwarder } from "./forwarder.js";
import { compileMatch } from "./match.js";
import { RouterQueue } from "./queue.js";
import { MAX_RETRY_INTERVAL_SECONDS, ROUTER_SETTINGS_KEY, queueFileOf, routerSettings } from "./settings.js";

export const ROUTER_PLUGIN_NAME = "router";

export default definePlugin({
  name: ROUTER_PLUGIN_NAME,
  version: "0.1.0",
  dependencies: ["storage"],
  settingsKey: ROUTER_SETTINGS_KEY,
  settings: routerSettings,
  register(app) {
    const s = app.settings;
    const modalities = new Set(app.config.dicomModalities.map((m) => m.name));
    for (const rule of s.Rules) {
      for (const d of rule.Destinations) {
        if (!modalities.has(d)) {
          const known = [...modalities].join(", ") || "none";
          throw new PluginError(PluginErrorCode.InvalidSettings, `Router.Rules "${rule.Name}": destination "${d}" is not a DicomModalities name (known: ${known})`, { plugin: ROUTER_PLUGIN_NAME });
        }
      }
    }
    const rules = s.Rules.map((r) => ({ name: r.Name, destinations: r.Destinations, match: compileMatch(r.Match) }));
    const queue = new RouterQueue(queueFileOf(s, app.config.storageDirectory, app.configDirectory));
    const forwarder = new Forwarder({
      queue,
      scu: app.scu,
      logger: app.logger,
      concurrency: s.ConcurrencyPerDestination,
      batchSize: s.BatchSize,
      retryIntervalMs: s.RetryIntervalSeconds * 1000,
      maxRetryIntervalMs: MAX_RETRY_INTERVAL_SECONDS * 1000,
      maxAgeMs: s.MaxAgeSeconds * 1000,
    });
    app.onInstanceStored((i) => {
      if (i.duplicate) return;
      const jobs = rules.filter((r) => r.match(i)).flatMap((r) => r.destinations.map((destination) => ({ destination, rule: r.name, sopInstanceUid: i.sopInstanceUid, path: i.path })));
      if (jobs.length === 0) return;
      queue.enqueue(jobs, Date.now());
      forwarder.wake();
    });
    app.onClose(async () => {
      await forwarder.close();
      queue.close();
    });
    const waiting = queue.status().reduce((n, d) => n + d.queued, 0);
    app.logger.info({ event: "router-started", rules: rules.length, queue: queue.file, waiting }, `router: ${rules.length} rule${rules.length === 1 ? "" : "s"}, ${waiting} job${waiting === 1 ? "" : "s"} waiting in ${queue.file}`);
    // Jobs left by the last run (a crash, kill -9, a stop) go out now.
    forwarder.wake();
  },
});
