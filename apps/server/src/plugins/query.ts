import { DEFAULT_ENCODING_TERMS } from "@dicomtls/config";
import { FindChannels, registerFindService, type ReadStoredAttributes } from "@dicomtls/scp";
import { MAIN_TAG_KEYWORDS } from "@dicomtls/storage";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Association } from "@dicomtls/association";
import type { ServerPlugin } from "../server.js";
import { STORAGE_PLUGIN_NAME, storageOf } from "./storage.js";

export const QUERY_PLUGIN_NAME = "query";

interface FindDone {
  readonly association: Association;
  readonly level?: string;
  readonly matches: number;
  readonly status: number;
  readonly durationMs: number;
  readonly error?: string;
}

const hex = (status: number): string => `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The Query/Retrieve C-FIND SCP of the server (Patient Root and Study Root) over the storage plugin's index, with
 * Orthanc's CaseSensitivePN, LimitFindResults / LimitFindInstances, StorageAccessOnFind (keys the index lacks read
 * from a stored file in the codec pool) and DefaultEncoding; one log record per C-FIND.
 */
export const queryPlugin: ServerPlugin = {
  name: QUERY_PLUGIN_NAME,
  dependencies: [STORAGE_PLUGIN_NAME],
  register(app) {
    const { config, logger } = app;
    const { store, codec } = storageOf(app);
    const index = store.queryIndex();
    const readStoredAttributes: ReadStoredAttributes = async (sopInstanceUid, keywords, signal) => {
      const instance = await index.instance(sopInstanceUid);
      if (instance === undefined) return undefined;
      return await codec.readAttributes(instance.path, keywords, { signal });
    };
    registerFindService(app.scp, {
      index,
      aeTitle: config.dicomAet,
      caseSensitivePN: config.caseSensitivePN,
      limitFindResults: config.limitFindResults,
      limitFindInstances: config.limitFindInstances,
      storageAccessOnFind: config.storageAccessOnFind,
      readStoredAttributes,
      indexedKeywords: MAIN_TAG_KEYWORDS,
      defaultCharacterSets: [DEFAULT_ENCODING_TERMS[config.defaultEncoding]],
    });
    const onFindDone = (message: unknown): void => {
      const m = message as FindDone;
      logger.info(
        {
          event: "find-done",
          callingAet: m.association.callingAeTitle.trim(),
          level: m.level,
          matches: m.matches,
          status: hex(m.status),
          durationMs: Math.round(m.durationMs * 10) / 10,
          ...(m.error !== undefined && { error: m.error }),
        },
        `C-FIND ${m.level ?? "?"} from ${m.association.callingAeTitle.trim()}: ${m.matches} matches, ${hex(m.status)}${m.error === undefined ? "" : ` (${m.error})`}`,
      );
    };
    subscribe(FindChannels.findDone, onFindDone);
    app.onClose(() => void unsubscribe(FindChannels.findDone, onFindDone));
  },
};
