import { channel } from "node:diagnostics_channel";

/**
 * `node:diagnostics_channel` channels this package publishes on (ARCHITECTURE.md: `dicom:<layer>:<event>`).
 * Subscribe with `diagnostics_channel.subscribe(AssociationChannels.opened, fn)`.
 */
export const AssociationChannels = {
  /** An association is established: `{ association }`. */
  opened: "dicom:association:opened",
  /**
   * An A-ASSOCIATE-RJ was sent or received: `{ role, peer, rq, result, source, reason, text, by? }`; `by: "provider"`
   * when the upper layer refused the request itself (protocol version, an AE title that cannot be one).
   */
  rejected: "dicom:association:rejected",
  /** An association ended by orderly release: `{ association }`. */
  released: "dicom:association:released",
  /** An association (or connection on its way to one) ended by abort: `{ association?, peer, error }`. */
  aborted: "dicom:association:aborted",
  /** A peer sent bytes that break PS3.8/PS3.7: `{ peer, error }`. */
  pduError: "dicom:association:pdu-error",
  /** The post-handshake verify hook refused a connection: `{ peer, error }`. */
  transportRefused: "dicom:association:transport-refused",
  /** No progress for the progress timeout (DicomScpTimeout) while the peer owed us something; the association is aborted: `{ association, phase, timeoutMs }`. */
  stalled: "dicom:association:stalled",
  /**
   * Our own code threw while serving one connection (codec, state machine, a service handler, storage): that
   * association was aborted, the others carry on. `{ peer, error, association? }`; `error` keeps its stack.
   */
  internalError: "dicom:association:internal-error",
} as const;

export const diagnostics = {
  opened: channel(AssociationChannels.opened),
  rejected: channel(AssociationChannels.rejected),
  released: channel(AssociationChannels.released),
  aborted: channel(AssociationChannels.aborted),
  pduError: channel(AssociationChannels.pduError),
  transportRefused: channel(AssociationChannels.transportRefused),
  stalled: channel(AssociationChannels.stalled),
  internalError: channel(AssociationChannels.internalError),
} as const;
