import type { ConnectionOptions } from "node:tls";
import type { RequestTimeouts } from "@dicomtls/association";
import type { ModalityConfig, NodeConfig } from "@dicomtls/config";
import { isSameAeTitle } from "@dicomtls/scp";
import { buildClientOptions, type TlsContext } from "@dicomtls/tls-context";

/** How the node reaches one of its DicomModalities: what requestAssociation needs besides the contexts. */
export interface ModalityConnection {
  readonly host: string;
  readonly port: number;
  readonly calledAeTitle: string;
  /** The modality's LocalAet (the node's DicomAet when it sets none). */
  readonly callingAeTitle: string;
  /** Set when the modality has UseDicomTls: the node's certificate, the node's trust, the modality's name check. */
  readonly tls?: ConnectionOptions;
  /** The modality's Timeout (else DicomScuTimeout) for connect, association and each response; none when 0. */
  readonly timeouts: RequestTimeouts;
  readonly label: string;
}

/** The first DicomModalities entry with this AE title (StrictAetComparison decides case), as Orthanc looks a requester up. */
export function modalityByAet(config: NodeConfig, aeTitle: string): ModalityConfig | undefined {
  return config.dicomModalities.find((m) => isSameAeTitle(config, m.aet, aeTitle));
}

/**
 * Outgoing associations to a modality (storage commitment reports here; C-MOVE sub-operations use the same rules):
 * UseDicomTls with the node's own TLS context (its certificate and trusted certificates), the server name checked as
 * the modality's DicomTlsServerName-style option says (Host by default), LocalAet and Timeout.
 */
export function modalityConnection(config: NodeConfig, modality: ModalityConfig, tls: TlsContext | undefined): ModalityConnection {
  const label = `${modality.aet} (DicomModalities "${modality.name}") at ${modality.host}:${modality.port}`;
  let options: ConnectionOptions | undefined;
  if (modality.useDicomTls) {
    if (tls === undefined) throw new Error(`${label} has UseDicomTls true but DicomTlsEnabled is false: the node has no certificate to call it with`);
    options = buildClientOptions(tls, { host: modality.host, port: modality.port, ...(modality.tlsServerName !== null && { checkServerName: modality.tlsServerName }) });
  }
  const ms = modality.timeout * 1000;
  return {
    host: modality.host,
    port: modality.port,
    calledAeTitle: modality.aet,
    callingAeTitle: modality.localAet,
    ...(options !== undefined && { tls: options }),
    timeouts: ms > 0 ? { connectMs: ms, associateMs: ms, dimseMs: ms } : {},
    label,
  };
}
