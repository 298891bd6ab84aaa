import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { AssociationChannels } from "@dicomtls/association";

/** Counters since start, for the status page and metrics; each one is fed by a `dicom:association:*` channel. */
export interface AssociationStats {
  /** Exceptions out of our own code that aborted one association (the process carried on). */
  readonly internalErrors: number;
  /** Peers that broke PS3.8/PS3.7 (undecodable PDU, unexpected PDU, malformed command). */
  readonly protocolErrors: number;
  /** A-ASSOCIATE-RQs the upper layer refused before access control saw them (AE title, protocol version). */
  readonly providerRejections: number;
}

/** Starts counting; `stop` unsubscribes. The counters belong to the one server that started them. */
export function countAssociationEvents(): { readonly stats: AssociationStats; stop(): void } {
  const counts = { internalErrors: 0, protocolErrors: 0, providerRejections: 0 };
  const handlers: Array<[string, (message: unknown) => void]> = [
    [AssociationChannels.internalError, () => counts.internalErrors++],
    [AssociationChannels.pduError, () => counts.protocolErrors++],
    [
      AssociationChannels.rejected,
      (m) => {
        if ((m as { by?: string }).by === "provider") counts.providerRejections++;
      },
    ],
  ];
  for (const [name, fn] of handlers) subscribe(name, fn);
  return {
    get stats(): AssociationStats {
      return { ...counts };
    },
    stop: () => {
      for (const [name, fn] of handlers) unsubscribe(name, fn);
    },
  };
}
