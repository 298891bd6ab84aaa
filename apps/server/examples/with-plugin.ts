// Run: node --conditions=dicomtls-source --import tsx apps/server/examples/with-plugin.ts
// Starts a plain DICOM node on a free port with a plugin that vetoes one AE title and counts it in a metric of its own,
// C-ECHOes it, reads the metric from the node's /metrics (the HTTP port, also on a free port), and stops.
import { Counter } from "prom-client";
import { loadConfig } from "@dicomtls/config";
import { echo } from "@dicomtls/scu";
import { DicomTlsServer, builtinPlugins, createLogger, type ServerPlugin } from "@dicomtls/server";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "dicomtls-example-"));
writeFileSync(join(dir, "config.json"), JSON.stringify({ DicomAet: "EXAMPLE", StorageDirectory: "storage" }));
const loaded = await loadConfig(join(dir, "config.json"));
// Port 0: the system picks a free port (a configuration file would say e.g. "DicomPort" : 4242, "HttpPort" : 8042).
const config = { ...loaded.config, dicomPort: 0, httpPort: 0 };

// A plugin: a name, the plugins it needs first, and register(app) adding services or hooks.
const noLegacy: ServerPlugin = {
  name: "no-legacy-aet",
  register(app) {
    const vetoes = new Counter({ name: "dicomtls_legacy_vetoes_total", help: "Associations from LEGACY refused.", registers: [app.metrics.registry] });
    app.onAssociationRequest((rq) => {
      if (rq.callingAeTitle !== "LEGACY") return undefined;
      vetoes.inc();
      return "the LEGACY modality is retired";
    });
    app.onClose(() => app.logger.info("no-legacy-aet closed"));
  },
};

const server = await DicomTlsServer.start(config, { logger: createLogger(), plugins: [...builtinPlugins(config), noLegacy] });
const result = await echo({ host: "127.0.0.1", port: server.ports.dicom, callingAeTitle: "CT1", calledAeTitle: "EXAMPLE" });
console.log(`echo: ${result.ok ? "Success" : "failed"}`);
await echo({ host: "127.0.0.1", port: server.ports.dicom, callingAeTitle: "LEGACY", calledAeTitle: "EXAMPLE" }).catch((err: Error) =>
  console.log(`LEGACY refused: ${err.message}`),
);
const metrics = await (await fetch(`http://127.0.0.1:${server.ports.http}/metrics`)).text();
console.log(metrics.split("\n").find((line) => line.startsWith("dicomtls_legacy_vetoes_total")));
await server.stop();
