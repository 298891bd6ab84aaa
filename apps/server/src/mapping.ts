import type { NodeConfig } from "@dicomtls/config";
import { CommandField, type DimseCommand } from "@dicomtls/pdu-codec";
import { DicomCommand, type AccessPolicy } from "@dicomtls/scp";

/** PS3.4 Table K.6-1: Modality Worklist Information Model - FIND, which Orthanc gates with its own flags. */
const MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31";

/** PS3.7 Table E.1-1: N-EVENT-REPORT-RQ and N-ACTION-RQ (their codec arrives with the commitment service). */
const N_EVENT_REPORT_RQ = 0x0100;
const N_ACTION_RQ = 0x0130;

function nServiceCommand(field: number): DicomCommand | undefined {
  if (field === N_ACTION_RQ) return DicomCommand.NAction;
  if (field === N_EVENT_REPORT_RQ) return DicomCommand.EventReport;
  return undefined;
}

/** Orthanc's access-control inputs, from the configuration. */
export function accessPolicyOf(config: NodeConfig): AccessPolicy {
  return {
    ownAet: config.dicomAet,
    checkCalledAet: config.dicomCheckCalledAet,
    strictAetComparison: config.strictAetComparison,
    checkModalityHost: config.dicomCheckModalityHost,
    checkModalityCertificate: config.dicomTlsCheckModalityCertificate,
    alwaysAllow: {
      echo: config.dicomAlwaysAllowEcho,
      store: config.dicomAlwaysAllowStore,
      find: config.dicomAlwaysAllowFind,
      findWorklist: config.dicomAlwaysAllowFindWorklist,
      get: config.dicomAlwaysAllowGet,
      move: config.dicomAlwaysAllowMove,
    },
    modalities: config.dicomModalities.map((m) => ({
      name: m.name,
      aet: m.aet,
      host: m.host,
      allow: {
        echo: m.allowEcho,
        store: m.allowStore,
        find: m.allowFind,
        findWorklist: m.allowFindWorklist,
        get: m.allowGet,
        move: m.allowMove,
        nAction: m.allowNAction,
        eventReport: m.allowEventReport,
      },
    })),
  };
}

/**
 * The access-control command a DIMSE request falls under (undefined: not gated, e.g. C-CANCEL; the other N- services
 * are gated by no Orthanc key and reach their handler, or the 0122H answer when there is none).
 */
export function accessCommandOf(command: DimseCommand): DicomCommand | undefined {
  switch (command.commandField) {
    case CommandField.CEchoRq:
      return DicomCommand.Echo;
    case CommandField.CStoreRq:
      return DicomCommand.Store;
    case CommandField.CFindRq:
      return command.affectedSopClassUid === MODALITY_WORKLIST_FIND ? DicomCommand.FindWorklist : DicomCommand.Find;
    case CommandField.CGetRq:
      return DicomCommand.Get;
    case CommandField.CMoveRq:
      return DicomCommand.Move;
    default:
      return nServiceCommand(Number(command.commandField));
  }
}
