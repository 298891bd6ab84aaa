import { strict as assert } from "node:assert";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { ORTHANC_KEYS_NOT_USED, VALIDATED_KEYS_NOT_USED } from "@dicomtls/config";
import { runCli, tempDir } from "@dicomtls/test-peers";
import { main } from "../src/main.js";

const DEBIAN_CONFIG = "/etc/orthanc/orthanc.json";
const tmp = tempDir("dicomtls-config-check-");
after(() => tmp.remove());

/** Runs the CLI in this process; returns the exit code and what it printed. */
async function check(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["config", "check", ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

function writeConfig(name: string, text: string): string {
  const file = join(tmp.path, name);
  writeFileSync(file, text);
  return file;
}

test("Debian's /etc/orthanc/orthanc.json: zero errors, its non-DICOM keys listed as not used (the built command, as users run it)", async () => {
  assert.ok(existsSync(DEBIAN_CONFIG), `${DEBIAN_CONFIG} is missing: run \`bash scripts/setup-peers.sh\` (Debian's orthanc package)`);
  const r = await runCli(["config", "check", DEBIAN_CONFIG]);
  assert.equal(r.code, 0, r.output);
  assert.equal(r.stderr, "", r.output);
  assert.match(r.stdout, /\/\/ \/etc\/orthanc\/orthanc\.json: valid/);
  const notUsed = r.stdout.match(/\/\/ {3}\/etc\/orthanc\/orthanc\.json: (.*)/)?.[1]?.split(", ") ?? [];
  for (const key of ["HttpThreadsCount", "OrthancExplorerEnabled", "LuaScripts", "Plugins", "SslVerifyPeers", "OrthancPeers", "StorageCompression"]) {
    assert.ok(notUsed.includes(key), `${key} should be listed as not used; got ${notUsed.join(", ")}`);
  }
  for (const key of notUsed) assert.ok(ORTHANC_KEYS_NOT_USED.has(key) || key in VALIDATED_KEYS_NOT_USED, `${key} is listed as not used but is neither Orthanc-only nor a validated key dicomtls does not act on`);
  // The DICOM keys Debian sets that dicomtls validates and does not act on are listed, each under its reason.
  for (const key of ["DicomAssociationCloseDelay", "DicomModalitiesInDatabase", "DicomScuPreferredTransferSyntax", "DeidentifyLogsDicomVersion"]) {
    assert.ok(notUsed.includes(key), `${key} should be listed as not used`);
    assert.match(r.stdout, new RegExp(`^// {3}(\\w+, )*${key}(, \\w+)*: .{20,}$`, "m"), `${key}: no reason line`);
  }
  assert.match(r.stdout, /^\/\/ {3}(\w+, )*DicomAssociationCloseDelay(, \w+)*: .*Lua/m);
  // DICOM keys are used, so never in that list.
  for (const key of ["DicomAet", "DicomPort", "DicomModalities", "DicomScpTimeout", "MaximumPduLength"]) assert.ok(!notUsed.includes(key), key);
});

test("the effective configuration has every default filled in, is itself a valid configuration, and redacts the key password", async () => {
  const file = writeConfig(
    "secret.json",
    `{
      // Orthanc's comments are allowed
      "DicomAet": "\${NODE_AET:-FALLBACK}",
      "DicomTlsPrivateKeyPassword": "s3cr3t-\${PASS_SUFFIX}",
      "DicomModalities": { "ct1": ["CT1", "127.0.0.1", 104] }
    }`,
  );
  const r = await check(["--json", file], { PASS_SUFFIX: "xyz" });
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { valid: boolean; effective: Record<string, unknown>; warnings: unknown[] };
  assert.equal(report.valid, true);
  assert.equal(report.effective["DicomAet"], "FALLBACK");
  assert.equal(report.effective["DicomScpTimeout"], 30);
  assert.equal(report.effective["MaximumPduLength"], 16384);
  assert.equal(report.effective["DicomAlwaysAllowEcho"], true);
  assert.equal(report.effective["DicomTlsPrivateKeyPassword"], "<redacted>");
  assert.ok(!r.out.includes("s3cr3t"), "the password must not be printed");
  assert.deepEqual((report.effective["DicomModalities"] as Record<string, Record<string, unknown>>)["ct1"]?.["AllowEcho"], true);

  // The text output (comment lines + JSON) loads again as a configuration with the same result.
  const text = await check([file], { PASS_SUFFIX: "xyz" });
  assert.equal(text.code, 0, text.err);
  const again = await check(["--json", writeConfig("effective.json", text.out)]);
  assert.equal(again.code, 0, again.err);
  const effective = (JSON.parse(again.out) as { effective: Record<string, unknown> }).effective;
  assert.deepEqual({ ...effective, DicomTlsPrivateKeyPassword: "<redacted>" }, report.effective);
});

test("a likely typo is a warning with the suggestion, not an error", async () => {
  const r = await check([writeConfig("typo.json", `{ "DicomChekCalledAet": true }`)]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /warning: DicomChekCalledAet: unknown key, probably a typo for "DicomCheckCalledAet"/);
});

/** One bad value per class; each must name its key path and what was expected and found. */
const INVALID: ReadonlyArray<{ name: string; text: string; expect: RegExp }> = [
  { name: "wrong type", text: `{ "DicomCheckCalledAet": "yes" }`, expect: /^ {2}DicomCheckCalledAet: expected .*, got "yes" \(.*wrong-type\.json:1:/m },
  { name: "out of range", text: `{\n  "MaximumPduLength": 200000\n}`, expect: /^ {2}MaximumPduLength: expected an integer 4096-131072, got 200000 \(.*out-of-range\.json:2:/m },
  {
    name: "modality port out of range",
    text: `{ "DicomModalities": { "ct1": { "AET": "CT1", "Host": "10.0.0.1", "Port": "abc" } } }`,
    expect: /^ {2}DicomModalities\.ct1\.Port: expected an integer 1-65534.*, got "abc"/m,
  },
  {
    name: "unknown modality field",
    text: `{ "DicomModalities": { "ct1": { "AET": "CT1", "Host": "10.0.0.1", "AllowEko": false } } }`,
    expect: /^ {2}DicomModalities\.ct1\.AllowEko: unknown modality field; did you mean "AllowEcho"\?/m,
  },
  {
    name: "missing file",
    text: `{ "DicomTlsEnabled": true, "DicomTlsCertificate": "nowhere.crt", "DicomTlsPrivateKey": "nowhere.key", "DicomTlsRemoteCertificateRequired": false }`,
    expect: /^ {2}DicomTlsCertificate: file not found .*nowhere\.crt/m,
  },
  { name: "malformed JSON", text: `{\n  "DicomPort": 104,,\n}`, expect: /malformed JSON.*\(.*malformed-json\.json:2:\d+\)/ },
];

for (const c of INVALID) {
  test(`invalid (${c.name}): exit 1, the message names the key path`, async () => {
    const r = await check([writeConfig(`${c.name.toLowerCase().replace(/ /g, "-")}.json`, c.text)]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, c.expect);
    assert.equal(r.out, "", "nothing on stdout when the configuration is invalid");
  });
}

test("every problem is printed, each once, in one run; the built command exits 1", async () => {
  const file = writeConfig(
    "many.json",
    `{ "DicomPort": "abc", "MaximumPduLength": 1000, "DicomScpTimeout": -1,
       "DicomModalities": { "ct1": { "AET": "CT1", "Host": "10.0.0.1", "Port": 70000 } } }`,
  );
  const r = await runCli(["config", "check", file]);
  assert.equal(r.code, 1, r.output);
  const paths = ["DicomPort", "MaximumPduLength", "DicomScpTimeout", "DicomModalities.ct1.Port"];
  for (const p of paths) assert.equal(r.stderr.split("\n").filter((l) => l.startsWith(`  ${p}: expected`)).length, 1, `${p} once:\n${r.stderr}`);
  assert.match(r.stderr, /not valid \(4 problems\)/);
});

test("a configuration that does not exist: exit 1 naming the path", async () => {
  const r = await check([join(tmp.path, "absent.json")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot read the configuration at .*absent\.json/);
});
