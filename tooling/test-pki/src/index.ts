export {
  createTestPki,
  concatPem,
  KeySpecs,
  Ekus,
  KeyUsages,
  type KeySpec,
  type EkuName,
  type KeyUsageName,
  type SubjectAltName,
  type IssuerName,
  type LeafOptions,
  type TestCert,
  type TestCa,
  type TestPki,
  type TestPkiOptions,
  type TestPkiVariants,
} from "./pki.js";
export { writePem, writeCert, type WrittenCert } from "./files.js";
