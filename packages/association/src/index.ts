export * from "./fsm/index.js";
export {
  AssociationError,
  AssociationErrorCode,
  AssociationRejectedError,
  AssociationAbortedError,
  ConnectError,
  TlsError,
  AssociationTimeoutError,
  DimseProtocolError,
  NegotiationError,
  type AssociationErrorCodeValue,
} from "./errors.js";
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, DEFAULT_MAX_PDU_LENGTH, DEFAULT_ARTIM_MS } from "./constants.js";
export { describeRejection, describeAbort } from "./describe.js";
export { AssociationChannels } from "./diagnostics.js";
export { DEFAULT_REQUESTOR_ROLES, localRoles, type Roles, type AcceptedPresentationContext, type PresentationContextOutcome } from "./negotiation/types.js";
export { negotiateAsAcceptor, type AbstractSyntaxPolicy, type AcceptorPolicy, type AcceptorIdentity, type AcceptorNegotiation } from "./negotiation/acceptor.js";
export { buildAssociateRq, interpretAssociateAc, type ProposedPresentationContext, type RequestorIdentity, type RequestorNegotiation } from "./negotiation/requestor.js";
export { DatasetStream } from "./dimse/dataset-stream.js";
export { MessageAssembler, DEFAULT_MAX_COMMAND_LENGTH, type AssemblyOutput } from "./dimse/message-assembler.js";
export { commandPdus, datasetPdus, prebuiltDataset, isPrebuiltDataset, type OutgoingDataset, type PrebuiltDataset, type PduBytes } from "./dimse/outgoing.js";
export type { DimseMessage, OutgoingMessage, HandlerResult } from "./dimse/message.js";
export type { PeerInfo, TlsPeerInfo, Transport, TransportActivity, TransportSink } from "./transport/transport.js";
export { ProgressWatch, StallPhase, type ProgressProbe } from "./progress-watch.js";
export type { VerifyTransport } from "./transport/socket-transport.js";
export { UpperLayer, type UpperLayerOptions, type UpperLayerUser } from "./upper-layer.js";
export { Association, type AssociationEnd, type MessageHandler, type RequestOptions } from "./association.js";
export { acceptAssociation, accept, reject, type AcceptOptions, type AcceptTimeouts, type AssociationDecision } from "./accept.js";
export { requestAssociation, type RequestAssociationOptions, type RequestTimeouts } from "./request.js";
export { DicomListener, listenDicom, ListenerRefusalReasons, type DicomListenerOptions, type ListenerRefusal, type ListenerRefusalReason } from "./transport/listener.js";
export { HandshakeGate, ListenerChannels } from "./transport/handshake-gate.js";
