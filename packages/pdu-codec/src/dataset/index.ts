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
