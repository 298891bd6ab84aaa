import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import {
  SyntheticPreset,
  SyntheticTransferSyntax,
  datasetSha256,
  freePort,
  readPart10Dataset,
  startOrthanc,
  stopAll,
  tempDir,
  writePart10File,
  type StartedOrthanc,
} from "@dicomtls/test-peers";
import { store } from "../src/index.js";

const tmp = tempDir("dicomtls-scu-orthanc-");
let pki: TestPki;
let orthanc: StartedOrthanc;

before(async () => {
  pki = await createTestPki({ name: "scu-orthanc " });
  const server = writeCert(tmp.path, "orthanc", pki.server);
  orthanc = await startOrthanc({
    dir: join(tmp.path, "orthanc"),
    dicomPort: await freePort(),
    httpPort: await freePort(),
    aet: "ORTHANC",
    config: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: server.chainFile,
      DicomTlsPrivateKey: server.keyFile,
      // Orthanc verifies our client certificate against this bundle (our test CA).
      DicomTlsTrustedCertificates: writePem(tmp.path, "trusted.crt", pki.trustedBundle),
      DicomTlsRemoteCertificateRequired: true,
    },
  });
});
after(async () => {
  await stopAll();
  tmp.remove();
});

test("our SCU stores into Orthanc 1.10.1 over DICOM TLS: the instances are in its REST API with the same dataset bytes", async () => {
  // Orthanc writes what it received through DCMTK with explicit lengths: a sequence or item of undefined length comes
  // back re-encoded (same content, other bytes). Byte identity is checked on datasets without them; the file with
  // sequences is checked by its attributes.
  const plain = [
    await writePart10File(join(tmp.path, "ct.dcm"), { seed: 41, ...SyntheticPreset.Ct512k, sequences: false }),
    await writePart10File(join(tmp.path, "implicit.dcm"), { seed: 42, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian, sequences: false }),
    await writePart10File(join(tmp.path, "mf.dcm"), { seed: 43, ...SyntheticPreset.MultiFrame10m, sequences: false }),
  ];
  const withSequences = await writePart10File(join(tmp.path, "seq.dcm"), { seed: 44, ...SyntheticPreset.Ct512k });
  const result = await store({
    host: "127.0.0.1",
    port: orthanc.dicomPort,
    callingAeTitle: "DICOMTLS",
    calledAeTitle: "ORTHANC",
    tls: { ca: pki.trustedBundle, cert: pki.client.chain, key: pki.client.key },
    files: [...plain, withSequences].map((f) => f.path),
  });
  assert.ok(result.ok, `${JSON.stringify(result.results.map((r) => r.error?.message))}\n${orthanc.output().slice(-3000)}`);
  assert.equal(result.stored, 4);
  for (const f of [...plain, withSequences]) {
    const found = (await orthanc.restOk("POST", "/tools/find", { Level: "Instance", Query: { SOPInstanceUID: f.spec.sopInstanceUid } })) as string[];
    assert.equal(found.length, 1, `${f.path}: Orthanc has no instance ${f.spec.sopInstanceUid}`);
    const tags = (await orthanc.restOk("GET", `/instances/${found[0]}/simplified-tags`)) as Record<string, unknown>;
    assert.equal(tags["SOPInstanceUID"], f.spec.sopInstanceUid);
    assert.equal(tags["PatientID"], f.spec.patientId);
    if (f === withSequences) continue;
    const stored = join(tmp.path, `from-orthanc-${found[0]}.dcm`);
    const r = await orthanc.rest("GET", `/instances/${found[0]}/file`);
    assert.equal(r.status, 200);
    writeFileSync(stored, r.body);
    assert.equal((await readPart10Dataset(stored)).transferSyntaxUid, f.spec.transferSyntax);
    assert.equal(await datasetSha256(stored), await datasetSha256(f.path), `${f.path}: Orthanc's copy has other dataset bytes`);
  }
  const stats = (await orthanc.restOk("GET", "/statistics")) as { CountInstances: number };
  assert.equal(stats.CountInstances, 4);
});
