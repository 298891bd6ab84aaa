/** The plugin host without sockets: start order, deadlines, one handler per SOP class, close order. */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { Writable } from "node:stream";
import { parseConfigText } from "@dicomtls/config";
import { PluginError, PluginErrorCode, definePlugin } from "@dicomtls/plugin-api";
import { createScp } from "@dicomtls/scp";
import { Registry } from "prom-client";
import { createLogger } from "../src/log.js";
import type { LoadedPlugin } from "../src/plugin-types.js";
import { startOrder } from "../src/plugins/order.js";
import { PluginHost } from "../src/plugins/plugin-host.js";
import { pluginScu } from "../src/plugins/plugin-scu.js";

function makeHost(options: { registerTimeoutMs?: number; closeTimeoutMs?: number } = {}): { host: PluginHost; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const { config } = parseConfigText("{}", { env: {} });
  const host = new PluginHost({
    config,
    configDirectory: "/tmp",
    scp: createScp({ aeTitle: "HOST" }),
    logger: createLogger({ destination }),
    registry: new Registry(),
    scu: pluginScu(config, () => undefined),
    ...options,
  });
  return { host, lines };
}

const loaded = (name: string, register: () => void | Promise<void>, dependencies?: string[]): LoadedPlugin => ({
  plugin: definePlugin({ name, version: "1.0.0", ...(dependencies !== undefined && { dependencies }), register }),
  settings: undefined,
  source: `${name}.mjs`,
});

const code = (expected: string, message: RegExp) => (err: unknown) => err instanceof PluginError && err.code === expected && message.test(err.message);

test("start order: dependencies first, otherwise as listed; a cycle, a missing dependency and a duplicate name are named", () => {
  const e = (name: string, dependencies: string[] = []) => ({ name, dependencies, source: `${name}.mjs` });
  assert.deepEqual(startOrder([e("router", ["storage", "audit"]), e("storage"), e("audit"), e("other")]).map((x) => x.name), ["storage", "audit", "router", "other"]);
  assert.throws(() => startOrder([e("a", ["b"]), e("b", ["c"]), e("c", ["a"])]), code(PluginErrorCode.Dependencies, /cycle: a -> b -> c -> a/));
  assert.throws(() => startOrder([e("a", ["ghost"])]), code(PluginErrorCode.Dependencies, /plugin "a" \(a\.mjs\) depends on plugin "ghost", which is not loaded/));
  assert.throws(() => startOrder([e("a"), e("a")]), code(PluginErrorCode.Dependencies, /two plugins are named "a": a\.mjs and a\.mjs/));
});

test("a register that hangs past the deadline fails the start naming the plugin", async () => {
  const { host } = makeHost({ registerTimeoutMs: 100 });
  await assert.rejects(
    host.registerAll([loaded("quick", () => undefined), loaded("stuck", () => new Promise<void>(() => undefined))]),
    code(PluginErrorCode.RegisterFailed, /plugin "stuck" \(stuck\.mjs\): register did not finish within 0\.1 s/),
  );
  assert.deepEqual(host.plugins.map((p) => p.name), ["quick", "stuck"]);
});

test("a second handler of a SOP class, or one for Verification, is refused naming both", async () => {
  const serve = (name: string, uid: string): LoadedPlugin => ({
    plugin: definePlugin({ name, version: "1.0.0", register: (app) => app.handle(uid, () => undefined) }),
    settings: undefined,
    source: `${name}.mjs`,
  });
  const a = makeHost();
  await assert.rejects(a.host.registerAll([serve("one", "1.2.3"), serve("two", "1.2.3")]), code(PluginErrorCode.ServiceConflict, /1\.2\.3 is served twice: by plugin "one" and by plugin "two"/));
  const b = makeHost();
  await assert.rejects(b.host.registerAll([serve("echo", "1.2.840.10008.1.1")]), code(PluginErrorCode.ServiceConflict, /by the node's Verification service and by plugin "echo"/));
});

test("close runs last-registered first; a close past its deadline is logged and the next still runs", async () => {
  const { host, lines } = makeHost({ closeTimeoutMs: 100 });
  const closed: string[] = [];
  const closing = (name: string, hang = false): LoadedPlugin => ({
    plugin: definePlugin({
      name,
      version: "1.0.0",
      register: (app) =>
        app.onClose(async () => {
          closed.push(name);
          if (hang) await new Promise<void>(() => undefined);
        }),
    }),
    settings: undefined,
    source: `${name}.mjs`,
  });
  await host.registerAll([closing("first"), closing("second", true), closing("third")]);
  await host.close();
  assert.deepEqual(closed, ["third", "second", "first"]);
  assert.ok(lines.some((l) => l.includes('"event":"plugin-close-failed"') && l.includes('"plugin":"second"') && l.includes("within 0.1 s")), lines.join(""));
});

test("a failing stored hook is logged with its plugin and does not stop the next", async () => {
  const { host, lines } = makeHost();
  const seen: string[] = [];
  await host.registerAll([
    { plugin: definePlugin({ name: "bad", version: "1", register: (app) => app.onInstanceStored(() => Promise.reject(new Error("disk full"))) }), settings: undefined, source: "bad.mjs" },
    { plugin: definePlugin({ name: "good", version: "1", register: (app) => app.onInstanceStored((i) => void seen.push(i.sopInstanceUid)) }), settings: undefined, source: "good.mjs" },
  ]);
  const peer = { address: "127.0.0.1", port: 1, tls: undefined };
  await host.instanceStored({ sopClassUid: "1.2", sopInstanceUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.1", header: { sopClassUid: "1.2", sopInstanceUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.1", headerLength: 0, truncated: false }, path: "/x", duplicate: false, callingAet: "A", calledAet: "B", peer, bytes: 1 });
  assert.deepEqual(seen, ["1.2.3"]);
  assert.ok(lines.some((l) => l.includes('"event":"plugin-hook-failed"') && l.includes('"plugin":"bad"') && l.includes("disk full")), lines.join(""));
});
