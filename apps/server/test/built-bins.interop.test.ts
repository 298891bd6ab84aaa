/**
 * The entry points users run, from the build (`pnpm build`; CI builds before testing): `node
 * apps/server/bin/dicomtls-server.js CONFIG` and `node apps/cli/bin/dicomtls.js`. A missing build is a failure
 * naming `pnpm build`, never a skip.
 */
import { strict as assert } from "node:assert";
import { after, test } from "node:test";
import { appCommand, dcmtkEnv, freePort, runCli, runProcess, startServer, stopAll, tempDir } from "@dicomtls/test-peers";
import { assertEchoSucceeded, requirePeers, writeConfig } from "./helpers.js";

requirePeers("echoscu");
const tmp = tempDir("dicomtls-built-");
after(async () => {
  await stopAll();
  tmp.remove();
});

test("the built bins exist (run `pnpm build` first)", () => {
  // Throws "... dist/bin.js is missing: run `pnpm build` first" when they do not.
  const server = appCommand("server", { built: true });
  const cli = appCommand("cli", { built: true });
  assert.match(server.args[0] ?? "", /apps\/server\/bin\/dicomtls-server\.js$/);
  assert.match(cli.args[0] ?? "", /apps\/cli\/bin\/dicomtls\.js$/);
});

test("built: cert dev-pki, dicomtls-server CONFIG, echoscu and dicomtls echo against it, SIGTERM exits 0", async () => {
  const pki = `${tmp.path}/pki`;
  const made = await runCli(["cert", "dev-pki", pki], { built: true });
  assert.equal(made.code, 0, made.output);

  const port = await freePort();
  const config = writeConfig(tmp.path, "dicomtls.json", {
    DicomAet: "DICOMTLS",
    DicomPort: port,
    DicomTlsEnabled: true,
    DicomTlsCertificate: "pki/node.crt",
    DicomTlsPrivateKey: "pki/node.key",
    DicomTlsTrustedCertificates: "pki/ca.crt",
    StorageDirectory: "storage",
  });
  const server = await startServer(config, { built: true });
  assert.equal(server.port, port);
  assert.match(server.process.output(), /listening on port \d+ \(AE DICOMTLS, DICOM TLS on/);
  // The process runs the bin file, not the sources.
  assert.ok(server.process.child.spawnargs.some((a) => a.endsWith("apps/server/bin/dicomtls-server.js")), server.process.child.spawnargs.join(" "));

  const r = await runProcess("echoscu", ["-v", "-aet", "BUILT", "localhost", String(port), "+tls", `${pki}/client.key`, `${pki}/client.crt`, "+cf", `${pki}/ca.crt`], {
    env: dcmtkEnv(),
    timeoutMs: 30_000,
  });
  assertEchoSucceeded(r);

  const echo = await runCli(["echo", "127.0.0.1", String(port), "--call", "DICOMTLS", "--key", `${pki}/client.key`, "--cert", `${pki}/client.crt`, "--trusted", `${pki}/ca.crt`, "--repeat", "3"], {
    built: true,
  });
  assert.equal(echo.code, 0, echo.output);
  assert.match(echo.stdout, /Success \(3\/3\) over DICOM TLS/);

  const help = await runCli(["--help"], { built: true });
  assert.equal(help.code, 0, help.output);

  assert.equal(await server.stop(), 0, server.process.output());
  assert.ok(server.records().some((rec) => rec["event"] === "stopped"));
});

test("built: dicomtls-server without CONFIG is a usage error (exit 2)", async () => {
  const { cmd, args } = appCommand("server", { built: true });
  const r = await runProcess(cmd, args, { timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.output);
  assert.match(r.stderr, /usage: dicomtls-server CONFIG/);
});
