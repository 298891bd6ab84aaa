import type { ConnectionOptions } from "node:tls";
import { requestAssociation, type Association, type ProposedPresentationContext, type RequestAssociationOptions } from "@dicomtls/association";
import type { ModalityConfig, NodeConfig } from "@dicomtls/config";
import { isSameAeTitle } from "@dicomtls/scp";
import { buildClientOptions, loadTlsContext, tlsSettingsFromConfig, type TlsContext } from "@dicomtls/tls-context";

/**
 * The DicomModalities entry with this AE title (case-insensitive unless StrictAetComparison, the first by symbolic
 * name as Orthanc's lookup), or undefined.
 */
export function modalityByAet(config: NodeConfig, aeTitle: string): ModalityConfig | undefined {
  return config.dicomModalities.find((m) => isSameAeTitle(config, m.aet, aeTitle));
}

/** "STORESCP (name) at 127.0.0.1:11112", for messages about a modality. */
export function modalityLabel(modality: ModalityConfig): string {
  return `${modality.aet} (${modality.name}) at ${modality.host}:${modality.port}`;
}

/**
 * Opens requestor associations to configured modalities as Orthanc does for its SCU work (C-MOVE sub-operations,
 * storage commitment reports): the modality's Host/Port and AET, calling AET = its LocalAet (else DicomAet), DIMSE
 * and connect timeouts = its Timeout (else DicomScuTimeout), and DICOM TLS when UseDicomTls is true, with the node's
 * certificate and trusted certificates and the server name rule of DicomTlsServerName (the server is always verified).
 */
export class ModalityConnector {
  readonly #config: NodeConfig;
  readonly #nodeTls: () => TlsContext | undefined;
  #ownTls: Promise<TlsContext> | undefined;

  /** `nodeTls`: the listener's context when DICOM TLS is on (it follows reloads); otherwise one is loaded on first use. */
  constructor(config: NodeConfig, nodeTls: () => TlsContext | undefined) {
    this.#config = config;
    this.#nodeTls = nodeTls;
  }

  /** The connection part of requestAssociation's options for `modality`. */
  async options(modality: ModalityConfig): Promise<Omit<RequestAssociationOptions, "presentationContexts">> {
    const timeoutMs = modality.timeout * 1000;
    return {
      host: modality.host,
      port: modality.port,
      callingAeTitle: modality.localAet,
      calledAeTitle: modality.aet,
      maxPduLength: this.#config.maximumPduLength,
      ...(modality.useDicomTls && { tls: await this.#tlsOptions(modality) }),
      ...(timeoutMs > 0 && { timeouts: { connectMs: timeoutMs, associateMs: timeoutMs, dimseMs: timeoutMs, releaseMs: timeoutMs } }),
    };
  }

  /** A requestor association to `modality` proposing `contexts`. */
  async open(modality: ModalityConfig, contexts: readonly ProposedPresentationContext[]): Promise<Association> {
    return await requestAssociation({ ...(await this.options(modality)), presentationContexts: contexts });
  }

  async #tlsOptions(modality: ModalityConfig): Promise<ConnectionOptions> {
    let ctx = this.#nodeTls();
    if (ctx === undefined) {
      // DICOM TLS off on our port, yet this modality wants it: the same certificate keys, loaded for the SCU side.
      this.#ownTls ??= loadTlsContext(tlsSettingsFromConfig(this.#config));
      const pending = this.#ownTls;
      pending.catch(() => {
        if (this.#ownTls === pending) this.#ownTls = undefined;
      });
      try {
        ctx = await pending;
      } catch (err) {
        throw new Error(`DicomModalities.${modality.name} has UseDicomTls but the node's TLS settings cannot be loaded: ${(err as Error).message}`, { cause: err });
      }
    }
    return buildClientOptions(ctx, {
      host: modality.host,
      port: modality.port,
      ...(modality.tlsServerName !== null && { checkServerName: modality.tlsServerName }),
    });
  }
}
