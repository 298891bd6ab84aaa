import { AbortReason, AbortSource, AssociateRjResult, AssociateRjSource } from "@dicomtls/pdu-codec";

/** PS3.8 Table 9-21: A-ASSOCIATE-RJ result/source/reason in words a person can act on. */
export function describeRejection(rj: { result: number; source: number; reason: number }): string {
  const result = rj.result === AssociateRjResult.RejectedPermanent ? "permanently" : rj.result === AssociateRjResult.RejectedTransient ? "transiently" : `(result ${rj.result})`;
  let who: string;
  let why: string;
  switch (rj.source) {
    case AssociateRjSource.ServiceUser:
      who = "the called application";
      why =
        ({
          1: "no reason given",
          2: "application context name not supported",
          3: "calling AE title not recognized (the peer does not know our AE title; add it to the peer's configuration)",
          7: "called AE title not recognized (check the AE title we asked for)",
        } as Record<number, string>)[rj.reason] ?? `reason ${rj.reason}`;
      break;
    case AssociateRjSource.ServiceProviderAcse:
      who = "the peer's ACSE provider";
      why = ({ 1: "no reason given", 2: "protocol version not supported" } as Record<number, string>)[rj.reason] ?? `reason ${rj.reason}`;
      break;
    case AssociateRjSource.ServiceProviderPresentation:
      who = "the peer's presentation provider";
      why = ({ 1: "temporary congestion (try again later)", 2: "local limit exceeded (too many associations)" } as Record<number, string>)[rj.reason] ?? `reason ${rj.reason}`;
      break;
    default:
      who = `source ${rj.source}`;
      why = `reason ${rj.reason}`;
  }
  return `rejected ${result} by ${who}: ${why}`;
}

/** PS3.8 Table 9-26: A-ABORT source/reason in words. */
export function describeAbort(source: number, reason: number): string {
  if (source === AbortSource.ServiceUser) return "aborted by the service user";
  const why =
    ({
      [AbortReason.NotSpecified]: "reason not specified",
      [AbortReason.UnrecognizedPdu]: "unrecognized PDU",
      [AbortReason.UnexpectedPdu]: "unexpected PDU",
      [AbortReason.UnrecognizedPduParameter]: "unrecognized PDU parameter",
      [AbortReason.UnexpectedPduParameter]: "unexpected PDU parameter",
      [AbortReason.InvalidPduParameterValue]: "invalid PDU parameter value",
    } as Record<number, string>)[reason] ?? `reason ${reason}`;
  return source === AbortSource.ServiceProvider ? `aborted by the service provider: ${why}` : `aborted (source ${source}): ${why}`;
}
