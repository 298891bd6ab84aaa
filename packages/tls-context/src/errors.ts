/** Stable error codes of this package. */
export const TlsErrorCodes = {
  Config: "ERR_DICOM_TLS_CONFIG",
} as const;
export type TlsErrorCode = (typeof TlsErrorCodes)[keyof typeof TlsErrorCodes];

/**
 * A TLS configuration that cannot be used: the message names the configuration key and the file at fault,
 * so the operator can fix it without reading a stack trace.
 */
export class DicomTlsConfigError extends Error {
  readonly code = TlsErrorCodes.Config;
  /** The configuration key at fault, e.g. "DicomTlsPrivateKey" or "DicomModalities.ct1.TlsCertificate". */
  readonly key: string;
  /** The file at fault, when there is one. */
  readonly file: string | undefined;

  constructor(key: string, message: string, file?: string, options?: { cause?: unknown }) {
    super(file === undefined ? `${key}: ${message}` : `${key}: ${message} (${file})`, options);
    this.name = "DicomTlsConfigError";
    this.key = key;
    this.file = file;
  }
}
