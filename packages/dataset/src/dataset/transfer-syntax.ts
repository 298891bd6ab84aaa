/** PS3.6 Annex A: the transfer syntaxes whose dataset encoding differs; every other one is Explicit VR LE. */
export const DatasetTransferSyntax = {
  ImplicitVrLittleEndian: "1.2.840.10008.1.2",
  ExplicitVrLittleEndian: "1.2.840.10008.1.2.1",
  DeflatedExplicitVrLittleEndian: "1.2.840.10008.1.2.1.99",
  /** Retired (PS3.5 §A.3), still sent by old modalities. */
  ExplicitVrBigEndian: "1.2.840.10008.1.2.2",
} as const;

/** How the elements of a dataset are laid out (PS3.5 §7.1, §7.3). */
export interface DatasetEncoding {
  explicitVr: boolean;
  littleEndian: boolean;
  /** PS3.5 §A.5: the whole dataset is raw-deflated (RFC 1951) Explicit VR Little Endian. */
  deflated: boolean;
}

export const IMPLICIT_LITTLE_ENDIAN: DatasetEncoding = Object.freeze({ explicitVr: false, littleEndian: true, deflated: false });
export const EXPLICIT_LITTLE_ENDIAN: DatasetEncoding = Object.freeze({ explicitVr: true, littleEndian: true, deflated: false });

/**
 * The element encoding of a transfer syntax. PS3.5 §A.4: encapsulated (compressed) syntaxes use Explicit VR Little
 * Endian for the dataset, so any UID not listed above gets that too (as DCMTK and dcmjs also assume).
 */
export function datasetEncoding(transferSyntaxUid: string): DatasetEncoding {
  switch (transferSyntaxUid) {
    case DatasetTransferSyntax.ImplicitVrLittleEndian:
      return IMPLICIT_LITTLE_ENDIAN;
    case DatasetTransferSyntax.ExplicitVrBigEndian:
      return Object.freeze({ explicitVr: true, littleEndian: false, deflated: false });
    case DatasetTransferSyntax.DeflatedExplicitVrLittleEndian:
      return Object.freeze({ explicitVr: true, littleEndian: true, deflated: true });
    default:
      return EXPLICIT_LITTLE_ENDIAN;
  }
}
