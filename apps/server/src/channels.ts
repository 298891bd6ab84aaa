import { channel } from "node:diagnostics_channel";
import type { ListenerRefusal } from "@dicomtls/association";

/** Events of the server app on `node:diagnostics_channel` (the lower layers publish `dicom:association:*`, `dicom:scp:*`). */
export const ServerChannels = {
  /** A connection is handed to the SCP (TLS: the handshake completed, the peer is not judged yet): `{ socket }`. */
  connection: "dicom:server:connection",
  /**
   * A connection was dropped before any PDU was read: `{ reason, listenerReason, remoteAddress, remotePort, localPort, detail, refusal }`.
   * `reason` is the stable code (TLS handshake classification such as UNSUPPORTED_PROTOCOL, or the listener's).
   */
  connectionRefused: "dicom:server:connection-refused",
} as const;

/** What `dicom:server:connection-refused` carries. */
export interface ConnectionRefusedMessage {
  readonly reason: string;
  readonly listenerReason: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  readonly detail: string;
  /** The listener's whole record (its error, the client's first TLS record when the handshake failed). */
  readonly refusal: ListenerRefusal;
}

export const serverDiagnostics = {
  connection: channel(ServerChannels.connection),
  connectionRefused: channel(ServerChannels.connectionRefused),
} as const;
