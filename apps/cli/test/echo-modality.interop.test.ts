/**
 * Our SCU against DCMTK storescp acting as a modality of the configuration (issue 2, "What must be shown" 4):
 * `dicomtls echo --config CONFIG MODALITY` with UseDicomTls true reaches `storescp +tls`, fails saying the server's
 * certificate is not trusted when it is not, and with UseDicomTls false reaches a plain storescp.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createTestPki, writeCert, writePem, type TestPki } from "@dicomtls/test-pki";
import { join } from "node:path";
import { dcmtkEnv, freePort, requireTool, runCli, startOrthanc, startProcess, stopAll, tempDir, type TrackedProcess, waitListening } from "@dicomtls/test-peers";

requireTool("storescp");
const tmp = tempDir("dicomtls-cli-modality-");
let pki: TestPki;
let files: { scpKey: string; scpCert: string; nodeKey: string; nodeCert: string; ca: string; otherCa: string };

before(async () => {
  pki = await createTestPki({ name: "cli-modality " });
  // storescp gets the localhost/127.0.0.1 certificate; our node presents the client one. Both from one CA.
  const scp = writeCert(tmp.path, "storescp", pki.server);
  const node = writeCert(tmp.path, "node", pki.client);
  const other = await pki.otherRoot();
  files = {
    scpKey: scp.keyFile,
    scpCert: scp.chainFile,
    nodeKey: node.keyFile,
    nodeCert: node.chainFile,
    ca: writePem(tmp.path, "ca.crt", pki.trustedBundle),
    otherCa: writePem(tmp.path, "other-ca.crt", other.cert),
  };
});
after(async () => {
  await stopAll();
  tmp.remove();
});


async function startStorescp(tls: boolean): Promise<{ port: number; peer: TrackedProcess }> {
  const port = await freePort();
  const tlsArgs = tls ? ["+tls", files.scpKey, files.scpCert, "+cf", files.ca] : [];
  const peer = await startProcess("storescp", ["-v", ...tlsArgs, "-aet", "STORESCP", "--output-directory", tmp.path, String(port)], { env: dcmtkEnv() });
  await waitListening(port);
  return { port, peer };
}

/** Our node's configuration: its certificate, what it trusts, and the modality. */
function nodeConfig(name: string, port: number, opts: { useDicomTls: boolean; trusted: string; echoChecksFind?: boolean; aet?: string }): string {
  const path = `${tmp.path}/${name}.json`;
  writeFileSync(
    path,
    JSON.stringify({
      DicomAet: "DICOMTLS",
      DicomTlsEnabled: true,
      DicomTlsCertificate: files.nodeCert,
      DicomTlsPrivateKey: files.nodeKey,
      DicomTlsTrustedCertificates: opts.trusted,
      ...(opts.echoChecksFind !== undefined && { DicomEchoChecksFind: opts.echoChecksFind }),
      DicomModalities: {
        pacs: { AET: opts.aet ?? "STORESCP", Host: "127.0.0.1", Port: port, UseDicomTls: opts.useDicomTls },
      },
    }),
  );
  return path;
}

describe("UseDicomTls: true against storescp +tls", () => {
  let scp: { port: number; peer: TrackedProcess };
  before(async () => {
    scp = await startStorescp(true);
  });
  after(() => scp.peer.stop());

  test("dicomtls echo --config CONFIG pacs: exit 0, Success over DICOM TLS, storescp saw our echo", async () => {
    const r = await runCli(["echo", "--config", nodeConfig("trusting", scp.port, { useDicomTls: true, trusted: files.ca }), "pacs"]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /echo to STORESCP \(pacs\) at 127\.0\.0\.1:\d+: Success \(1\/1\) over DICOM TLS/);
    await scp.peer.waitFor(/Received Echo Request/, 10_000);
  });

  test("the modality's name is also found by its AET", async () => {
    const r = await runCli(["echo", "--config", nodeConfig("by-aet", scp.port, { useDicomTls: true, trusted: files.ca }), "STORESCP"]);
    assert.equal(r.code, 0, r.output);
  });

  test("when the server's certificate is not trusted: non-zero exit, one line saying it is not trusted", async () => {
    const before = (scp.peer.output().match(/Received Echo Request/g) ?? []).length;
    const r = await runCli(["echo", "--config", nodeConfig("distrusting", scp.port, { useDicomTls: true, trusted: files.otherCa }), "pacs"]);
    assert.notEqual(r.code, 0, r.output);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? "", /certificate of 127\.0\.0\.1:\d+ is not trusted/);
    assert.match(lines[0] ?? "", /ERR_DICOM_TLS/);
    assert.equal((scp.peer.output().match(/Received Echo Request/g) ?? []).length, before, "no echo reached storescp");
  });

  test("UseDicomTls false against the TLS port: fails with a one-line reason", async () => {
    const r = await runCli(["echo", "--config", nodeConfig("plain-to-tls", scp.port, { useDicomTls: false, trusted: files.ca }), "pacs"], { timeoutMs: 60_000 });
    assert.notEqual(r.code, 0, r.output);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
});

describe("UseDicomTls: false against plain storescp", () => {
  test("dicomtls echo --config CONFIG pacs: exit 0, Success over plain TCP", async () => {
    const scp = await startStorescp(false);
    const r = await runCli(["echo", "--config", nodeConfig("plain", scp.port, { useDicomTls: false, trusted: files.ca }), "pacs"]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /Success \(1\/1\) over plain TCP/);
    await scp.peer.waitFor(/Received Echo Request/, 10_000);
    await scp.peer.stop();
  });

  test("an unknown modality: exit 2, one line listing the known ones", async () => {
    const r = await runCli(["echo", "--config", nodeConfig("unknown", 104, { useDicomTls: false, trusted: files.ca }), "nosuch"]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.stderr, /no modality "nosuch" in DicomModalities \(known: pacs\)/);
  });
});

describe("DicomEchoChecksFind (Orthanc: the echo also sends a Study Root C-FIND, which must succeed)", () => {
  let scp: { port: number; peer: TrackedProcess };
  before(async () => {
    scp = await startStorescp(true);
  });
  after(() => scp.peer.stop());

  test("true, against storescp (no C-FIND service): the echo succeeds, the check fails, exit 1 naming the key", async () => {
    const r = await runCli(["echo", "--config", nodeConfig("checks-find", scp.port, { useDicomTls: true, trusted: files.ca, echoChecksFind: true }), "pacs"]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.stdout, /Success \(1\/1\) over DICOM TLS/);
    assert.match(r.stdout, /C-FIND check \(DicomEchoChecksFind\) on STORESCP \(pacs\) at 127\.0\.0\.1:\d+ failed: .*(Study Root|1\.2\.840\.10008\.5\.1\.4\.1\.2\.2\.1)/);
  });

  test("false (Orthanc's default): echo only, exit 0; --check-find asks for the check anyway", async () => {
    const config = nodeConfig("echo-only", scp.port, { useDicomTls: true, trusted: files.ca, echoChecksFind: false });
    const r = await runCli(["echo", "--config", config, "pacs"]);
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.stdout, /C-FIND check/);
    const forced = await runCli(["echo", "--config", config, "pacs", "--check-find"]);
    assert.equal(forced.code, 1, forced.output);
    assert.match(forced.stdout, /C-FIND check \(--check-find\) .* failed/);
  });

  test("true, against Orthanc over DICOM TLS (it serves C-FIND): the echo and the check succeed", async () => {
    const server = writeCert(tmp.path, "orthanc", pki.server);
    const orthanc = await startOrthanc({
      dir: join(tmp.path, "orthanc"),
      dicomPort: await freePort(),
      httpPort: await freePort(),
      config: {
        DicomTlsEnabled: true,
        DicomTlsCertificate: server.chainFile,
        DicomTlsPrivateKey: server.keyFile,
        DicomTlsTrustedCertificates: files.ca,
        DicomAlwaysAllowFind: true,
      },
    });
    const r = await runCli(["echo", "--config", nodeConfig("orthanc", orthanc.dicomPort, { useDicomTls: true, trusted: files.ca, echoChecksFind: true, aet: orthanc.aet }), "pacs"]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /C-FIND check \(DicomEchoChecksFind\) on ORTHANC \(pacs\) at 127\.0\.0\.1:\d+: Success/);
    await orthanc.process.stop();
  });
});
