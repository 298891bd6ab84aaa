// A complete dicomtls plugin: list this file in the configuration's "Plugins" and give it a "RetiredAets" section.
import { Counter } from "prom-client";
import { RejectReason, definePlugin, refuseAssociation, refuseInstance } from "@dicomtls/plugin-api";

export default definePlugin({
  name: "retired-aets",
  version: "1.0.0",
  // After the built-in storage: the instance hooks come from it.
  dependencies: ["storage"],
  settingsKey: "RetiredAets",
  settings: (z) =>
    z.object({
      // AE titles whose associations are refused.
      Retired: z.array(z.string()).default([]),
      // Instances of this modality are refused before they are stored (status A900).
      RefusedModality: z.string().optional(),
    }),
  register(app) {
    const { Retired, RefusedModality } = app.settings;
    const stored = new Counter({ name: "dicomtls_retired_aets_stored_total", help: "Instances stored while the plugin ran.", registers: [app.metrics.registry] });

    app.onAssociationRequest((_rq, _peer, request) =>
      Retired.includes(request.callingAet) ? refuseAssociation(RejectReason.CallingAeTitleNotRecognized, `${request.callingAet} is retired`) : undefined,
    );
    app.onInstanceReceived((instance) =>
      instance.header.modality === RefusedModality ? refuseInstance(0xa900, `${RefusedModality} is not accepted here`) : undefined,
    );
    app.onInstanceStored((instance) => {
      stored.inc();
      app.logger.info({ event: "retired-aets-stored", path: instance.path }, `stored ${instance.sopInstanceUid} from ${instance.callingAet}`);
    });
    app.onClose(() => app.logger.info("retired-aets closed"));
  },
});
