import { createGetService, createMoveService, type RetrieveInstance, type RetrieveSource, type RetrieveSummary } from "@dicomtls/scp";
import { QueryLevel, type IndexStore, type InstanceSelector } from "@dicomtls/storage";
import { displayAddress } from "../diagnostics-log.js";
import { ModalityConnector, modalityByAet, modalityLabel } from "../modality-connection.js";
import type { ServerApp, ServerPlugin } from "../server.js";
import { STORAGE_PLUGIN_NAME, storageOf } from "./storage.js";

export const RETRIEVE_PLUGIN_NAME = "retrieve";

const hex = (status: number): string => `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The index as the retrieve services' source: the instances a C-MOVE / C-GET identifier designates, streamed by
 * IndexStore.instances. AccessionNumber (Orthanc's STUDY-level stand-in for an empty StudyInstanceUID) is first
 * resolved to the studies that carry it.
 */
export function indexSource(index: IndexStore): RetrieveSource {
  return {
    async *instances(selector, { signal }): AsyncGenerator<RetrieveInstance> {
      let studyInstanceUids = selector.studyInstanceUids;
      if (selector.accessionNumbers !== undefined && studyInstanceUids === undefined) {
        const studies: string[] = [];
        const found = index.find({ level: QueryLevel.Study, conditions: [{ keyword: "AccessionNumber", anyOf: selector.accessionNumbers }], signal });
        for await (const record of found) {
          const study = record.attributes["StudyInstanceUID"];
          if (study !== undefined) studies.push(study);
        }
        studyInstanceUids = studies;
      }
      const { accessionNumbers: _resolved, ...rest } = selector;
      const query: InstanceSelector = { ...rest, ...(studyInstanceUids !== undefined && { studyInstanceUids }) };
      for await (const i of index.instances(query, { signal })) {
        yield {
          sopInstanceUid: i.sopInstanceUid,
          sopClassUid: i.sopClassUid,
          transferSyntaxUid: i.transferSyntaxUid,
          path: i.path,
          ...(i.studyInstanceUid !== undefined && { studyInstanceUid: i.studyInstanceUid }),
          ...(i.patientId !== undefined && { patientId: i.patientId }),
          ...(i.patientName !== undefined && { patientName: i.patientName }),
          ...(i.accessionNumber !== undefined && { accessionNumber: i.accessionNumber }),
        };
      }
    },
  };
}

/** One record per C-MOVE / C-GET: who asked, what, where to, and how it ended (the first failure reasons included). */
function logRetrieve(logger: ServerApp["logger"], s: RetrieveSummary): void {
  const a = s.association;
  const record = {
    event: s.kind === "C-MOVE" ? "c-move" : "c-get",
    callingAet: a.callingAeTitle.trim(),
    peer: `${displayAddress(a.peer.address)}:${a.peer.port}`,
    ...(s.level !== undefined && { level: s.level }),
    ...(s.destination !== undefined && { destination: s.destination }),
    status: hex(s.status),
    matched: s.matched,
    completed: s.completed,
    failed: s.failed,
    warning: s.warning,
    ...(s.cancelled && { cancelled: true }),
    ...(s.failures.length > 0 && { failures: s.failures }),
  };
  const to = s.destination === undefined ? "" : ` to ${s.destination}`;
  const text = `${s.kind} from ${record.callingAet}${to}: ${hex(s.status)}, ${s.completed} completed, ${s.failed} failed, ${s.warning} warning of ${s.matched}${s.cancelled ? " (cancelled)" : ""}${s.failures[0] === undefined ? "" : `; ${s.failures[0].reason}`}`;
  if (s.status === 0 || s.status === 0xfe00) logger.info(record, text);
  else logger.warn(record, text);
}

/**
 * Query/Retrieve C-MOVE and C-GET SCP (Patient Root and Study Root) over the storage plugin's store. The Move
 * Destination is looked up in DicomModalities (StrictAetComparison applies) and reached with that modality's
 * UseDicomTls, LocalAet and Timeout; DicomAlwaysAllowMove/Get and AllowMove/AllowGet are the SCP's access control.
 */
export const retrievePlugin: ServerPlugin<undefined> = {
  name: RETRIEVE_PLUGIN_NAME,
  dependencies: [STORAGE_PLUGIN_NAME],
  register(app) {
    const { store, codec } = storageOf(app);
    const source = indexSource(store.queryIndex());
    const connector = new ModalityConnector(app.config, () => app.tlsContext());
    const onFinished = (s: RetrieveSummary): void => logRetrieve(app.logger, s);
    createMoveService({
      source,
      codec,
      resolveDestination: (aeTitle) => {
        const modality = modalityByAet(app.config, aeTitle);
        if (modality === undefined) return undefined;
        return { label: modalityLabel(modality), open: (contexts) => connector.open(modality, contexts) };
      },
      onFinished,
    }).register(app.scp);
    createGetService({ source, codec, onFinished }).register(app.scp);
  },
};
