export { createScp, ScpChannels, type Scp, type ScpOptions, type ScpCloseOptions } from "./scp.js";
export { ServiceRegistry, ANY_SOP_CLASS, DEFAULT_TRANSFER_SYNTAXES, type ServiceRegistration, type RegisterOptions } from "./service-registry.js";
export { verificationHandler, VERIFICATION_SOP_CLASS } from "./verification.js";
export { statusResponse, responseField } from "./responses.js";
export type { ServiceHandler, ServiceContext, CommandAuthorization } from "./types.js";
export * from "./access-control.js";
