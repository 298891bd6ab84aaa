import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DEFAULTS, effectiveConfig, parseConfigText, REDACTED } from "../src/index.js";
import { always, issuesOf, oneIssue } from "./validate-support.js";

describe("defaults", () => {
  it("an empty object gives Orthanc's defaults and ours", () => {
    const { config, warnings, ignoredKeys } = parseConfigText("{}", { env: {}, file: "/srv/node/orthanc.json" });
    assert.equal(config.dicomServerEnabled, true);
    assert.equal(config.dicomAet, "ORTHANC");
    assert.equal(config.dicomPort, 4242);
    assert.equal(config.dicomPlainPort, null);
    assert.equal(config.dicomAlwaysAllowEcho, true);
    assert.equal(config.dicomAlwaysAllowStore, true);
    assert.equal(config.dicomAlwaysAllowFind, false);
    assert.equal(config.dicomAlwaysAllowFindWorklist, false);
    assert.equal(config.dicomAlwaysAllowGet, false);
    assert.equal(config.dicomAlwaysAllowMove, false);
    assert.equal(config.dicomScpTimeout, 30);
    assert.equal(config.dicomScuTimeout, 10);
    assert.equal(config.maximumPduLength, 16384);
    assert.equal(config.dicomThreadsCount, 4);
    assert.equal(config.dicomTlsEnabled, false);
    assert.equal(config.dicomTlsRemoteCertificateRequired, true);
    assert.equal(config.dicomTlsMinimumProtocolVersion, 0);
    assert.deepEqual(config.dicomTlsCiphersAccepted, []);
    assert.equal(config.dicomTlsProfile, "bcp195-rfc8996");
    assert.equal(config.dicomTlsCheckModalityCertificate, false);
    assert.equal(config.dicomTlsHandshakeTimeout, 10);
    assert.deepEqual(config.dicomTlsCertificateRevocationLists, []);
    assert.equal(config.dicomTlsRevocationCheck, "chain");
    assert.equal(config.dicomTlsRevocationListGraceDays, 7);
    assert.equal(config.dicomMaximumAssociations, 256);
    assert.equal(config.dicomMaximumAssociationsPerHost, 0);
    assert.equal(config.dicomTlsMaximumHandshakes, 4);
    assert.equal(config.storageDirectory, "/srv/node/OrthancStorage");
    assert.equal(config.overwriteInstances, false);
    assert.equal(config.syncStorageArea, true);
    assert.equal(config.deidentifyLogs, true);
    assert.deepEqual(config.acceptedTransferSyntaxes, ["1.2.840.10008.1.*"]);
    assert.deepEqual(config.dicomModalities, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(ignoredKeys, []);
  });

  it("the association limits and the handshake cap are read as given", () => {
    const { config } = parseConfigText('{ "DicomMaximumAssociations": 3, "DicomMaximumAssociationsPerHost": 1, "DicomTlsMaximumHandshakes": 2 }', { env: {}, isFile: always });
    assert.equal(config.dicomMaximumAssociations, 3);
    assert.equal(config.dicomMaximumAssociationsPerHost, 1);
    assert.equal(config.dicomTlsMaximumHandshakes, 2);
    assert.equal(effectiveConfig(config)["DicomMaximumAssociationsPerHost"], 1);
  });

  it("IndexGroupCommitDelay: 0 by default (one commit per instance), read and shown as given, bounded", () => {
    assert.equal(parseConfigText("{}", { env: {}, isFile: always }).config.indexGroupCommitDelay, 0);
    const { config, ignoredKeys, warnings } = parseConfigText('{ "IndexGroupCommitDelay": 100 }', { env: {}, isFile: always });
    assert.equal(config.indexGroupCommitDelay, 100);
    assert.equal(effectiveConfig(config)["IndexGroupCommitDelay"], 100);
    assert.deepEqual(ignoredKeys, []);
    assert.deepEqual(warnings, []);
    assert.throws(() => parseConfigText('{ "IndexGroupCommitDelay": 20000 }', { env: {}, isFile: always }), /IndexGroupCommitDelay/);
    assert.throws(() => parseConfigText('{ "IndexGroupCommitDelay": -1 }', { env: {}, isFile: always }), /IndexGroupCommitDelay/);
  });

  it("SyncStorageArea is a dicomtls key now (not listed as not used), read and shown as given", () => {
    const { config, ignoredKeys, warnings } = parseConfigText('{ "SyncStorageArea": false }', { env: {}, isFile: always });
    assert.equal(config.syncStorageArea, false);
    assert.equal(effectiveConfig(config)["SyncStorageArea"], false);
    assert.deepEqual(ignoredKeys, []);
    assert.deepEqual(warnings, []);
  });
});

describe("C-FIND keys: StorageAccessOnFind, CaseSensitivePN, DefaultEncoding", () => {
  it("default to Orthanc's Always, false, Latin1 and are read as given, no longer listed as not used", () => {
    const defaults = parseConfigText("{}", { env: {}, isFile: always }).config;
    assert.equal(defaults.storageAccessOnFind, "Always");
    assert.equal(defaults.caseSensitivePN, false);
    assert.equal(defaults.defaultEncoding, "Latin1");
    const { config, ignoredKeys } = parseConfigText('{ "StorageAccessOnFind": "Never", "CaseSensitivePN": true, "DefaultEncoding": "Utf8" }', { env: {}, isFile: always });
    assert.equal(config.storageAccessOnFind, "Never");
    assert.equal(config.caseSensitivePN, true);
    assert.equal(config.defaultEncoding, "Utf8");
    assert.equal(effectiveConfig(config)["StorageAccessOnFind"], "Never");
    assert.deepEqual(ignoredKeys, []);
  });
});

describe("invalid values name the key, what was expected and what was found", () => {
  const cases: { name: string; text: string; path: string; message: RegExp; kind?: string }[] = [
    { name: "StorageAccessOnFind unknown", text: '{ "StorageAccessOnFind": "Sometimes" }', path: "StorageAccessOnFind", message: /expected one of "Always", "Answers", "Never", got "Sometimes"/ },
    { name: "CaseSensitivePN not a bool", text: '{ "CaseSensitivePN": "true" }', path: "CaseSensitivePN", message: /^expected true or false, got "true"$/ },
    { name: "DefaultEncoding unsupported", text: '{ "DefaultEncoding": "Korean" }', path: "DefaultEncoding", message: /expected one of "Ascii", .*"Latin1".*, got "Korean"/ },
    { name: "wrong type (bool)", text: '{ "DicomTlsEnabled": "yes" }', path: "DicomTlsEnabled", message: /^expected true or false, got "yes"$/ },
    { name: "wrong type (bool, SyncStorageArea)", text: '{ "SyncStorageArea": "false" }', path: "SyncStorageArea", message: /^expected true or false, got "false"$/ },
    { name: "wrong type (int)", text: '{ "DicomPort": "4242" }', path: "DicomPort", message: /^expected an integer 1-65535, got "4242"$/ },
    { name: "not an integer", text: '{ "DicomScpTimeout": 1.5 }', path: "DicomScpTimeout", message: /expected an integer >= 0, got 1.5/ },
    { name: "port out of range", text: '{ "DicomPort": 70000 }', path: "DicomPort", message: /expected an integer 1-65535, got 70000/ },
    { name: "PDU length below Orthanc's range", text: '{ "MaximumPduLength": 1024 }', path: "MaximumPduLength", message: /expected an integer 4096-131072, got 1024/ },
    { name: "PDU length above Orthanc's range", text: '{ "MaximumPduLength": 262144 }', path: "MaximumPduLength", message: /4096-131072, got 262144/ },
    { name: "TLS version out of range", text: '{ "DicomTlsMinimumProtocolVersion": 6 }', path: "DicomTlsMinimumProtocolVersion", message: /expected an integer 0-5, got 6/ },
    { name: "AE title too long", text: '{ "DicomAet": "ABCDEFGHIJKLMNOPQ" }', path: "DicomAet", message: /expected an AE title.*got "ABCDEFGHIJKLMNOPQ"/ },
    { name: "AE title with a backslash", text: '{ "DicomAet": "A\\\\B" }', path: "DicomAet", message: /expected an AE title/ },
    { name: "unknown TLS profile", text: '{ "DicomTlsProfile": "modern" }', path: "DicomTlsProfile", message: /expected one of "bcp195-rfc8996", "bcp195-rfc8996-modified", "bcp195-nd", "bcp195", got "modern"/ },
    { name: "ciphers not an array", text: '{ "DicomTlsMinimumProtocolVersion": 4, "DicomTlsCiphersAccepted": "AES128-GCM-SHA256" }', path: "DicomTlsCiphersAccepted", message: /expected an array of OpenSSL cipher names/ },
    { name: "handshake timeout zero", text: '{ "DicomTlsHandshakeTimeout": 0 }', path: "DicomTlsHandshakeTimeout", message: /seconds > 0/ },
    { name: "revocation check mode unknown", text: '{ "DicomTlsRevocationCheck": "all" }', path: "DicomTlsRevocationCheck", message: /expected "leaf" .* or "chain" .*, got "all"/ },
    { name: "revocation lists not paths", text: '{ "DicomTlsCertificateRevocationLists": 5 }', path: "DicomTlsCertificateRevocationLists", message: /expected a revocation list file or folder path, or an array of them/ },
    { name: "revocation grace negative", text: '{ "DicomTlsRevocationListGraceDays": -1 }', path: "DicomTlsRevocationListGraceDays", message: /expected an integer >= 0, got -1/ },
    { name: "association limit negative", text: '{ "DicomMaximumAssociations": -1 }', path: "DicomMaximumAssociations", message: /expected an integer >= 0, got -1/ },
    { name: "per-host limit not a number", text: '{ "DicomMaximumAssociationsPerHost": "4" }', path: "DicomMaximumAssociationsPerHost", message: /expected an integer >= 0, got "4"/ },
    { name: "handshake cap zero", text: '{ "DicomTlsMaximumHandshakes": 0 }', path: "DicomTlsMaximumHandshakes", message: /expected an integer 1-1024, got 0/ },
    { name: "plain port as string", text: '{ "DicomPlainPort": "104" }', path: "DicomPlainPort", message: /expected an integer 1-65535, or false/ },
    { name: "bad transfer syntax pattern", text: '{ "AcceptedTransferSyntaxes": ["JPEG"] }', path: "AcceptedTransferSyntaxes[0]", message: /transfer syntax UID pattern.*got "JPEG"/ },
    { name: "bad preferred transfer syntax", text: '{ "DicomScuPreferredTransferSyntax": "explicit" }', path: "DicomScuPreferredTransferSyntax", message: /expected a DICOM UID/ },
    { name: "password of the wrong type is not echoed", text: '{ "DicomTlsPrivateKeyPassword": 12345678 }', path: "DicomTlsPrivateKeyPassword", message: /^expected a string.*got a non-string value$/ },
    { name: "modalities not an object", text: '{ "DicomModalities": [] }', path: "DicomModalities", message: /expected an object mapping modality names/ },
    { name: "modality port not numeric", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h", "Port": "abc" } } }', path: "DicomModalities.ct1.Port", message: /^expected an integer 1-65534 \(a number or a numeric string\), got "abc"$/ },
    { name: "modality port 65535 (Orthanc's range stops at 65534)", text: '{ "DicomModalities": { "ct1": ["CT", "h", 65535] } }', path: "DicomModalities.ct1[2]", message: /1-65534 .*, got 65535/ },
    { name: "modality without Port (Orthanc requires it)", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h" } } }', path: "DicomModalities.ct1.Port", message: /^missing; expected an integer/, kind: "missing-value" },
    { name: "modality without AET", text: '{ "DicomModalities": { "ct1": { "Host": "h", "Port": 104 } } }', path: "DicomModalities.ct1.AET", message: /^missing; expected an AE title/, kind: "missing-value" },
    { name: "modality Allow flag not a boolean", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h", "Port": 104, "AllowMove": 1 } } }', path: "DicomModalities.ct1.AllowMove", message: /expected true or false, got 1/ },
    { name: "unknown manufacturer", text: '{ "DicomModalities": { "ct1": ["CT", "h", 104, "generic"] } }', path: "DicomModalities.ct1[3]", message: /case-sensitive.*got "generic"/ },
    { name: "array form of the wrong length", text: '{ "DicomModalities": { "ct1": ["CT", "h"] } }', path: "DicomModalities.ct1", message: /expected \[AET, Host, Port\].*got an array of 2/ },
    { name: "modality neither object nor array", text: '{ "DicomModalities": { "ct1": "CT@h:104" } }', path: "DicomModalities.ct1", message: /expected an object .* or an array/ },
    { name: "TlsServerName true", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h", "Port": 104, "TlsServerName": true } } }', path: "DicomModalities.ct1.TlsServerName", message: /expected a host name, or false/ },
    { name: "unknown modality field with suggestion", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h", "Port": 104, "AlowStore": true } } }', path: "DicomModalities.ct1.AlowStore", message: /unknown modality field; did you mean "AllowStore"\?/, kind: "unknown-modality-field" },
    { name: "unknown modality field without suggestion", text: '{ "DicomModalities": { "ct1": { "AET": "CT", "Host": "h", "Port": 104, "Colour": "red" } } }', path: "DicomModalities.ct1.Colour", message: /^unknown modality field \(known: AET/, kind: "unknown-modality-field" },
    { name: "bad modality key", text: '{ "DicomModalities": { "ct 1": ["CT", "h", 104] } }', path: "DicomModalities.ct 1", message: /may only contain letters, digits, '-' and '_'/, kind: "bad-modality-name" },
    { name: "ciphers with version 0, as Orthanc", text: '{ "DicomTlsCiphersAccepted": ["ECDHE-RSA-AES128-GCM-SHA256"] }', path: "DicomTlsCiphersAccepted", message: /cannot be set while DicomTlsMinimumProtocolVersion is 0/, kind: "inconsistent" },
    { name: "plain port equal to the TLS port", text: '{ "DicomPort": 2762, "DicomPlainPort": 2762 }', path: "DicomPlainPort", message: /must differ from DicomPort \(2762\)/, kind: "inconsistent" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const issue = oneIssue(c.text, { file: "/cfg/orthanc.json" });
      assert.equal(issue.path, c.path);
      assert.match(issue.message, c.message);
      assert.equal(issue.kind, c.kind ?? "invalid-value");
      assert.equal(issue.location?.file, "/cfg/orthanc.json");
    });
  }

  it("collects every problem into one ConfigError whose message lists them all", () => {
    const text = '{\n "DicomPort": "x",\n "DicomAet": 5,\n "DicomModalities": { "a b": ["A", "h", 0] }\n}';
    try {
      parseConfigText(text, { env: {}, file: "/cfg/o.json" });
      assert.fail("expected a ConfigError");
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, "ERR_DICOM_CONFIG");
      assert.deepEqual(e.issues.map((i) => i.path).sort(), ["DicomAet", "DicomModalities.a b", "DicomModalities.a b[2]", "DicomPort"]);
      assert.match(e.message, /4 problems/);
      assert.match(e.message, /DicomPort: expected an integer 1-65535, got "x" \(\/cfg\/o.json:2:15\)/);
    }
  });
});

describe("TLS files", () => {
  const tls = (extra = "") => `{ "DicomTlsEnabled": true, "DicomTlsCertificate": "node.crt", "DicomTlsPrivateKey": "/keys/node.key", "DicomTlsTrustedCertificates": "trust.pem"${extra} }`;

  it("are resolved against the file's folder and checked for existence, naming key and path", () => {
    const issues = issuesOf(tls(), { file: "/etc/dicomtls/orthanc.json", isFile: (p) => p === "/keys/node.key" });
    assert.deepEqual(
      issues.map((i) => [i.kind, i.path, i.message]),
      [
        ["missing-file", "DicomTlsCertificate", "file not found (or not a regular file): /etc/dicomtls/node.crt"],
        ["missing-file", "DicomTlsTrustedCertificates", "file not found (or not a regular file): /etc/dicomtls/trust.pem"],
      ],
    );
  });

  it("are required when DicomTlsEnabled", () => {
    const issues = issuesOf('{ "DicomTlsEnabled": true, "DicomTlsCertificate": "a.crt" }');
    assert.deepEqual(issues.map((i) => i.path), ["DicomTlsPrivateKey", "DicomTlsTrustedCertificates"]);
    assert.match(issues[0]!.message, /required because DicomTlsEnabled is true/);
  });

  it("trusted certificates are optional when the remote certificate is not required (Orthanc >= 1.12.4)", () => {
    const { config } = parseConfigText('{ "DicomTlsEnabled": true, "DicomTlsCertificate": "a.crt", "DicomTlsPrivateKey": "a.key", "DicomTlsRemoteCertificateRequired": false }', { env: {}, isFile: always, file: "/n/o.json" });
    assert.equal(config.dicomTlsTrustedCertificates, null);
    assert.equal(config.dicomTlsCertificate, "/n/a.crt");
  });

  it("a PKCS#12 certificate holds the key: DicomTlsPrivateKey is not required, and is ignored with a warning when set", () => {
    const { config } = parseConfigText('{ "DicomTlsEnabled": true, "DicomTlsCertificate": "node.P12", "DicomTlsTrustedCertificates": "ca.crt" }', { env: {}, isFile: always, file: "/n/o.json" });
    assert.equal(config.dicomTlsPrivateKey, null);
    const both = parseConfigText('{ "DicomTlsEnabled": true, "DicomTlsCertificate": "node.pfx", "DicomTlsPrivateKey": "node.key", "DicomTlsTrustedCertificates": "ca.crt" }', { env: {}, isFile: always, file: "/n/o.json" });
    assert.deepEqual(both.warnings.map((w) => w.path), ["DicomTlsPrivateKey"]);
    assert.match(both.warnings[0]!.message, /PKCS#12/);
    const pem = issuesOf('{ "DicomTlsEnabled": true, "DicomTlsCertificate": "node.crt", "DicomTlsTrustedCertificates": "ca.crt" }');
    assert.deepEqual(pem.map((i) => i.path), ["DicomTlsPrivateKey"]);
  });

  it("are required by a modality with UseDicomTls even when the listener is plain", () => {
    const issues = issuesOf('{ "DicomModalities": { "pacs": { "AET": "PACS", "Host": "h", "Port": 2762, "UseDicomTls": true } } }');
    assert.deepEqual(issues.map((i) => i.path), ["DicomTlsCertificate", "DicomTlsPrivateKey", "DicomTlsTrustedCertificates"]);
    assert.match(issues[0]!.message, /modality pacs has UseDicomTls true/);
  });

  it("are not checked while TLS is not used", () => {
    const { config } = parseConfigText('{ "DicomTlsCertificate": "nowhere.crt" }', { env: {}, isFile: () => false, file: "/n/o.json" });
    assert.equal(config.dicomTlsCertificate, "/n/nowhere.crt");
  });

  it("revocation lists: one path or several, resolved against the file's folder, with the mode and the grace", () => {
    const one = parseConfigText('{ "DicomTlsCertificateRevocationLists": "crl/hospital.crl", "DicomTlsRevocationCheck": "leaf", "DicomTlsRevocationListGraceDays": 0 }', { env: {}, isFile: always, file: "/n/o.json" });
    assert.deepEqual(one.config.dicomTlsCertificateRevocationLists, ["/n/crl/hospital.crl"]);
    assert.equal(one.config.dicomTlsRevocationCheck, "leaf");
    assert.equal(one.config.dicomTlsRevocationListGraceDays, 0);
    const many = parseConfigText('{ "DicomTlsCertificateRevocationLists": ["root.crl", "/var/lib/crl.d"] }', { env: {}, isFile: always, file: "/n/o.json" });
    assert.deepEqual(many.config.dicomTlsCertificateRevocationLists, ["/n/root.crl", "/var/lib/crl.d"]);
    assert.deepEqual(effectiveConfig(many.config).DicomTlsCertificateRevocationLists, ["/n/root.crl", "/var/lib/crl.d"]);
  });

  it("a modality's TlsCertificate must exist", () => {
    const issue = oneIssue('{ "DicomModalities": { "ct": { "AET": "CT", "Host": "h", "Port": 104, "TlsCertificate": "certs/ct.pem" } } }', { file: "/n/o.json", isFile: () => false });
    assert.equal(issue.path, "DicomModalities.ct.TlsCertificate");
    assert.match(issue.message, /\/n\/certs\/ct\.pem/);
  });
});

describe("modalities", () => {
  it("array form and object form normalise to the same shape, sorted by name", () => {
    const { config, warnings } = parseConfigText(
      `{
        "DicomAet": "NODE", "DicomScuTimeout": 20,
        "DicomTlsCertificate": "n.crt", "DicomTlsPrivateKey": "n.key", "DicomTlsTrustedCertificates": "t.pem",
        "DicomModalities": {
          "z-pacs": [ "PACS", "10.0.0.9", "2762" ],
          "vitrea": [ "VITREA", "192.168.1.1", 104, "Vitrea" ],
          "old": [ "OLD", "h", 104, "SyngoVia" ],
          "ct_1": { "AET": "CT1", "Host": "10.0.0.5", "Port": 104, "AllowMove": false, "AllowStorageCommitment": false,
                    "LocalAet": "NODE_CT", "Timeout": 5, "UseDicomTls": true, "TlsCertificate": "ct.pem", "TlsServerName": false },
          "mr": { "AET": "MR", "Host": "mr.local", "Port": "11112", "LocalAet": "", "Timeout": 0, "AllowNAction": false }
        }
      }`,
      { env: {}, isFile: always, file: "/etc/n/o.json" },
    );
    assert.deepEqual(config.dicomModalities.map((m) => m.name), ["ct_1", "mr", "old", "vitrea", "z-pacs"]);
    const [ct, mr, old, vitrea, pacs] = config.dicomModalities;
    assert.deepEqual(pacs, {
      name: "z-pacs", aet: "PACS", host: "10.0.0.9", port: 2762, manufacturer: "Generic",
      allowEcho: true, allowStore: true, allowFind: true, allowFindWorklist: true, allowGet: true, allowMove: true,
      allowNAction: true, allowEventReport: true, allowTranscoding: true, useDicomTls: false,
      localAet: "NODE", timeout: 20, tlsCertificate: null, tlsServerName: null,
    });
    assert.equal(vitrea?.manufacturer, "Vitrea");
    assert.equal(old?.manufacturer, "GenericNoWildcardInDates");
    assert.ok(warnings.some((w) => w.kind === "obsolete" && w.path === "DicomModalities.old[3]"));
    assert.equal(ct?.allowMove, false);
    assert.equal(ct?.allowNAction, false);
    assert.equal(ct?.allowEventReport, false);
    assert.equal(ct?.localAet, "NODE_CT");
    assert.equal(ct?.timeout, 5);
    assert.equal(ct?.tlsCertificate, "/etc/n/ct.pem");
    assert.equal(ct?.tlsServerName, false);
    assert.equal(mr?.port, 11112);
    assert.equal(mr?.localAet, "NODE");
    assert.equal(mr?.timeout, 20);
    assert.equal(mr?.allowNAction, false);
    assert.equal(mr?.allowEventReport, true);
  });
});

describe("keys that are not dicomtls options", () => {
  it("Orthanc keys of other features are listed as not used; typos and unknown keys are warnings", () => {
    const r = parseConfigText('{ "HttpThreadsCount": 50, "Plugins": [], "DicomWeb": {}, "DicomPrt": 1, "dicomAet": "X", "Frobnicate": true }', { env: {}, file: "/n/o.json" });
    assert.deepEqual(r.ignoredKeys.map((k) => k.key), ["HttpThreadsCount", "DicomWeb"]);
    assert.equal(r.ignoredKeys[0]?.file, "/n/o.json");
    const byPath = new Map(r.warnings.map((w) => [w.path, w]));
    assert.equal(byPath.get("DicomPrt")?.kind, "likely-typo");
    assert.match(byPath.get("DicomPrt")!.message, /typo for "DicomPort"/);
    assert.equal(byPath.get("dicomAet")?.kind, "likely-typo");
    assert.match(byPath.get("dicomAet")!.message, /"DicomAet"/);
    assert.equal(byPath.get("Frobnicate")?.kind, "unknown-key");
    assert.equal(r.config.dicomPort, DEFAULTS.DicomPort);
  });
});

describe("keys validated and not acted on", () => {
  it("are still validated, and listed as not used with their reason (never as warnings: config check lists them)", () => {
    const r = parseConfigText('{ "DicomAssociationCloseDelay": 5, "DicomModalitiesInDatabase": false, "DicomThreadsCount": 2 }', { env: {}, file: "/n/o.json" });
    assert.deepEqual(r.ignoredKeys.map((k) => k.key), ["DicomAssociationCloseDelay", "DicomModalitiesInDatabase"]);
    assert.match(r.ignoredKeys[0]!.reason, /Lua/);
    assert.equal(r.ignoredKeys[1]?.file, "/n/o.json");
    assert.deepEqual(r.warnings, []);
    assert.throws(() => parseConfigText('{ "DicomAssociationCloseDelay": "five" }', { env: {} }), (e: ConfigError) => e.issues.some((i) => i.path === "DicomAssociationCloseDelay"));
  });

  it("a modality's Manufacturer or AllowTranscoding is listed only when set to a value dicomtls would not honour", () => {
    const r = parseConfigText(
      JSON.stringify({
        DicomModalities: {
          plain: ["PLAIN", "h", 104, "Generic"],
          legacy: ["LEGACY", "h", 104, "ClearCanvas"],
          ge: ["GE", "h", 104, "GE"],
          strict: { AET: "STRICT", Host: "h", Port: 104, AllowTranscoding: false, Manufacturer: "Vitrea" },
          fine: { AET: "FINE", Host: "h", Port: 104, AllowTranscoding: true },
        },
      }),
      { env: {}, file: "/n/o.json" },
    );
    assert.deepEqual(r.ignoredKeys.map((k) => k.key).sort(), ["DicomModalities.ge.Manufacturer", "DicomModalities.strict.AllowTranscoding", "DicomModalities.strict.Manufacturer"]);
    for (const k of r.ignoredKeys) {
      assert.equal(k.file, "/n/o.json");
      assert.ok(k.reason.length > 40, k.key);
    }
  });
});

describe("effectiveConfig", () => {
  it("uses Orthanc names, fills defaults and redacts the key password", () => {
    const { config } = parseConfigText('{ "DicomTlsPrivateKeyPassword": "hunter2", "DicomModalities": { "a": ["A", "h", 104] } }', { env: {}, file: "/n/o.json" });
    const eff = effectiveConfig(config);
    assert.equal(eff["DicomTlsPrivateKeyPassword"], REDACTED);
    assert.ok(!JSON.stringify(eff).includes("hunter2"));
    assert.equal(eff["DicomPort"], 4242);
    assert.equal(eff["StorageDirectory"], "/n/OrthancStorage");
    assert.equal(eff["DicomPlainPort"], false);
    assert.deepEqual((eff["DicomModalities"] as Record<string, Record<string, unknown>>)["a"]?.["AET"], "A");
    // Reading the output back gives the same configuration.
    const again = parseConfigText(JSON.stringify({ ...eff, DicomTlsPrivateKeyPassword: "hunter2" }), { env: {}, file: "/n/o.json" });
    assert.deepEqual(again.config, config);
  });

  it("leaves out settings that are not set and have no default", () => {
    const eff = effectiveConfig(parseConfigText("{}", { env: {} }).config);
    assert.ok(!("DicomTlsPrivateKeyPassword" in eff));
    assert.ok(!("DicomTlsCertificate" in eff));
    assert.equal(eff["DicomTlsEnabled"], false);
  });
});
