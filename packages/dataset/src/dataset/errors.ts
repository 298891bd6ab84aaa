/** Stable error codes of dataset handling (STYLE.md: `ERR_DICOM_*`). */
export const DatasetErrorCode = {
  /** The bytes are not a dataset in the stated transfer syntax (or end before the identifiers). */
  Unparsable: "ERR_DICOM_DATASET_UNPARSABLE",
  /** The dataset cannot be represented in the requested transfer syntax (e.g. encapsulated pixel data in Implicit VR). */
  NotConvertible: "ERR_DICOM_DATASET_NOT_CONVERTIBLE",
  /** A query key that is neither a dictionary keyword nor a tag with a known VR. */
  UnknownKey: "ERR_DICOM_DATASET_UNKNOWN_KEY",
  /** (0008,0005) names a character set this package cannot decode. */
  CharacterSet: "ERR_DICOM_DATASET_CHARACTER_SET",
} as const;
export type DatasetErrorCodeValue = (typeof DatasetErrorCode)[keyof typeof DatasetErrorCode];

/**
 * A dataset that cannot be parsed or converted. `offset` is the byte position of the fault within the dataset
 * (within the inflated bytes for Deflated); `needMoreBytes` is true when the input was a prefix that ended before
 * the identifiers, so a longer prefix may succeed.
 */
export class DatasetError extends Error {
  override readonly name: string = "DatasetError";
  readonly code: DatasetErrorCodeValue;
  readonly offset: number;
  readonly needMoreBytes: boolean;
  constructor(code: DatasetErrorCodeValue, message: string, offset: number, needMoreBytes = false) {
    super(message);
    this.code = code;
    this.offset = offset;
    this.needMoreBytes = needMoreBytes;
  }
}
