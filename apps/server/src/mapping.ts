import type { NodeConfig } from "@dicomtls/config";
import { CommandField, type DimseCommand } from "@dicomtls/pdu-codec";
import { DicomCommand, type AccessPolicy } from "@dicomtls/scp";

/** PS3.4 Table K.6-1: Modality Worklist Information Model - FIND, which Orthanc gates with its own flags. */
const MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31";

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
      },
    })),
  };
}

/** The access-control command a DIMSE request falls under (undefined: not gated, e.g. C-CANCEL). */
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
      return undefined;
  }
}
