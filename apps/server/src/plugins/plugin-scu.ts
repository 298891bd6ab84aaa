/** The SCU a plugin sends with: DicomModalities by name, with their AE titles, timeouts and TLS settings. */

import type { ConnectionOptions } from "node:tls";
import type { ModalityConfig, NodeConfig } from "@dicomtls/config";
import { PluginError, PluginErrorCode, type PluginScu } from "@dicomtls/plugin-api";
import { createCodecRunner, type CodecRunner } from "@dicomtls/association";
import { echo, store } from "@dicomtls/scu";
import { buildClientOptions, loadTlsContext, tlsSettingsFromConfig, type TlsContext } from "@dicomtls/tls-context";

/**
 * `tls`: the node's current TLS context when DicomTlsEnabled (reloads follow); else one is loaded on first use.
 * One codec runner serves every send (a pool per call would cost its start-up each time); `close` ends it.
 */
export function pluginScu(config: NodeConfig, tls: () => TlsContext | undefined): PluginScu & { close(): Promise<void> } {
  let own: Promise<TlsContext> | undefined;
  let codec: CodecRunner | undefined;
  const modalityOf = (name: string): ModalityConfig => {
    const m = config.dicomModalities.find((x) => x.name === name) ?? config.dicomModalities.find((x) => x.aet.toUpperCase() === name.toUpperCase());
    if (m === undefined) {
      const known = config.dicomModalities.map((x) => x.name).join(", ") || "none";
      throw new PluginError(PluginErrorCode.Misuse, `no modality "${name}" in DicomModalities (known: ${known})`);
    }
    return m;
  };
  const target = async (m: ModalityConfig) => {
    let options: ConnectionOptions | undefined;
    if (m.useDicomTls) {
      const ctx = tls() ?? (await (own ??= loadTlsContext(tlsSettingsFromConfig(config))));
      options = buildClientOptions(ctx, { host: m.host, port: m.port, ...(m.tlsServerName !== null && { checkServerName: m.tlsServerName }) });
    }
    const ms = m.timeout * 1000;
    return {
      host: m.host,
      port: m.port,
      callingAeTitle: m.localAet,
      calledAeTitle: m.aet,
      maxPduLength: config.maximumPduLength,
      ...(options !== undefined && { tls: options }),
      ...(ms > 0 && { timeouts: { connectMs: ms, associateMs: ms, dimseMs: ms } }),
    };
  };
  return {
    async store(modality, files, options = {}) {
      const t = await target(modalityOf(modality));
      codec ??= createCodecRunner();
      return await store({ ...t, files, codec, ...(options.associations !== undefined && { associations: options.associations }), ...(options.signal !== undefined && { signal: options.signal }) });
    },
    async echo(modality) {
      return await echo({ ...(await target(modalityOf(modality))) });
    },
    async close() {
      await codec?.close();
    },
  };
}
