import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { appCommand, freePort, startProcess, startServer, stopAll, tempDir } from "@dicomtls/test-peers";

const tmp = tempDir("dicomtls-server-config-");
after(async () => {
  await stopAll();
  tmp.remove();
});

function writeConfig(name: string, value: Record<string, unknown> | string): string {
  const file = join(tmp.path, name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return file;
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

test("an invalid configuration: exit 1 before any port is opened, every issue printed once", async () => {
  const port = await freePort();
  const file = writeConfig("bad.json", {
    DicomPort: port,
    DicomAet: "NODE",
    MaximumPduLength: 1000,
    DicomScpTimeout: "thirty",
    DicomModalities: { ct1: { AET: "CT1", Host: "127.0.0.1", Port: 104, AllowEko: false } },
  });
  const { cmd, args } = appCommand("server");
  const proc = await startProcess(cmd, [...args, file]);
  // Poll the port while the process lives: it must never listen.
  let everListened = false;
  let ended = false;
  void proc.exited.then(() => (ended = true));
  while (!ended) {
    if (await listening(port)) everListened = true;
    await new Promise((r) => setTimeout(r, 20));
  }
  const code = await proc.exited;
  assert.equal(code, 1, proc.output());
  assert.equal(everListened, false, "the server opened DicomPort although the configuration is invalid");
  assert.equal(await listening(port), false);
  const out = proc.output();
  assert.doesNotMatch(out, /"event":"listening"/);
  for (const line of [
    /^ {2}MaximumPduLength: expected an integer 4096-131072, got 1000 \(.*bad\.json:\d+:\d+\)$/m,
    /^ {2}DicomScpTimeout: expected .*, got "thirty"/m,
    /^ {2}DicomModalities\.ct1\.AllowEko: unknown modality field; did you mean "AllowEcho"\?/m,
  ]) {
    assert.match(out, line);
  }
  for (const key of ["MaximumPduLength:", "DicomScpTimeout:", "DicomModalities.ct1.AllowEko:"]) {
    assert.equal(out.split("\n").filter((l) => l.startsWith(`  ${key}`)).length, 1, `${key} printed once:\n${out}`);
  }
  assert.match(out, /"event":"config-invalid","issues":3/);
});

test("a missing TLS file refuses to start, naming the key, with no port opened", async () => {
  const port = await freePort();
  const file = writeConfig("missing-file.json", {
    DicomPort: port,
    DicomTlsEnabled: true,
    DicomTlsCertificate: "absent.crt",
    DicomTlsPrivateKey: "absent.key",
    DicomTlsRemoteCertificateRequired: false,
  });
  const { cmd, args } = appCommand("server");
  const proc = await startProcess(cmd, [...args, file]);
  const code = await proc.exited;
  assert.equal(code, 1, proc.output());
  assert.equal(await listening(port), false);
  assert.match(proc.output(), /^ {2}DicomTlsCertificate: file not found .*absent\.crt/m);
  assert.match(proc.output(), /^ {2}DicomTlsPrivateKey: file not found .*absent\.key/m);
});

test("Orthanc-only keys, keys not acted on, unknown keys and likely typos are logged once at start-up, and the server runs", async () => {
  const file = writeConfig(
    "orthanc-style.json",
    `{
      // An Orthanc administrator's file: REST and Lua settings dicomtls does not use.
      "Name": "MyOrthanc",
      "HttpThreadsCount": 50,
      "HttpServerEnabled": false,
      "LuaScripts": [],
      "DicomPort": ${await freePort()},
      "DicomAet": "NODE",
      "DicomChekCalledAet": true,
      "SomethingElse": 1,
      // Validated (Orthanc's range) but not acted on by dicomtls.
      "DicomAssociationCloseDelay": 5,
      "DicomModalities": { "ge": ["GEPACS", "127.0.0.1", 104, "GE"] }
    }`,
  );
  const server = await startServer(file);
  try {
    const records = server.records();
    const ignored = records.filter((r) => r["event"] === "config-ignored-keys");
    assert.equal(ignored.length, 1, JSON.stringify(records));
    assert.deepEqual(ignored[0]?.["keys"], ["Name", "HttpThreadsCount", "LuaScripts", "DicomAssociationCloseDelay", "DicomModalities.ge.Manufacturer"]);
    // A warning, with the reason of each key.
    assert.equal(ignored[0]?.["level"], "warn");
    const reasons = ignored[0]?.["reasons"] as Record<string, string>;
    assert.match(reasons["DicomAssociationCloseDelay"] ?? "", /Lua/);
    assert.match(reasons["DicomModalities.ge.Manufacturer"] ?? "", /manufacturer patches/);
    assert.match(String(ignored[0]?.["msg"]), /DicomAssociationCloseDelay \(Orthanc keeps only/);
    const warnings = records.filter((r) => r["event"] === "config-warning");
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    const typo = warnings.find((w) => w["key"] === "DicomChekCalledAet");
    assert.match(String(typo?.["msg"]), /probably a typo for "DicomCheckCalledAet"/);
    const unknown = warnings.find((w) => w["key"] === "SomethingElse");
    assert.match(String(unknown?.["msg"]), /unknown key/);
    // Logged before the port opened, each once.
    const order = records.map((r) => r["event"]);
    assert.ok(order.indexOf("config-ignored-keys") < order.indexOf("listening"));
  } finally {
    await server.stop();
  }
});
