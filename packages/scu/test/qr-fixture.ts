/**
 * The Query/Retrieve fixture of the SCU interop tests, after query-retrieve-facts.md §9 (studies A, B, C and F),
 * loaded into an Orthanc 1.10.1 that serves DICOM TLS. Values are chosen here and asserted from here, never read
 * back from the answers.
 */
import { join } from "node:path";
import { writePem, writeCert, type TestPki } from "@dicomtls/test-pki";
import { makeDataset, makeFileMeta, resolveSpec, startOrthanc, freePort, type ResolvedDatasetSpec, type StartedOrthanc, type SyntheticDatasetSpec } from "@dicomtls/test-peers";

export interface FixtureInstance {
  readonly spec: ResolvedDatasetSpec;
  /** The dataset bytes as uploaded (no File Meta). */
  readonly dataset: Buffer;
}

export interface QrFixture {
  /** Study A: PAT001 Doe^John, 20200115, ACC001, CT, two instances. */
  readonly a: readonly FixtureInstance[];
  /** Study B: PAT001 Doe^John, 20210620, ACC002, MR, one instance. */
  readonly b: readonly FixtureInstance[];
  /** Study C: pat002 Dupont^Émilie in ISO_IR 192, 20220301 (made by Orthanc's /tools/create-dicom). */
  readonly c: { readonly studyInstanceUid: string; readonly patientId: string; readonly patientName: string };
  /** Study F: PAT009 Bulk^Test, 20000101, `bulk` CT instances in one series (for cancel). */
  readonly f: readonly FixtureInstance[];
}

/** UIDs under 2.25 (PS3.5 §B.2) made from fixed numbers: readable, stable, unique to this fixture. */
const uid = (n: number): string => `2.25.31415926535897932384626433${String(n).padStart(6, "0")}`;

function instance(spec: SyntheticDatasetSpec): FixtureInstance {
  // No sequences: Orthanc re-encodes undefined-length ones, and the move test compares bytes.
  const s = resolveSpec({ rows: 8, columns: 8, sequences: false, ...spec });
  return { spec: s, dataset: makeDataset(s) };
}

async function upload(orthanc: StartedOrthanc, i: FixtureInstance): Promise<void> {
  const meta = makeFileMeta({ mediaStorageSopClassUid: i.spec.sopClassUid, mediaStorageSopInstanceUid: i.spec.sopInstanceUid, transferSyntaxUid: i.spec.transferSyntax });
  await orthanc.restOk("POST", "/instances", Buffer.concat([meta, i.dataset]));
}

/** Orthanc with DICOM TLS (client certificate required), find, move and get allowed from any AE, and `modalities` known. */
export async function startQrOrthanc(dir: string, pki: TestPki, modalities: Record<string, unknown> = {}): Promise<StartedOrthanc> {
  const server = writeCert(dir, "orthanc", pki.server);
  return await startOrthanc({
    dir: join(dir, "orthanc"),
    dicomPort: await freePort(),
    httpPort: await freePort(),
    aet: "ORTHANC",
    config: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: server.chainFile,
      DicomTlsPrivateKey: server.keyFile,
      DicomTlsTrustedCertificates: writePem(dir, "trusted.crt", pki.trustedBundle),
      DicomTlsRemoteCertificateRequired: true,
      DicomAlwaysAllowFind: true,
      DicomAlwaysAllowMove: true,
      DicomAlwaysAllowGet: true,
      DicomModalities: modalities,
    },
  });
}

/** Loads the fixture through the REST API (the DICOM side is what the tests are about). */
export async function loadQrFixture(orthanc: StartedOrthanc, bulk = 300): Promise<QrFixture> {
  const a = [1, 2].map((k) =>
    instance({ seed: 100 + k, patientId: "PAT001", patientName: "Doe^John", studyInstanceUid: uid(1), seriesInstanceUid: uid(11), sopInstanceUid: uid(110 + k), studyDate: "20200115", accessionNumber: "ACC001", modality: "CT" }),
  );
  const b = [
    instance({ seed: 200, patientId: "PAT001", patientName: "Doe^John", studyInstanceUid: uid(2), seriesInstanceUid: uid(21), sopInstanceUid: uid(211), studyDate: "20210620", accessionNumber: "ACC002", modality: "MR", sopClassUid: "1.2.840.10008.5.1.4.1.1.4" }),
  ];
  const f = Array.from({ length: bulk }, (_, k) =>
    instance({ seed: 1000 + k, patientId: "PAT009", patientName: "Bulk^Test", studyInstanceUid: uid(9), seriesInstanceUid: uid(91), sopInstanceUid: uid(9000 + k), studyDate: "20000101", accessionNumber: "ACC009", modality: "CT" }),
  );
  for (const i of [...a, ...b, ...f]) await upload(orthanc, i);
  const c = { studyInstanceUid: uid(3), patientId: "pat002", patientName: "Dupont^Émilie" };
  await orthanc.restOk("POST", "/tools/create-dicom", {
    Force: true,
    Tags: {
      SpecificCharacterSet: "ISO_IR 192",
      PatientID: c.patientId,
      PatientName: c.patientName,
      StudyInstanceUID: c.studyInstanceUid,
      SeriesInstanceUID: uid(31),
      SOPInstanceUID: uid(311),
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
      StudyDate: "20220301",
      Modality: "CT",
    },
  });
  return { a, b, c, f };
}

export { uid as fixtureUid };
