/**
 * Issue 11, "What must be shown" 1 and 2: plugin files written here (outside the repository), listed in `Plugins`,
 * loaded by the built `dicomtls-server` bin: the settings section validated with its key path, an association veto
 * refusing an AE with the reason in the log, the stored hook seeing each instance sent by `storescu +tls`; two
 * plugins on one SOP class and a throwing register stop the start before any port opens, naming the plugins.
 */
import { strict as assert } from "node:assert";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { appCommand, dcmtkEnv, runProcess, startServer, stopAll, tempDir, writePart10File, type RunResult } from "@dicomtls/test-peers";
import { requirePeers } from "./helpers.js";
import { storescuTls, writeNodeConfig, writePki, type NodeFiles } from "./store-support.js";

requirePeers("storescu", "echoscu");
const tmp = tempDir("dicomtls-plugins-");
let files: NodeFiles;
before(async () => {
  files = await writePki(tmp.path);
});
after(async () => {
  await stopAll();
  tmp.remove();
});

/**
 * A one-file plugin as an administrator writes it: no import at all (a plain object, the schema made with the node's
 * zod), an association veto from its settings, a refusal before commit, and a stored hook writing what it saw.
 */
const TAGGER = `
export default {
  name: "tagger",
  version: "2.1.0",
  dependencies: ["storage"],
  settingsKey: "Tagger",
  settings: (z) => z.object({ RefusedAets: z.array(z.string()), RefusedPatient: z.string().optional(), Seen: z.string() }),
  register(app) {
    const { RefusedAets, RefusedPatient, Seen } = app.settings;
    app.onAssociationRequest((rq, peer, request) =>
      RefusedAets.includes(request.callingAet)
        ? { refuse: true, result: "permanent", reason: "calling-ae-title-not-recognized", why: request.callingAet + " is retired since the move" }
        : undefined,
    );
    app.onInstanceReceived((i) => (i.header.patientId === RefusedPatient ? { refuse: true, status: 0xa900, why: "patient " + i.header.patientId + " is not ours" } : undefined));
    app.onInstanceStored(async (i) => {
      const { appendFile } = await import("node:fs/promises");
      await appendFile(Seen, JSON.stringify({ sop: i.sopInstanceUid, path: i.path, aet: i.callingAet, peer: i.peer.address, cert: i.peer.tls?.certificate?.subject ?? null }) + "\\n");
      app.logger.info({ event: "tagger-stored", sopInstanceUid: i.sopInstanceUid }, "seen");
    });
  },
};
`;

const pluginFile = (name: string, text: string): string => {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  return path;
};

/** The built server bin run to its exit (it must not start): its exit code and output. */
async function startFails(config: string): Promise<RunResult> {
  const { cmd, args } = appCommand("server", { built: true });
  return await runProcess(cmd, [...args, config], { timeoutMs: 60_000 });
}

const storage = (name: string): string => join(tmp.path, name);

describe("a plugin file listed in Plugins, in the built dicomtls-server", () => {
  test("a wrong type in its settings section stops the start, naming the file, the key path, what was expected and found", async () => {
    pluginFile("tagger.mjs", TAGGER);
    const { path } = await writeNodeConfig(tmp.path, "bad-settings.json", files, storage("bad"), {
      Plugins: ["tagger.mjs"],
      Tagger: { RefusedAets: "OLDCT", Seen: "seen.jsonl" },
    });
    const r = await startFails(path);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.stderr, /plugin "tagger" \(.*tagger\.mjs\): Tagger\.RefusedAets: .*expected array.*got "OLDCT" \(.*bad-settings\.json:\d+:\d+\)/, r.output);
    assert.doesNotMatch(r.stdout, /"event":"listening"/, r.output);
  });

  test("its veto refuses an AE with the named reason, its received hook refuses a patient, its stored hook sees each instance", async () => {
    pluginFile("tagger.mjs", TAGGER);
    const seen = join(tmp.path, "seen.jsonl");
    const { path } = await writeNodeConfig(tmp.path, "tagger.json", files, storage("tagger"), {
      Plugins: ["tagger.mjs"],
      Tagger: { RefusedAets: ["OLDCT"], RefusedPatient: "NOT-OURS", Seen: seen },
    });
    const server = await startServer(path, { built: true });
    const registered = await server.waitForRecord((x) => x["event"] === "plugin-registered" && x["plugin"] === "tagger");
    assert.deepEqual(registered["hooks"], ["onAssociationRequest", "onInstanceReceived", "onInstanceStored"]);
    // "Tagger" is the plugin's section: not reported as an unknown key.
    assert.ok(!server.records().some((x) => x["event"] === "config-warning" && x["key"] === "Tagger"), server.process.output());

    const echo = await runProcess("echoscu", ["-v", "-aet", "OLDCT", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "127.0.0.1", String(server.port)], {
      env: dcmtkEnv(),
      timeoutMs: 30_000,
    });
    assert.notEqual(echo.code, 0, echo.output);
    assert.match(echo.output, /Result: Rejected Permanent, Source: Service User/, echo.output);
    assert.match(echo.output, /Reason: Calling AE Title Not Recognized/, echo.output);
    const refused = await server.waitForRecord((x) => x["event"] === "association-refused" && x["callingAet"] === "OLDCT");
    assert.equal(refused["plugin"], "tagger");
    assert.equal(refused["rejectReason"], "calling-ae-title-not-recognized");
    assert.match(String(refused["msg"]), /refused by plugin tagger \(calling-ae-title-not-recognized\): OLDCT is retired since the move/);

    const sent = await Promise.all([1, 2, 3].map((i) => writePart10File(join(tmp.path, `ok-${i}.dcm`), { seed: 1100 + i, patientId: `P${i}`, modality: "CT" })));
    const foreign = await writePart10File(join(tmp.path, "foreign.dcm"), { seed: 1199, patientId: "NOT-OURS" });
    const store = await storescuTls(files, server.port, [...sent.map((f) => f.path), foreign.path]);
    assert.equal((store.output.match(/Received Store Response \(Success\)/g) ?? []).length, 3, store.output);
    assert.match(store.output, /Received Store Response \(Error: DataSetDoesNotMatchSOPClass\)/, store.output);

    for (const f of sent) await server.waitForRecord((x) => x["event"] === "tagger-stored" && x["sopInstanceUid"] === f.spec.sopInstanceUid && x["plugin"] === "tagger");
    const lines = readFileSync(seen, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { sop: string; path: string; aet: string; peer: string; cert: string | null });
    assert.deepEqual(lines.map((l) => l.sop).sort(), sent.map((f) => f.spec.sopInstanceUid).sort());
    for (const l of lines) {
      assert.ok(l.path.startsWith(storage("tagger")) && existsSync(l.path), l.path);
      assert.equal(l.aet, "STORESCU");
      assert.equal(l.peer, "127.0.0.1");
      assert.match(l.cert ?? "", /CN=/);
    }
    // Refused before commit: the store answered a failure and kept nothing of it.
    const failed = await server.waitForRecord((x) => x["event"] === "store-failed" && x["sopInstanceUid"] === foreign.spec.sopInstanceUid);
    assert.equal(failed["status"], "0xA900");
    assert.equal(await server.stop(), 0);
  });
});

describe("TLS hooks of a plugin file", () => {
  test("onTlsPeerVerified vetoes a certificate by its subject; onTlsRefused and onAssociationClosed hear what happened", async () => {
    pluginFile(
      "gatekeeper.mjs",
      `
export default {
  name: "gatekeeper",
  version: "1.0.0",
  settingsKey: "Gatekeeper",
  settings: (z) => z.object({ VetoSubject: z.string() }),
  register(app) {
    app.onTlsPeerVerified((peer) => (peer.tls?.certificate?.subject.includes(app.settings.VetoSubject) ? "subject " + app.settings.VetoSubject + " is barred" : undefined));
    app.onTlsRefused((r) => app.logger.info({ event: "gatekeeper-refused", reason: r.reason, subject: r.certificate?.subject ?? null }, "refused"));
    app.onAssociationClosed((a) => app.logger.info({ event: "gatekeeper-closed", how: a.how, aet: a.callingAet }, "closed"));
  },
};
`,
    );
    const echoArgs = (port: number, aet: string): string[] => ["-v", "-aet", aet, "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "127.0.0.1", String(port)];
    const subject = new X509Certificate(files.pki.client.cert).subject;
    const cn = /CN=([^,\n]+)/.exec(subject)?.[1];
    assert.ok(cn !== undefined, subject);

    const open = await writeNodeConfig(tmp.path, "gate-open.json", files, storage("gate-open"), { Plugins: ["gatekeeper.mjs"], Gatekeeper: { VetoSubject: "CN=nobody-has-this" } });
    const a = await startServer(open.path, { built: true });
    const ok = await runProcess("echoscu", echoArgs(a.port, "PASSES"), { env: dcmtkEnv(), timeoutMs: 30_000 });
    assert.equal(ok.code, 0, ok.output);
    const closed = await a.waitForRecord((x) => x["event"] === "gatekeeper-closed");
    assert.deepEqual([closed["how"], closed["aet"]], ["released", "PASSES"]);
    assert.equal(await a.stop(), 0);

    const barred = await writeNodeConfig(tmp.path, "gate-barred.json", files, storage("gate-barred"), { Plugins: ["gatekeeper.mjs"], Gatekeeper: { VetoSubject: `CN=${cn}` } });
    const b = await startServer(barred.path, { built: true });
    const no = await runProcess("echoscu", echoArgs(b.port, "BARRED"), { env: dcmtkEnv(), timeoutMs: 30_000 });
    assert.doesNotMatch(no.output, /Received Echo Response/, no.output);
    const refusal = await b.waitForRecord((x) => x["event"] === "tls-peer-refused" && x["reason"] === "PLUGIN_VETO");
    assert.equal(refusal["plugin"], "gatekeeper");
    assert.match(String(refusal["msg"]), new RegExp(`refused by plugin gatekeeper: subject CN=${cn} is barred`));
    const heard = await b.waitForRecord((x) => x["event"] === "gatekeeper-refused");
    assert.equal(heard["reason"], "PLUGIN_VETO");
    assert.match(String(heard["subject"]), new RegExp(`CN=${cn}`));
    assert.equal(await b.stop(), 0);
  });
});

describe("plugins that cannot start stop the node before any port opens", () => {
  const worklistServer = (name: string): string => `
export default {
  name: "${name}",
  version: "1.0.0",
  register(app) {
    app.handle("1.2.840.10008.5.1.4.31", () => ({ status: 0 }));
  },
};
`;

  test("two plugins serving one SOP class: the start fails naming both", async () => {
    pluginFile("wl-a.mjs", worklistServer("worklist-a"));
    pluginFile("wl-b.mjs", worklistServer("worklist-b"));
    const { path } = await writeNodeConfig(tmp.path, "two-handlers.json", files, storage("two"), { Plugins: ["wl-a.mjs", "wl-b.mjs"] });
    const r = await startFails(path);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.stderr, /SOP class 1\.2\.840\.10008\.5\.1\.4\.31 is served twice: by plugin "worklist-a" and by plugin "worklist-b"/, r.output);
    assert.doesNotMatch(r.stdout, /"event":"listening"/, r.output);
  });

  test("a register that throws: no port opens, a non-zero exit, the plugin named", async () => {
    // The plugin itself probes the DICOM port while it registers: nothing may listen there yet.
    const { path, port } = await writeNodeConfig(tmp.path, "throws.json", files, storage("throws"), { Plugins: ["plugins"] });
    const folder = join(tmp.path, "plugins");
    (await import("node:fs")).mkdirSync(folder, { recursive: true });
    pluginFile(
      "plugins/broken.js",
      `
import { connect } from "node:net";
export default {
  name: "broken",
  version: "0.0.1",
  async register(app) {
    const probe = await new Promise((resolve) => {
      const s = connect(app.config.dicomPort, "127.0.0.1");
      s.on("connect", () => { s.destroy(); resolve("open"); });
      s.on("error", (e) => resolve(e.code));
    });
    app.logger.info({ event: "broken-probe", probe }, "probed");
    throw new Error("the licence file is missing");
  },
};
`,
    );
    writeFileSync(join(folder, "package.json"), '{ "type": "module" }\n');
    const r = await startFails(path);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.stderr, /plugin "broken" \(.*broken\.js\): register failed: the licence file is missing/, r.output);
    assert.match(r.stdout, /"event":"broken-probe","probe":"ECONNREFUSED"/, r.output);
    assert.doesNotMatch(r.stdout, /"event":"listening"/, r.output);
    const failed = r.stdout.split("\n").find((l) => l.includes('"event":"start-failed"'));
    assert.match(failed ?? "", /"plugin":"broken"/, r.output);
    assert.ok(port > 0);
  });
});
