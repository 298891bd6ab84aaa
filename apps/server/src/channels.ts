/** `node:diagnostics_channel` channels the server itself publishes on (`dicom:server:<event>`). */
export const ServerChannels = {
  /**
   * A listener refused a connection before any association: `{ refusal: ListenerRefusal, reason: string }`,
   * `reason` being the code as logged (OpenSSL's for a failed handshake).
   */
  connectionRefused: "dicom:server:connection-refused",
} as const;
