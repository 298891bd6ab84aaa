export { default, default as worklistPlugin } from "./plugin.js";
export { worklistSettings, type WorklistSettings } from "./settings.js";
export { WorklistFolder, WorklistFolderError, type WorklistFolderOptions } from "./worklist-folder.js";
export { readWorklistFile, decodeWorklistFile, WorklistFileError, type WorklistEntry } from "./wl-file.js";
export { parseQueryItem, matches, matchingItems, type QueryItem, type QueryKey } from "./query.js";
export { encodeAnswer } from "./answer.js";
export {
  worklistFindHandler,
  withIssuerAet,
  MODALITY_WORKLIST_FIND,
  type WorklistSource,
  type WorklistServiceOptions,
  type WorklistFindOutcome,
} from "./worklist-service.js";
