import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, DICOMTLS_KEYS, loadConfig, ORTHANC_KEYS_NOT_USED, VALIDATED_KEYS_NOT_USED } from "../src/index.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "dicomtls-config-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(dir, f, ".."), { recursive: true });
    await writeFile(join(dir, f), text);
  }
  return dir;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("loadConfig: a folder", () => {
  it("merges its *.json files at top level, in name order, not recursively, and records sources", async () => {
    const dir = await folder("merge", {
      "10-dicom.json": '{ "DicomAet": "MERGED", "DicomPort": 2762 }',
      "20-modalities.JSON": '{ "DicomModalities": { "pacs": ["PACS", "10.0.0.9", 104] } }',
      "notes.txt": "{ not json",
      "sub/30-ignored.json": '{ "DicomPort": 1 }',
    });
    const r = await loadConfig(dir, { env: {} });
    assert.equal(r.config.dicomAet, "MERGED");
    assert.equal(r.config.dicomPort, 2762);
    assert.equal(r.config.dicomModalities[0]?.aet, "PACS");
    assert.deepEqual(r.sources, {
      DicomAet: join(dir, "10-dicom.json"),
      DicomPort: join(dir, "10-dicom.json"),
      DicomModalities: join(dir, "20-modalities.JSON"),
    });
  });

  it("rejects a key defined in two files, naming the key and both files", async () => {
    const dir = await folder("dup", {
      "a.json": '{ "DicomPort": 104, "DicomAet": "A" }',
      "b.json": '{\n  "DicomPort": 105\n}',
      "c.json": '{ "DicomAet": "C" }',
    });
    const e = await configError(loadConfig(dir, { env: {} }));
    assert.equal(e.issues.length, 2);
    const port = e.issues.find((i) => i.path === "DicomPort");
    assert.equal(port?.kind, "duplicate-key");
    assert.match(port.message, new RegExp(`${join(dir, "a.json")} and ${join(dir, "b.json")}`));
    assert.deepEqual([port?.location?.file, port?.location?.line], [join(dir, "b.json"), 2]);
    const aet = e.issues.find((i) => i.path === "DicomAet");
    assert.match(aet!.message, /a\.json and .*c\.json/);
  });

  it("reports syntax errors of every file with file, line and column", async () => {
    const dir = await folder("syntax", { "a.json": '{ "DicomPort": }', "b.json": '{\n\n "x": [1 2] }' });
    const e = await configError(loadConfig(dir, { env: {} }));
    assert.deepEqual(
      e.issues.map((i) => [i.location?.file, i.location?.line, i.location?.column]),
      [
        [join(dir, "a.json"), 1, 16],
        [join(dir, "b.json"), 3, 10],
      ],
    );
  });

  it("resolves relative paths against the folder of the file that holds them", async () => {
    const dir = await folder("paths", {
      "tls.json": '{ "DicomTlsEnabled": true, "DicomTlsCertificate": "certs/node.crt", "DicomTlsPrivateKey": "certs/node.key", "DicomTlsTrustedCertificates": "/abs/trust.pem", "StorageDirectory": "../store" }',
      "certs/node.crt": "x",
      "certs/node.key": "x",
    });
    const e = await configError(loadConfig(join(dir, "tls.json"), { env: {} }));
    // The two files that exist pass; the absolute one that does not is named with its path.
    assert.deepEqual(
      e.issues.map((i) => [i.path, i.kind, i.message]),
      [["DicomTlsTrustedCertificates", "missing-file", "file not found (or not a regular file): /abs/trust.pem"]],
    );
    await writeFile(join(dir, "trust.pem"), "x");
    await writeFile(join(dir, "tls.json"), (await readFile(join(dir, "tls.json"), "utf8")).replace("/abs/trust.pem", "trust.pem"));
    const r = await loadConfig(dir, { env: {} });
    assert.equal(r.config.dicomTlsCertificate, join(dir, "certs/node.crt"));
    assert.equal(r.config.dicomTlsTrustedCertificates, join(dir, "trust.pem"));
    assert.equal(r.config.storageDirectory, join(root, "store"));
  });

  it("follows a symbolic link to a .json file", async () => {
    const dir = await folder("links", {});
    const target = join(root, "linked-target.json");
    await writeFile(target, '{ "DicomAet": "LINKED" }');
    await symlink(target, join(dir, "node.json"));
    assert.equal((await loadConfig(dir, { env: {} })).config.dicomAet, "LINKED");
  });

  it("a missing path is a ConfigError naming it", async () => {
    const e = await configError(loadConfig(join(root, "nowhere.json"), { env: {} }));
    assert.match(e.issues[0]!.message, /nowhere\.json/);
  });
});

describe("Debian's own /etc/orthanc", () => {
  it("orthanc.json loads with zero errors, its non-DICOM keys listed as not used", async () => {
    const file = "/etc/orthanc/orthanc.json";
    const r = await loadConfig(file, { env: {} });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.config.dicomAet, "ORTHANC");
    assert.equal(r.config.dicomPort, 4242);
    assert.equal(r.config.storageDirectory, "/var/lib/orthanc/db-v6");
    // Read the file's own top-level keys at test time: each is either ours or listed as not used.
    const keys = Object.keys(r.sources);
    const ignored = r.ignoredKeys.map((k) => k.key);
    assert.ok(keys.length > 50, `only ${keys.length} keys read`);
    // Each key is read by dicomtls (validated) or Orthanc-only; listed as not used exactly when dicomtls does not act on it.
    for (const k of keys) {
      assert.ok(DICOMTLS_KEYS.has(k) !== ORTHANC_KEYS_NOT_USED.has(k), `${k} is neither validated nor known as Orthanc-only`);
      assert.equal(ignored.includes(k), ORTHANC_KEYS_NOT_USED.has(k) || k in VALIDATED_KEYS_NOT_USED, `${k}: listed as not used ${ignored.includes(k)}`);
    }
    // Validated DICOM keys Debian's file sets and dicomtls does not act on: listed, each with its reason.
    for (const k of ["DicomAssociationCloseDelay", "DicomModalitiesInDatabase", "DicomScuPreferredTransferSyntax", "DeidentifyLogsDicomVersion"]) {
      const entry = r.ignoredKeys.find((x) => x.key === k);
      assert.ok(entry !== undefined, `${k} should be listed as not used`);
      assert.ok(entry.reason.length > 20, `${k}: no reason`);
    }
    assert.ok(r.ignoredKeys.every((k) => k.reason !== ""), JSON.stringify(r.ignoredKeys.filter((k) => k.reason === "")));
    for (const k of ["Name", "IndexDirectory", "Plugins", "HttpThreadsCount", "SslMinimumProtocolVersion", "OrthancExplorerEnabled", "LuaScripts"]) {
      assert.ok(ignored.includes(k), `${k} should be listed as not used`);
    }
    for (const k of ["DicomAet", "DicomTlsEnabled", "DicomModalities", "MaximumPduLength", "HttpPort", "SslEnabled", "RemoteAccessAllowed", "MetricsEnabled"]) assert.ok(!ignored.includes(k));
    // Debian's HTTP settings: Orthanc's defaults, so the node serves its status page on 127.0.0.1:8042 only.
    assert.equal(r.config.httpServerEnabled, true);
    assert.equal(r.config.httpPort, 8042);
    assert.equal(r.config.remoteAccessAllowed, false);
    assert.equal(r.config.sslEnabled, false);
    assert.ok(r.ignoredKeys.every((k) => k.file === file));
    // And the raw text agrees: every key at the start of a line with two spaces of indent is accounted for.
    const text = await readFile(file, "utf8");
    const topLevel = [...text.matchAll(/^ {2}"([A-Za-z0-9]+)"\s*:/gm)].map((m) => m[1]!);
    for (const k of topLevel) assert.ok(keys.includes(k), `${k} in the file but not read`);
  });

  it("the whole folder (orthanc.json, credentials.json, worklists.json...) loads too", async () => {
    // credentials.json is readable only by the orthanc group; running as root in CI, it is.
    const r = await loadConfig("/etc/orthanc", { env: {} });
    assert.deepEqual(r.warnings, []);
    for (const k of ["Worklists", "ServeFolders"]) assert.ok(r.ignoredKeys.some((x) => x.key === k), k);
    // credentials.json holds RegisteredUsers (empty); authentication stays off since remote access is (Orthanc >= 1.5.8).
    assert.equal(r.sources["RegisteredUsers"], "/etc/orthanc/credentials.json");
    assert.deepEqual(r.config.registeredUsers, {});
    assert.equal(r.config.authenticationEnabled, false);
    assert.equal(r.sources["Worklists"], "/etc/orthanc/worklists.json");
  });

  it("the list of not-used keys never overlaps the keys dicomtls reads", () => {
    for (const k of ORTHANC_KEYS_NOT_USED) assert.ok(!DICOMTLS_KEYS.has(k), k);
  });
});

describe("the seed's minimal DICOM TLS configurations (Orthanc book)", () => {
  it("TLS with a trusted peer certificate and a TLS modality", async () => {
    const dir = await folder("seed1", {
      "orthanc.json": `{
        "DicomTlsEnabled" : true,
        "DicomTlsCertificate" : "orthanc.crt",
        "DicomTlsPrivateKey" : "orthanc.key",
        "DicomTlsTrustedCertificates" : "dcmtk.crt",
        "DicomModalities" : {
          "dmctk" : { "Host" : "localhost", "Port" : 4242, "AET" : "DCMTK", "UseDicomTls" : true }
        }
      }`,
      "orthanc.crt": "cert",
      "orthanc.key": "key",
      "dcmtk.crt": "peer",
    });
    const r = await loadConfig(join(dir, "orthanc.json"), { env: {} });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.config.dicomTlsEnabled, true);
    assert.equal(r.config.dicomTlsTrustedCertificates, join(dir, "dcmtk.crt"));
    assert.equal(r.config.dicomModalities[0]?.useDicomTls, true);
    assert.equal(r.config.dicomModalities[0]?.aet, "DCMTK");
    // Without the files next to it, every missing one is named with its key and absolute path.
    await rm(join(dir, "dcmtk.crt"));
    await rm(join(dir, "orthanc.key"));
    const e = await configError(loadConfig(join(dir, "orthanc.json"), { env: {} }));
    assert.deepEqual(e.issues.map((i) => `${i.path} ${i.message}`), [
      `DicomTlsPrivateKey file not found (or not a regular file): ${join(dir, "orthanc.key")}`,
      `DicomTlsTrustedCertificates file not found (or not a regular file): ${join(dir, "dcmtk.crt")}`,
    ]);
  });

  it("TLS without a client certificate (DicomTlsRemoteCertificateRequired false)", async () => {
    const dir = await folder("seed2", {
      "orthanc.json": `{
        "DicomTlsEnabled" : true,
        "DicomTlsCertificate" : "orthanc.crt",
        "DicomTlsPrivateKey" : "orthanc.key",
        "DicomTlsTrustedCertificates" : "orthanc.crt",
        "DicomTlsRemoteCertificateRequired" : false
      }`,
      "orthanc.crt": "cert",
      "orthanc.key": "key",
    });
    const r = await loadConfig(join(dir, "orthanc.json"), { env: {} });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.config.dicomTlsRemoteCertificateRequired, false);
    assert.equal(r.config.dicomTlsCertificate, join(dir, "orthanc.crt"));
  });
});
