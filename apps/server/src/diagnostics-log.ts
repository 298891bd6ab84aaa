import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { AssociationChannels, type Association, type PeerInfo } from "@dicomtls/association";
import { ScpChannels } from "@dicomtls/scp";
import type { PeerInfo as TlsPeerInfo, RevocationFinding } from "@dicomtls/tls-context";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import type { Logger } from "./log.js";

/** The fields of a TLS peer a refusal or audit record carries. */
export function peerFields(peer: TlsPeerInfo): Record<string, unknown> {
  return {
    peer: `${displayAddress(peer.remoteAddress)}:${peer.remotePort ?? "?"}`,
    tlsVersion: peer.protocol,
    cipher: peer.cipher,
    ...(peer.authorizationError !== undefined && { verifyError: peer.authorizationError }),
    ...(peer.certificate !== undefined && {
      certSubject: peer.certificate.subject,
      certIssuer: peer.certificate.issuer,
      certFingerprint256: peer.certificate.fingerprint256,
    }),
  };
}

/** Node reports IPv4 peers of a dual-stack listener as ::ffff:a.b.c.d; operators know them as a.b.c.d. */
/** The fields of an `association-refused` record: the peer, the AE titles, and its TLS session and certificate. */
export function requestFields(rq: AAssociateRq, peer: PeerInfo): { readonly peer: string } & Record<string, unknown> {
  return {
    peer: `${displayAddress(peer.address)}:${peer.port}`,
    callingAet: rq.callingAeTitle,
    calledAet: rq.calledAeTitle,
    ...(peer.tls !== undefined && {
      tlsVersion: peer.tls.protocol,
      cipher: peer.tls.cipher,
      ...(peer.tls.certificate !== undefined && {
        certSubject: peer.tls.certificate.subject.replace(/\n/g, ", "),
        certIssuer: peer.tls.certificate.issuer.replace(/\n/g, ", "),
        certFingerprint256: peer.tls.certificate.fingerprint256,
      }),
    }),
  };
}

/** A revocation refusal's fields: the certificate the lists speak about (the peer's or a CA of its chain) and the list that decided. */
export function revocationFields(revoked: RevocationFinding | undefined): Record<string, unknown> {
  if (revoked === undefined) return {};
  return {
    refusedSubject: revoked.certificate.subject,
    refusedSerial: revoked.certificate.serialNumber,
    ...(revoked.list !== undefined && { revocationList: revoked.list.file, revocationListIssuer: revoked.list.issuer }),
    ...(revoked.revocationDate !== undefined && { revocationDate: revoked.revocationDate }),
    ...(revoked.revocationReason !== undefined && { revocationReason: revoked.revocationReason }),
  };
}

export function displayAddress(address: string | undefined): string {
  if (address === undefined) return "?";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function peerName(peer: PeerInfo | undefined): string {
  return peer === undefined ? "?" : `${displayAddress(peer.address)}:${peer.port}`;
}

/** Matrix case 1: an accepted TLS association is logged with its protocol, cipher and the peer certificate. */
function associationFields(a: Association): Record<string, unknown> {
  const tls = a.peer.tls;
  const cert = tls?.certificate;
  return {
    peer: peerName(a.peer),
    callingAet: a.callingAeTitle,
    calledAet: a.calledAeTitle,
    tls: tls?.protocol ?? false,
    ...(tls !== undefined && { cipher: tls.cipher }),
    ...(cert !== undefined && { certSubject: cert.subject.replace(/\n/g, ", "), certFingerprint256: cert.fingerprint256 }),
  };
}

/** Association and SCP life-cycle events to the log; returns the unsubscribe function. */
export function subscribeDiagnostics(logger: Logger): () => void {
  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      AssociationChannels.opened,
      (m) => {
        const { association } = m as { association: Association };
        if (association.isRequestor) return;
        logger.info({ event: "association-opened", ...associationFields(association) }, `association from ${association.callingAeTitle} at ${peerName(association.peer)} accepted`);
      },
    ],
    [
      AssociationChannels.released,
      (m) => {
        const { association } = m as { association: Association };
        if (association.isRequestor) return;
        logger.info({ event: "association-released", ...associationFields(association) }, `association from ${association.callingAeTitle} released`);
      },
    ],
    [
      AssociationChannels.aborted,
      (m) => {
        const { association, peer, error } = m as { association?: Association; peer?: PeerInfo; error?: Error };
        if (association?.isRequestor === true) return;
        logger.warn(
          { event: "association-aborted", ...(association ? associationFields(association) : { peer: peerName(peer) }), error: error?.message },
          `association ${association ? `from ${association.callingAeTitle} ` : ""}at ${peerName(association?.peer ?? peer)} aborted: ${error?.message ?? "no reason"}`,
        );
      },
    ],
    [
      AssociationChannels.pduError,
      (m) => {
        const { peer, error } = m as { peer?: PeerInfo; error: Error };
        logger.warn({ event: "protocol-error", peer: peerName(peer), code: (error as Error & { code?: string }).code }, `protocol error from ${peerName(peer)}: ${error.message}`);
      },
    ],
    [
      AssociationChannels.rejected,
      (m) => {
        // Access-control refusals are logged where they are decided; these are the ones the upper layer made itself.
        const { by, peer, result, source, reason, text } = m as { by?: string; peer?: PeerInfo; result: number; source: number; reason: number; text: string };
        if (by !== "provider") return;
        logger.warn({ event: "association-refused", reason: "PROVIDER_REJECTED", peer: peerName(peer), result, source, rjReason: reason }, `association at ${peerName(peer)} refused: ${text}`);
      },
    ],
    [
      AssociationChannels.internalError,
      (m) => {
        const { association, peer, error } = m as { association?: Association; peer?: PeerInfo; error: unknown };
        const e = error instanceof Error ? error : new Error(String(error));
        logger.error(
          { event: "internal-error", ...(association ? associationFields(association) : { peer: peerName(peer) }), code: (e as Error & { code?: string }).code, stack: e.stack },
          `internal error while serving ${peerName(association?.peer ?? peer)}, that association was aborted (the others carry on): ${e.message}`,
        );
      },
    ],
        [
      ScpChannels.commandRefused,
      (m) => {
        const { association, why, key } = m as { association: Association; why: string; key?: string };
        logger.warn(
          { event: "command-refused", reason: "COMMAND_NOT_ALLOWED", ...(key !== undefined && { key }), ...associationFields(association) },
          `command from ${association.callingAeTitle} refused, association aborted: ${why}`,
        );
      },
    ],
    [
      ScpChannels.handlerError,
      (m) => {
        const { association, error } = m as { association: Association; error: Error };
        logger.error({ event: "handler-error", ...associationFields(association) }, `service handler failed: ${error.message}`);
      },
    ],
  ];
  for (const [name, fn] of handlers) subscribe(name, fn);
  return () => {
    for (const [name, fn] of handlers) unsubscribe(name, fn);
  };
}

/**
 * DicomScpTimeout expiries, one `association-idle-timeout` record each with the phase it stalled in (the abort itself
 * is logged too); association limits, one `association-refused` record naming the peer and the limit.
 */
export function logLimits(logger: Logger): () => void {
  const onStall = (m: unknown): void => {
    const { association, phase, timeoutMs } = m as { association: Association; phase: string; timeoutMs: number };
    logger.warn(
      {
        event: "association-idle-timeout",
        peer: `${displayAddress(association.peer.address)}:${association.peer.port}`,
        callingAet: association.callingAeTitle,
        phase,
        idleSeconds: timeoutMs / 1000,
      },
      `association from ${association.callingAeTitle} made no progress for ${timeoutMs / 1000} s waiting for ${phase} (DicomScpTimeout): aborted`,
    );
  };
  const onLimit = (m: unknown): void => {
    const { peer, rq, kind, limit, open } = m as { peer: PeerInfo; rq: AAssociateRq; kind: string; limit: number; open: number };
    const key = kind === "total" ? "DicomMaximumAssociations" : "DicomMaximumAssociationsPerHost";
    const where = `${displayAddress(peer.address)}:${peer.port}`;
    logger.warn(
      { event: "association-refused", reason: "LOCAL_LIMIT_EXCEEDED", peer: where, callingAet: rq.callingAeTitle, calledAet: rq.calledAeTitle, key, limit, open },
      `association from ${rq.callingAeTitle} at ${where} refused (LOCAL_LIMIT_EXCEEDED): ${open} open${kind === "total" ? "" : ` from ${displayAddress(peer.address)}`}, ${key} is ${limit}`,
    );
  };
  subscribe(AssociationChannels.stalled, onStall);
  subscribe(ScpChannels.limitExceeded, onLimit);
  return () => {
    unsubscribe(AssociationChannels.stalled, onStall);
    unsubscribe(ScpChannels.limitExceeded, onLimit);
  };
}
