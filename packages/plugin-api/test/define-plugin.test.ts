import assert from "node:assert/strict";
import { test } from "node:test";
import { PluginError, PluginErrorCode, RejectReason, assertPlugin, definePlugin, refuseAssociation, refuseInstance, rejectionOf, z } from "@dicomtls/plugin-api";

test("definePlugin returns the definition, and its settings type follows the schema", () => {
  const plugin = definePlugin({
    name: "acme-tagger",
    version: "1.2.0",
    settingsKey: "Tagger",
    settings: z.object({ Prefix: z.string().default("X") }).default({ Prefix: "X" }),
    register(app) {
      const prefix: string = app.settings.Prefix;
      void prefix;
    },
  });
  assert.equal(plugin.name, "acme-tagger");
  assert.equal(plugin.settingsKey, "Tagger");
});

test("a plain object of the plugin shape passes; each wrong field is named", () => {
  const ok = { name: "plain", version: "0.0.1", register() {} };
  assert.equal(assertPlugin(ok, "x.mjs"), ok);
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /x\.mjs: the default export is not a plugin/],
    [{ version: "1", register() {} }, /name: expected/],
    [{ name: "a", register() {} }, /plugin "a": version/],
    [{ name: "a", version: "1" }, /plugin "a": register: expected a function, got undefined/],
    [{ name: "a", version: "1", register() {}, dependencies: "storage" }, /dependencies: expected an array/],
    [{ name: "a", version: "1", register() {}, settings: z.string() }, /settings and settingsKey go together/],
    [{ name: "a", version: "1", register() {}, settingsKey: "A", settings: {} }, /settings: expected a zod schema/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => assertPlugin(value, "x.mjs"),
      (err: unknown) => err instanceof PluginError && err.code === PluginErrorCode.InvalidPlugin && message.test(err.message),
    );
  }
});

test("association verdicts become the PS3.8 Table 9-21 numbers", () => {
  assert.equal(rejectionOf(undefined), undefined);
  assert.deepEqual(rejectionOf("closed for maintenance"), { result: 1, source: 1, reason: 1, name: "no-reason-given", why: "closed for maintenance" });
  assert.deepEqual(rejectionOf(refuseAssociation(RejectReason.CallingAeTitleNotRecognized, "CT9 retired")), {
    result: 1,
    source: 1,
    reason: 3,
    name: "calling-ae-title-not-recognized",
    why: "CT9 retired",
  });
  const busy = rejectionOf(refuseAssociation(RejectReason.LocalLimitExceeded, "queue full", "transient"));
  assert.deepEqual([busy?.result, busy?.source, busy?.reason], [2, 3, 2]);
  assert.throws(() => rejectionOf({ refuse: true, result: "permanent", reason: "because" as RejectReason, why: "" }), /unknown association reject reason "because"/);
});

test("refuseInstance takes failure statuses only", () => {
  assert.deepEqual(refuseInstance(0xa900, "not a CT"), { refuse: true, status: 0xa900, why: "not a CT" });
  assert.throws(() => refuseInstance(0x0000, "ok?"), /not a C-STORE failure status/);
  assert.throws(() => refuseInstance(0xb000, "warning"), /not a C-STORE failure status/);
});
