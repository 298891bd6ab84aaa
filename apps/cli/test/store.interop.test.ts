import { strict as assert } from "node:assert";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createTestPki, writeCert, writePem } from "@dicomtls/test-pki";
import { SyntheticTransferSyntax, dcmtkEnv, freePort, requireTool, runCli, startProcess, stopAll, tempDir, writePart10File, type TrackedProcess, waitListening } from "@dicomtls/test-peers";

requireTool("storescp");
const tmp = tempDir("dicomtls-cli-store-");
let certs: { serverKey: string; serverCrt: string; clientKey: string; clientCrt: string; ca: string };
const folder = join(tmp.path, "in");

before(async () => {
  const pki = await createTestPki({ name: "cli-store " });
  const server = writeCert(tmp.path, "server", pki.server);
  const client = writeCert(tmp.path, "client", pki.client);
  certs = { serverKey: server.keyFile, serverCrt: server.chainFile, clientKey: client.keyFile, clientCrt: client.chainFile, ca: writePem(tmp.path, "ca.crt", pki.trustedBundle) };
  mkdirSync(join(folder, "series"), { recursive: true });
  await writePart10File(join(folder, "a.dcm"), { seed: 31, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian });
  await writePart10File(join(folder, "series", "b.dcm"), { seed: 32, transferSyntax: SyntheticTransferSyntax.ImplicitVrLittleEndian, frames: 3 });
  await writePart10File(join(folder, "series", "c"), { seed: 33, transferSyntax: SyntheticTransferSyntax.ExplicitVrLittleEndian });
  writeFileSync(join(folder, "series", "README.txt"), "these are test images\n");
});
after(async () => {
  await stopAll();
  tmp.remove();
});


async function storescp(out: string, extra: string[] = []): Promise<{ port: number; peer: TrackedProcess }> {
  mkdirSync(out, { recursive: true });
  const port = await freePort();
  const peer = await startProcess("storescp", ["+tls", certs.serverKey, certs.serverCrt, "+cf", certs.ca, "-aet", "STORESCP", "-fe", ".dcm", "--output-directory", out, ...extra, String(port)], {
    env: dcmtkEnv(),
  });
  await waitListening(port);
  return { port, peer };
}

const tlsArgs = (): string[] => ["--key", certs.clientKey, "--cert", certs.clientCrt, "--trusted", certs.ca];

test("store a folder (recursive) with a non-DICOM file: it is reported and skipped, the rest stored, summary line, exit 0", async () => {
  const out = join(tmp.path, "out-ok");
  const { port, peer } = await storescp(out);
  const r = await runCli(["store", "127.0.0.1", String(port), folder, "--call", "STORESCP", "--associations", "2", ...tlsArgs()]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stderr, /^skipped .*README\.txt: not a DICOM Part 10 file.*\[ERR_DICOM_STORE_NOT_DICOM\]$/m);
  assert.doesNotMatch(r.output, /FAILED/);
  assert.match(r.stdout, /^store to STORESCP at 127\.0\.0\.1:\d+: 3 of 3 stored, 0 failed, 1 skipped \(not DICOM\); [\d.]+ MB in [\d.]+ s \([\d.]+ MB\/s, [\d.]+ files\/s\) over DICOM TLS, 2 associations$/m);
  // Not a terminal: no progress bar redraws.
  assert.ok(!r.output.includes("\r") && !r.output.includes("\u001b["), "no carriage returns or escape sequences");
  assert.equal(readdirSync(out).filter((n) => n.endsWith(".dcm")).length, 3);
  await peer.stop();
});

test("a file the peer cannot take fails with its own line and exit 1; the others are still stored", async () => {
  const out = join(tmp.path, "out-fail");
  // Implicit VR LE only, and a Big Endian file that cannot be converted to it.
  const { port, peer } = await storescp(out, ["+xi"]);
  const be = join(tmp.path, "be.dcm");
  await writePart10File(be, { seed: 34, transferSyntax: SyntheticTransferSyntax.ExplicitVrBigEndian });
  const r = await runCli(["store", "127.0.0.1", String(port), folder, be, "--call", "STORESCP", ...tlsArgs()]);
  assert.equal(r.code, 1, r.output);
  assert.match(r.stderr, /^FAILED .*be\.dcm: STORESCP at 127\.0\.0\.1:\d+ accepted no presentation context .*\[ERR_DICOM_STORE_NO_CONTEXT\]$/m);
  assert.match(r.stdout, /: 3 of 4 stored, 1 failed, 1 skipped/);
  assert.equal(readdirSync(out).filter((n) => n.endsWith(".dcm")).length, 3);
  await peer.stop();
});

test("a peer refusing the association: every file fails, exit 1", async () => {
  const { port, peer } = await storescp(join(tmp.path, "out-refuse"), ["--refuse"]);
  const r = await runCli(["store", "127.0.0.1", String(port), join(folder, "a.dcm"), "--call", "STORESCP", ...tlsArgs()]);
  assert.equal(r.code, 1, r.output);
  assert.match(r.stderr, /^FAILED .*a\.dcm: .*rejected.*\[ERR_DICOM_ASSOCIATION_REJECTED\]$/m);
  assert.match(r.stdout, /: 0 of 1 stored, 1 failed/);
  await peer.stop();
});

test("--config CONFIG MODALITY takes the address, AE titles and TLS from an Orthanc configuration", async () => {
  const out = join(tmp.path, "out-config");
  const { port, peer } = await storescp(out);
  const config = join(tmp.path, "node.json");
  writeFileSync(
    config,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomTlsEnabled: true,
      DicomTlsCertificate: certs.clientCrt,
      DicomTlsPrivateKey: certs.clientKey,
      DicomTlsTrustedCertificates: certs.ca,
      DicomModalities: { archive: { AET: "STORESCP", Host: "127.0.0.1", Port: port, UseDicomTls: true } },
    }),
  );
  const r = await runCli(["store", "--config", config, "archive", join(folder, "series")]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /store to STORESCP \(archive\) at 127\.0\.0\.1:\d+: 2 of 2 stored, 0 failed, 1 skipped/);
  assert.equal(readdirSync(out).filter((n) => n.endsWith(".dcm")).length, 2);
  await peer.stop();
});

test("a PATH that does not exist is a usage error (exit 2) naming it", async () => {
  const r = await runCli(["store", "127.0.0.1", "11112", join(tmp.path, "nope")]);
  assert.equal(r.code, 2, r.output);
  assert.match(r.stderr, /nope: no such file or folder/);
});
