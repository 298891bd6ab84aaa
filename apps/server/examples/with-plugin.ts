// Run: node --conditions=dicomtls-source --import tsx apps/server/examples/with-plugin.ts
// Starts a plain DICOM node on a free port with a plugin that vetoes one AE title, C-ECHOes it, and stops.
import { loadConfig } from "@dicomtls/config";
import { echo } from "@dicomtls/scu";
import { DicomTlsServer, builtinPlugins, createLogger, type ServerPlugin } from "@dicomtls/server";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "dicomtls-example-"));
writeFileSync(join(dir, "config.json"), JSON.stringify({ DicomAet: "EXAMPLE", StorageDirectory: "storage" }));
const loaded = await loadConfig(join(dir, "config.json"));
// Port 0: the system picks a free port (a configuration file would say e.g. "DicomPort" : 4242).
const config = { ...loaded.config, dicomPort: 0 };

// A plugin: a name, the plugins it needs first, and register(app) adding services or hooks.
const noLegacy: ServerPlugin = {
  name: "no-legacy-aet",
  register(app) {
    app.onAssociationRequest((rq) => (rq.callingAeTitle === "LEGACY" ? "the LEGACY modality is retired" : undefined));
    app.onClose(() => app.logger.info("no-legacy-aet closed"));
  },
};

const server = await DicomTlsServer.start(config, { logger: createLogger(), plugins: [...builtinPlugins(config), noLegacy] });
const result = await echo({ host: "127.0.0.1", port: server.ports.dicom, callingAeTitle: "CT1", calledAeTitle: "EXAMPLE" });
console.log(`echo: ${result.ok ? "Success" : "failed"}`);
await echo({ host: "127.0.0.1", port: server.ports.dicom, callingAeTitle: "LEGACY", calledAeTitle: "EXAMPLE" }).catch((err: Error) =>
  console.log(`LEGACY refused: ${err.message}`),
);
await server.stop();
