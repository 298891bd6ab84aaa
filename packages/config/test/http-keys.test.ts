import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, effectiveConfig, parseConfigText, REDACTED } from "../src/index.js";

const always = (): boolean => true;
const never = (): boolean => false;

function errorsOf(text: string, isFile: (p: string) => boolean = always): ConfigError {
  try {
    parseConfigText(text, { env: {}, file: "/srv/node/orthanc.json", isFile });
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  assert.fail(`expected a ConfigError for ${text}`);
}

describe("HTTP(S) keys (Orthanc's names and defaults)", () => {
  it("defaults: HTTP on 8042, loopback only, no authentication, no TLS, metrics on", () => {
    const { config, warnings } = parseConfigText("{}", { env: {}, file: "/srv/node/orthanc.json" });
    assert.equal(config.httpServerEnabled, true);
    assert.equal(config.httpPort, 8042);
    assert.equal(config.remoteAccessAllowed, false);
    assert.equal(config.authenticationEnabled, false);
    assert.deepEqual(config.registeredUsers, {});
    assert.equal(config.sslEnabled, false);
    assert.equal(config.sslCertificate, "/srv/node/certificate.pem");
    assert.equal(config.metricsEnabled, true);
    assert.deepEqual(warnings, []);
  });

  it("RemoteAccessAllowed turns authentication on when AuthenticationEnabled is absent (Orthanc >= 1.5.8)", () => {
    const { config, warnings } = parseConfigText('{ "RemoteAccessAllowed": true, "RegisteredUsers": { "alice": "pw" } }', { env: {} });
    assert.equal(config.authenticationEnabled, true);
    assert.deepEqual(warnings, []);
  });

  it("an explicit AuthenticationEnabled false with remote access is kept, with a warning", () => {
    const { config, warnings } = parseConfigText('{ "RemoteAccessAllowed": true, "AuthenticationEnabled": false }', { env: {} });
    assert.equal(config.authenticationEnabled, false);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.path, "AuthenticationEnabled");
    assert.match(warnings[0].message, /RemoteAccessAllowed is true/);
  });

  it("authentication without any user warns that every request is refused (no default orthanc:orthanc user)", () => {
    const { config, warnings } = parseConfigText('{ "RemoteAccessAllowed": true }', { env: {} });
    assert.deepEqual(config.registeredUsers, {});
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.path, "RegisteredUsers");
    assert.match(warnings[0].message, /refused with 401.*"orthanc"/);
  });

  it("bad values name the key; a password is never echoed", () => {
    const e = errorsOf('{ "HttpPort": 70000, "MetricsEnabled": "yes", "RegisteredUsers": { "bob": 12345 } }');
    const byPath = new Map(e.issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get("HttpPort") ?? "", /expected an integer 1-65535, got 70000/);
    assert.match(byPath.get("MetricsEnabled") ?? "", /expected true or false/);
    const users = [...byPath.entries()].find(([p]) => p.startsWith("RegisteredUsers"));
    assert.ok(users !== undefined, JSON.stringify([...byPath]));
    assert.doesNotMatch(users[1], /12345/);
  });

  it("a user name with ':' is refused (RFC 7617 Basic cannot carry it)", () => {
    const e = errorsOf('{ "RegisteredUsers": { "a:b": "pw" } }');
    assert.ok(e.issues.some((i) => i.path.startsWith("RegisteredUsers") && /without ':'/.test(i.message)), e.message);
  });

  it("SslEnabled needs SslCertificate to exist, resolved against the file's folder", () => {
    const e = errorsOf('{ "SslEnabled": true, "SslCertificate": "https.pem" }', never);
    assert.equal(e.issues.length, 1, e.message);
    assert.equal(e.issues[0]?.path, "SslCertificate");
    assert.match(e.issues[0].message, /\/srv\/node\/https\.pem/);
  });

  it("SslCertificate is not checked while the HTTP server or TLS is off", () => {
    parseConfigText('{ "SslEnabled": false, "SslCertificate": "nowhere.pem" }', { env: {}, isFile: never });
    parseConfigText('{ "HttpServerEnabled": false, "SslEnabled": true }', { env: {}, isFile: never });
  });

  it("effectiveConfig lists the keys and redacts the passwords", () => {
    const { config } = parseConfigText('{ "HttpPort": 9000, "RegisteredUsers": { "alice": "secret" } }', { env: {}, file: "/n/o.json" });
    const out = effectiveConfig(config);
    assert.equal(out["HttpPort"], 9000);
    assert.equal(out["HttpServerEnabled"], true);
    assert.deepEqual(out["RegisteredUsers"], { alice: REDACTED });
    assert.doesNotMatch(JSON.stringify(out), /secret/);
  });
});
