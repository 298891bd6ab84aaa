import type { Association, DimseMessage, HandlerResult } from "@dicomtls/association";

/** What a service handler is given besides the message. */
export interface ServiceContext {
  readonly association: Association;
  /** Aborted on C-CANCEL for this request, or when the association ends. */
  readonly signal: AbortSignal;
}

/** Handles the requests of one SOP class (or of every unregistered one). Returns the response(s). */
export type ServiceHandler = (message: DimseMessage, context: ServiceContext) => HandlerResult | Promise<HandlerResult>;

/**
 * The answer of the per-command access check; `{ allow: false }` aborts the association (as Orthanc does). `key` names
 * the configuration key that refused, when there is one (published on `dicom:scp:command-refused`).
 */
export type CommandAuthorization = { readonly allow: true } | { readonly allow: false; readonly why: string; readonly key?: string };
