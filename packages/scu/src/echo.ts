import type { ConnectionOptions } from "node:tls";
import { NegotiationError, requestAssociation, type RequestTimeouts, type VerifyTransport } from "@dicomtls/association";
import { Status, VERIFICATION_SOP_CLASS, cEchoRq } from "@dicomtls/pdu-codec";

/** PS3.5 Annex A: both little endian syntaxes; every DICOM node accepts Implicit VR LE for Verification. */
const ECHO_TRANSFER_SYNTAXES = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"] as const;

export interface EchoOptions {
  readonly host: string;
  readonly port: number;
  /** DICOM TLS: options for tls.connect (ca, cert, key ...). The server certificate is verified unless you turn that off here. */
  readonly tls?: ConnectionOptions;
  readonly callingAeTitle: string;
  readonly calledAeTitle: string;
  /** C-ECHOs to send in the one association. Default 1. */
  readonly repeat?: number;
  readonly maxPduLength?: number;
  readonly timeouts?: RequestTimeouts;
  /** Peer-certificate policy after the TLS handshake, before the A-ASSOCIATE-RQ. */
  readonly verifyTransport?: VerifyTransport;
}

/** One C-ECHO's outcome. */
export interface EchoResponse {
  readonly messageId: number;
  /** PS3.7 §9.3.5.2 status; 0x0000 is success. */
  readonly status: number;
  readonly ok: boolean;
}

export interface EchoResult {
  readonly responses: readonly EchoResponse[];
  /** True when every echo answered Success. */
  readonly ok: boolean;
  readonly transferSyntax: string;
  readonly peerMaxPduLength: number;
  readonly peerImplementationClassUid: string;
  readonly peerImplementationVersionName: string | undefined;
}

/**
 * PS3.4 Annex A Verification SCU: one association, `repeat` C-ECHOs inside it, then release.
 * Errors are the association package's typed errors (ERR_DICOM_CONNECT, ERR_DICOM_TLS,
 * ERR_DICOM_ASSOCIATION_REJECTED, ERR_DICOM_ABORTED, ERR_DICOM_TIMEOUT, ERR_DICOM_NEGOTIATION).
 */
export async function echo(options: EchoOptions): Promise<EchoResult> {
  const repeat = options.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`repeat: ${repeat} must be a whole number of at least 1`);
  const association = await requestAssociation({
    host: options.host,
    port: options.port,
    callingAeTitle: options.callingAeTitle,
    calledAeTitle: options.calledAeTitle,
    presentationContexts: [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ECHO_TRANSFER_SYNTAXES }],
    ...(options.tls !== undefined && { tls: options.tls }),
    ...(options.maxPduLength !== undefined && { maxPduLength: options.maxPduLength }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
    ...(options.verifyTransport !== undefined && { verifyTransport: options.verifyTransport }),
  });
  try {
    const context = association.findContext(VERIFICATION_SOP_CLASS);
    if (context === undefined) {
      throw new NegotiationError(
        `${options.calledAeTitle} at ${options.host}:${options.port} accepted the association but not the Verification SOP Class (${VERIFICATION_SOP_CLASS})`,
      );
    }
    const responses: EchoResponse[] = [];
    for (let i = 0; i < repeat; i++) {
      const messageId = association.nextMessageId();
      const rsp = await association.request(context.id, cEchoRq(messageId));
      const status = rsp.command.status ?? -1;
      responses.push({ messageId, status, ok: status === Status.Success });
    }
    await association.release();
    return {
      responses,
      ok: responses.every((r) => r.ok),
      transferSyntax: context.transferSyntax,
      peerMaxPduLength: association.peerMaxPduLength,
      peerImplementationClassUid: association.associateAc.userInformation.implementationClassUid,
      peerImplementationVersionName: association.associateAc.userInformation.implementationVersionName,
    };
  } catch (err) {
    if (association.isEstablished) await association.abort().catch(() => undefined);
    throw err;
  }
}
