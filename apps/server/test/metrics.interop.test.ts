/**
 * /metrics after real traffic: DCMTK echoscu +tls and storescu +tls associations, and one peer refused for an
 * untrusted client certificate. The text is read by a strict exposition-format parser (http-support.ts says why
 * not promtool) and shows the associations, the stored instances and the refusal with its reason code.
 */
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeCert } from "@dicomtls/test-pki";
import { requireTool, stopAll, tempDir, writePart10File, SyntheticPreset } from "@dicomtls/test-peers";
import { assertEchoRefused, assertEchoSucceeded, echoscu, waitForTlsRefusal } from "./helpers.js";
import { get, parsePrometheusText, startHttpNode, valueOf, type HttpNode, type Sample } from "./http-support.js";
import { storedFiles, storescuTls, writePki, type NodeFiles } from "./store-support.js";

for (const tool of ["echoscu", "storescu"]) requireTool(tool);
const tmp = tempDir("dicomtls-metrics-");
after(async () => {
  await stopAll();
  tmp.remove();
});

const INSTANCES = 3;

describe("/metrics after echoscu +tls, storescu +tls and an untrusted client", () => {
  let files: NodeFiles;
  let node: HttpNode;
  let samples: Sample[];
  let text: string;
  const storage = join(tmp.path, "storage");

  before(async () => {
    files = await writePki(tmp.path);
    node = await startHttpNode(tmp.path, "node.json", files, storage, { DicomCheckCalledAet: true });
    const echo = await echoscu(["-v", "-aet", "ECHOSCU", "-aec", "DICOMTLS", "127.0.0.1", String(node.server.port), "+tls", files.clientKey, files.clientCert, "+cf", files.caFile]);
    assertEchoSucceeded(echo);
    const sources: string[] = [];
    mkdirSync(join(tmp.path, "src"));
    for (let i = 0; i < INSTANCES; i++) sources.push((await writePart10File(join(tmp.path, "src", `ct-${i}.dcm`), { ...SyntheticPreset.Ct512k, seed: 7000 + i, sequences: false })).path);
    const store = await storescuTls(files, node.server.port, sources);
    assert.equal(store.code, 0, store.output);
    assert.equal(storedFiles(storage).length, INSTANCES);
    const stranger = writeCert(tmp.path, "other-ca", await files.pki.variants.otherCa());
    const refused = await echoscu(["-v", "-aet", "STRANGER", "127.0.0.1", String(node.server.port), "+tls", stranger.keyFile, stranger.chainFile, "+cf", files.caFile]);
    assertEchoRefused(refused);
    await waitForTlsRefusal(node.server, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    // A trusted client calling another AE title: A-ASSOCIATE-RJ (DicomCheckCalledAet).
    const wrongAe = await echoscu(["-v", "-aet", "LOST", "-aec", "ELSEWHERE", "127.0.0.1", String(node.server.port), "+tls", files.clientKey, files.clientCert, "+cf", files.caFile]);
    assertEchoRefused(wrongAe);
    // Each association's end is published after its last response: wait for the log line of the store's.
    await node.server.waitForRecord((r) => r["event"] === "association-released" && r["callingAet"] === "STORESCU");
    const res = await get(`${node.base}/metrics`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    text = res.text;
    samples = parsePrometheusText(text);
  });
  after(() => node.server.stop());

  test("every metric name starts with dicomtls_", () => {
    const bad = samples.filter((s) => !s.name.startsWith("dicomtls_"));
    assert.deepEqual(bad, []);
    assert.ok(samples.length > 30, text);
  });

  test("the associations, by outcome and calling AE title, and how they ended", () => {
    assert.equal(valueOf(samples, "dicomtls_associations_total", { outcome: "accepted", calling_ae: "ECHOSCU" }), 1, text);
    assert.equal(valueOf(samples, "dicomtls_associations_total", { outcome: "accepted", calling_ae: "STORESCU" }), 1, text);
    assert.equal(valueOf(samples, "dicomtls_associations_total", { outcome: "rejected", calling_ae: "LOST" }), 1, text);
    assert.equal(valueOf(samples, "dicomtls_associations_closed_total", { end: "released" }), 2, text);
    assert.equal(valueOf(samples, "dicomtls_open_associations"), 0, text);
    // Three associations requested plus the refused client completed the TLS handshake itself (the certificate is judged after it).
    assert.equal(valueOf(samples, "dicomtls_tls_handshakes_total", { result: "completed" }), 4, text);
  });

  test("the stored instances, their bytes and the C-STORE duration histogram", () => {
    assert.equal(valueOf(samples, "dicomtls_instances_stored_total"), INSTANCES, text);
    assert.ok((valueOf(samples, "dicomtls_stored_bytes_total") ?? 0) > INSTANCES * 512 * 1024, text);
    assert.equal(valueOf(samples, "dicomtls_cstore_duration_seconds_count"), INSTANCES, text);
    assert.equal(valueOf(samples, "dicomtls_cstore_duration_seconds_bucket", { le: "+Inf" }), INSTANCES, text);
    assert.equal(valueOf(samples, "dicomtls_store_failures_total"), undefined, "no failure series before a failure");
    // Bytes on the wire: at least the datasets came in over TLS.
    assert.ok((valueOf(samples, "dicomtls_received_bytes_total") ?? 0) > INSTANCES * 512 * 1024, text);
    assert.ok((valueOf(samples, "dicomtls_sent_bytes_total") ?? 0) > 0, text);
  });

  test("the refusal of the untrusted client, with OpenSSL's reason code, and the A-ASSOCIATE-RJ with its reason", () => {
    assert.equal(valueOf(samples, "dicomtls_refusals_total", { stage: "association", reason: "CALLED_AE_NOT_RECOGNIZED" }), 1, text);
    const refusals = samples.filter((s) => s.name === "dicomtls_refusals_total" && s.labels["stage"] !== "association");
    assert.equal(refusals.length, 1, text);
    assert.equal(refusals[0]?.labels["stage"], "tls-peer");
    assert.match(refusals[0]?.labels["reason"] ?? "", /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    assert.equal(refusals[0]?.value, 1);
  });

  test("certificate expiry, runtime figures and the codec pool (a plugin's metrics) are there", () => {
    const own = samples.find((s) => s.name === "dicomtls_certificate_expiry_seconds" && s.labels["role"] === "own");
    assert.ok(own !== undefined && own.value > 0, text);
    assert.match(own.labels["subject"] ?? "", /localhost/);
    assert.ok(samples.some((s) => s.name === "dicomtls_certificate_expiry_seconds" && s.labels["role"] === "trusted"), text);
    for (const name of ["dicomtls_event_loop_delay_p99_seconds", "dicomtls_resident_memory_bytes", "dicomtls_gc_pauses_total", "dicomtls_codec_pool_utilization_ratio", "dicomtls_codec_pool_queue_length"]) {
      assert.ok(valueOf(samples, name) !== undefined, `${name} missing:\n${text}`);
    }
    assert.ok((valueOf(samples, "dicomtls_resident_memory_bytes") ?? 0) > 10 * 1024 * 1024);
  });

  test("the parser is strict: it refuses what promtool would", () => {
    assert.throws(() => parsePrometheusText("# TYPE x_total counter\nx_total 1\n# TYPE x_total counter\n"), /TYPE of x_total twice/);
    assert.throws(() => parsePrometheusText("# TYPE requests counter\nrequests 1\n"), /should end in _total/);
    assert.throws(() => parsePrometheusText('a{b="c} 1\n'), /not closed|not a sample/);
    assert.throws(() => parsePrometheusText("a 1\na 2\n"), /duplicate series/);
    assert.throws(() => parsePrometheusText("a one\n"), /not a float/);
    assert.throws(
      () => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
      /not cumulative/,
    );
  });
});
