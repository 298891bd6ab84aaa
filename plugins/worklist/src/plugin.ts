/**
 * @dicomtls/plugin-worklist: a Modality Worklist C-FIND SCP over the `.wl` files of a folder, configured as Orthanc's
 * sample worklist plugin is (`"Worklists": { "Enable": true, "Database": "folder" }`). The node's access control
 * (DicomAlwaysAllowFindWorklist, per-modality AllowFindWorklist) decides who may query before the handler runs.
 */

import { isAbsolute, resolve } from "node:path";
import { definePlugin } from "@dicomtls/plugin-api";
import { worklistSettings } from "./settings.js";
import { WorklistFolder, WorklistFolderError } from "./worklist-folder.js";
import { MODALITY_WORKLIST_FIND, worklistFindHandler } from "./worklist-service.js";
import { DEFAULT_ENCODING_TERMS } from "@dicomtls/config";

export default definePlugin({
  name: "worklist",
  version: "0.1.0",
  settingsKey: "Worklists",
  settings: worklistSettings,
  async register(app) {
    const s = app.settings;
    if (!s.Enable || s.Database === undefined) {
      app.logger.warn({ event: "worklist-disabled" }, "Worklists.Enable is not true: the worklist server is off");
      return;
    }
    // Orthanc resolves a relative Database against its working folder; a configuration file's folder is steadier.
    const path = isAbsolute(s.Database) ? s.Database : resolve(app.configDirectory, s.Database);
    const folder = new WorklistFolder(path, {
      onProblem: (p) => app.logger.warn({ event: "worklist-file-skipped", path: p.path }, p.message),
      onRead: (r) => app.logger.info({ event: "worklist-folder-read", path, ...r }, `${r.entries} worklist(s) in ${path}`),
    });
    try {
      await folder.open();
    } catch (err) {
      // The node adds the plugin's name: plugin "worklist" (...): register failed: Worklists.Database: ...
      throw new WorklistFolderError(`Worklists.Database: ${err instanceof Error ? err.message : String(err)}`);
    }
    app.onClose(() => folder.close());
    app.handle(
      MODALITY_WORKLIST_FIND,
      worklistFindHandler({
        source: folder,
        // Orthanc's CaseSensitivePN and DefaultEncoding, as the core C-FIND applies them.
        caseSensitivePN: app.config.caseSensitivePN,
        defaultCharacterSets: [DEFAULT_ENCODING_TERMS[app.config.defaultEncoding]],
        limitAnswers: s.LimitAnswers,
        filterIssuerAet: s.FilterIssuerAet,
        onDone: (o) => app.logger.info({ event: "worklist-find-done", ...o, status: `0x${o.status.toString(16).toUpperCase().padStart(4, "0")}` }, `worklist C-FIND from ${o.callingAet}: ${o.matches} answer(s)`),
      }),
    );
    app.logger.info({ event: "worklist-serving", path, entries: (await folder.entries()).length }, `serving the .wl files of ${path}`);
  },
});
