export { DatasetError, DatasetErrorCode, type DatasetErrorCodeValue } from "./errors.js";
export { DatasetTransferSyntax, datasetEncoding, type DatasetEncoding } from "./transfer-syntax.js";
export { parseDatasetHeader, type DatasetHeader } from "./parse-header.js";
export {
  convertImplicitToExplicit,
  convertExplicitToImplicit,
  convertTransferSyntax,
  type ConvertedDataset,
} from "./convert.js";
export { scanHeader, type HeaderScan } from "./element-reader.js";
export {
  encodeIdentifier,
  decodeIdentifier,
  resolveKey,
  keyName,
  identifierText,
  SPECIFIC_CHARACTER_SET_TAG,
  QUERY_RETRIEVE_LEVEL_TAG,
  UTF8_CHARACTER_SET,
  type ResolvedKey,
  type IdentifierKeyValue,
  type IdentifierValue,
  type DecodedIdentifier,
  type EncodeIdentifierOptions,
} from "./identifier.js";
export { SUPPORTED_CHARACTER_SETS } from "./identifier-charset.js";
