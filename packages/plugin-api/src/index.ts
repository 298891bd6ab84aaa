export { definePlugin, assertPlugin, settingsSchemaOf, PluginError, PluginErrorCode, type PluginDefinition, type DicomTlsPlugin } from "./define-plugin.js";
export type {
  PluginApp,
  PluginLogger,
  PluginScu,
  AssociationRequestHook,
  TlsPeerHook,
  InstanceReceivedHook,
  InstanceStoredHook,
  AssociationClosedHook,
  TlsRefusedHook,
} from "./app.js";
export {
  refuseInstance,
  type PeerFacts,
  type TlsFacts,
  type CertificateFacts,
  type AssociationRequest,
  type AssociationClosed,
  type TlsRefusal,
  type ReceivedInstance,
  type InstanceRefusal,
  type StoredInstanceEvent,
} from "./events.js";
export {
  RejectResult,
  RejectReason,
  REJECT_REASON_CODES,
  REJECT_RESULT_CODES,
  refuseAssociation,
  rejectionOf,
  type AssociationRefusal,
  type AssociationVerdict,
} from "./rejection.js";
// A plugin's settings schema is written with the same zod the node validates with.
export { z } from "zod";
