/** Where the node's connection life meets the plugins' TLS and association-closed hooks. */

import type { TLSSocket } from "node:tls";
import type { Association } from "@dicomtls/association";
import { displayAddress } from "../diagnostics-log.js";
import type { Logger } from "../log.js";
import { certificateFacts, peerFacts } from "./facts.js";
import type { PluginHost } from "./plugin-host.js";

/** The plugins' onAssociationClosed hooks hear how the association of `served` ended (nothing when none listens). */
export function reportAssociationClosed(host: PluginHost, served: Promise<Association | undefined>): void {
  if (!host.wantsAssociationClosed) return;
  const started = performance.now();
  void served.then(async (a) => {
    if (a === undefined) return;
    const end = await a.closed;
    await host.associationClosed({
      callingAet: a.callingAeTitle.trim(),
      calledAet: a.calledAeTitle.trim(),
      peer: peerFacts(a.peer),
      how: end.kind,
      ...(end.kind === "aborted" && { error: { code: end.error.code, message: end.error.message } }),
      durationMs: performance.now() - started,
    });
  });
}

/**
 * The plugins' onTlsPeerVerified hooks, after the node's certificate policy accepted the peer: a why refuses it
 * (logged as tls-peer-refused with reason PLUGIN_VETO and the plugin, heard by onTlsRefused, the socket destroyed).
 */
export async function pluginTlsVeto(host: PluginHost, socket: TLSSocket, logger: Logger): Promise<void> {
  if (!host.wantsTlsPeer) return;
  const x509 = socket.getPeerX509Certificate();
  const certificate = x509 === undefined ? undefined : certificateFacts(x509);
  const peer = { address: displayAddress(socket.remoteAddress), port: socket.remotePort ?? 0, tls: { protocol: socket.getProtocol(), cipher: socket.getCipher()?.name, certificate } };
  const veto = await host.verifyTlsPeer(peer);
  if (veto === undefined) return;
  const at = `${peer.address}:${peer.port}`;
  logger.warn(
    { event: "tls-peer-refused", reason: "PLUGIN_VETO", plugin: veto.plugin, peer: at, ...(x509 !== undefined && { certSubject: x509.subject.replace(/\n/g, ", "), certFingerprint256: x509.fingerprint256 }) },
    `DICOM TLS peer ${at} refused by plugin ${veto.plugin}: ${veto.why}`,
  );
  void host.tlsRefused({ reason: "PLUGIN_VETO", address: socket.remoteAddress, port: socket.remotePort, detail: veto.why, certificate });
  throw Object.assign(new Error(`PLUGIN_VETO: ${veto.why}`), { code: "PLUGIN_VETO" });
}
