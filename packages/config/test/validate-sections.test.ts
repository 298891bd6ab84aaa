import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { effectiveConfig, parseConfigText } from "../src/index.js";
import { always, issuesOf, oneIssue } from "./validate-support.js";

describe("AuditTrail (dicomtls: PS3.15 A.5 audit messages to a file and to syslog)", () => {
  const tlsFiles = '"DicomTlsCertificate": "node.crt", "DicomTlsPrivateKey": "node.key", "DicomTlsTrustedCertificates": "ca.crt"';

  it("absent: no file, no syslog", () => {
    const { config } = parseConfigText("{}", { env: {}, file: "/srv/node/orthanc.json" });
    assert.deepEqual(config.auditTrail, { file: null, syslog: null });
    assert.equal("AuditTrail" in effectiveConfig(config), false);
  });

  it("a relative File is relative to the configuration file; tls defaults to port 6514", () => {
    const text = `{ ${tlsFiles}, "AuditTrail": { "File": "audit.log", "Syslog": { "Host": "127.0.0.1" } } }`;
    const { config } = parseConfigText(text, { env: {}, file: "/srv/node/orthanc.json", isFile: always });
    assert.equal(config.auditTrail.file, "/srv/node/audit.log");
    assert.deepEqual(config.auditTrail.syslog, { host: "127.0.0.1", port: 6514, protocol: "tls", queueSize: 1000 });
  });

  it("udp defaults to port 514 and needs no TLS files", () => {
    const { config } = parseConfigText('{ "AuditTrail": { "Syslog": { "Host": "logs", "Protocol": "udp", "QueueSize": 5 } } }', { env: {}, file: "/srv/node/orthanc.json" });
    assert.deepEqual(config.auditTrail.syslog, { host: "logs", port: 514, protocol: "udp", queueSize: 5 });
    assert.deepEqual(effectiveConfig(config)["AuditTrail"], { Syslog: { Host: "logs", Port: 514, Protocol: "udp", QueueSize: 5 } });
  });

  const cases: { name: string; text: string; path: string; message: RegExp }[] = [
    { name: "unknown protocol", text: '{ "AuditTrail": { "Syslog": { "Host": "h", "Protocol": "tcp" } } }', path: "AuditTrail.Syslog.Protocol", message: /expected "tls" or "udp", got "tcp"/ },
    { name: "port out of range", text: '{ "AuditTrail": { "Syslog": { "Host": "h", "Protocol": "udp", "Port": 0 } } }', path: "AuditTrail.Syslog.Port", message: /expected an integer 1-65535, got 0/ },
    { name: "missing host", text: '{ "AuditTrail": { "Syslog": { "Protocol": "udp" } } }', path: "AuditTrail.Syslog.Host", message: /missing; expected a host name/ },
    { name: "File not a string", text: '{ "AuditTrail": { "File": 3 } }', path: "AuditTrail.File", message: /expected a file path, got 3/ },
    { name: "not an object", text: '{ "AuditTrail": "audit.log" }', path: "AuditTrail", message: /expected an object \{ "File", "Syslog" \}/ },
    { name: "tls without the node's TLS files", text: '{ "AuditTrail": { "Syslog": { "Host": "h" } } }', path: "AuditTrail.Syslog.Protocol", message: /"tls" sends the audit trail with the node's TLS settings, but DicomTlsCertificate is not set/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const issues = issuesOf(c.text);
      const hit = issues.find((i) => i.path === c.path);
      assert.ok(hit, `no issue at ${c.path}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
      assert.match(hit.message, c.message);
    });
  }

  it("an unknown key inside AuditTrail is an error naming it", () => {
    const issues = issuesOf('{ "AuditTrail": { "Fiel": "a.log" } }');
    assert.ok(issues.some((i) => i.path.startsWith("AuditTrail") && /Fiel/.test(`${i.path} ${i.message}`)), issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  });
});

describe("Plugins and plugin sections", () => {
  it("entries are files or folders relative to the configuration file, or package names", () => {
    const { config } = parseConfigText(
      '{ "Plugins": [ "plugins/tagger.mjs", "./local", "/usr/share/orthanc/plugins/libModalityWorklists.so", "@dicomtls/plugin-router", "worklists" ] }',
      { env: {}, file: "/srv/node/orthanc.json" },
    );
    assert.deepEqual(config.plugins, [
      { kind: "path", entry: "plugins/tagger.mjs", path: "/srv/node/plugins/tagger.mjs" },
      { kind: "path", entry: "./local", path: "/srv/node/local" },
      { kind: "path", entry: "/usr/share/orthanc/plugins/libModalityWorklists.so", path: "/usr/share/orthanc/plugins/libModalityWorklists.so" },
      { kind: "package", entry: "@dicomtls/plugin-router", name: "@dicomtls/plugin-router", baseDir: "/srv/node" },
      { kind: "package", entry: "worklists", name: "worklists", baseDir: "/srv/node" },
    ]);
    assert.deepEqual(parseConfigText("{}", { env: {} }).config.plugins, []);
  });

  it("a Plugins value that is not an array of strings is an error naming the key", () => {
    assert.match(oneIssue('{ "Plugins": "x.js" }').message, /expected an array of plugin files/);
    const issue = oneIssue('{ "Plugins": [ "a.js", 3 ] }');
    assert.equal(issue.path, "Plugins[1]");
    assert.match(issue.message, /expected an array of plugin files.*got 3/);
  });

  it("checkSection validates a plugin's section with its schema, placing each issue in its file", async () => {
    const { z } = await import("zod");
    const schema = z.object({ RetryIntervalSeconds: z.number().int() }).optional();
    const text = '{\n  "Router" : {\n    "RetryIntervalSeconds" : "5"\n  }\n}';
    const r = parseConfigText(text, { env: {}, file: "/srv/node/orthanc.json" });
    const bad = r.checkSection("Router", schema);
    assert.equal(bad.ok, false);
    const issue = bad.ok ? undefined : bad.issues[0];
    assert.equal(issue?.path, "Router.RetryIntervalSeconds");
    assert.match(issue?.message ?? "", /expected number.*got "5"/);
    assert.deepEqual(issue?.location, { file: "/srv/node/orthanc.json", line: 3, column: 30 });
    const good = parseConfigText('{ "Router": { "RetryIntervalSeconds": 5 } }', { env: {} }).checkSection("Router", schema);
    assert.deepEqual(good, { ok: true, value: { RetryIntervalSeconds: 5 } });
    const absent = parseConfigText("{}", { env: {} }).checkSection("Router", z.object({ A: z.number() }));
    assert.equal(absent.ok ? undefined : absent.issues[0]?.kind, "missing-value");
  });
});
