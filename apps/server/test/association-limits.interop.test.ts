/**
 * DicomMaximumAssociations and DicomMaximumAssociationsPerHost against the built bin, with raw A-ASSOCIATE-RQs from
 * two loopback addresses (127.0.0.1 and 127.0.0.2): the request past a limit gets A-ASSOCIATE-RJ rejected-transient,
 * source service-provider (presentation related function), reason local-limit-exceeded (PS3.8 Table 9-21), one log
 * record names the peer and the limit, and a slot freed by a release is taken again.
 */
import { strict as assert } from "node:assert";
import { after, before, test } from "node:test";
import { AssociateRjResult, AssociateRjSource, PduType, type Pdu } from "@dicomtls/pdu-codec";
import { freePort, startServer, stopAll, tempDir, type StartedServer } from "@dicomtls/test-peers";
import { writeConfig } from "./helpers.js";
import { RawPeer } from "./raw-peer.js";

const tmp = tempDir("dicomtls-limits-");
const VERIFICATION = "1.2.840.10008.1.1";
/** PS3.8 Table 9-21, source 3: 2 = local-limit-exceeded. */
const LOCAL_LIMIT_EXCEEDED = 2;
const TOTAL = 3;
const PER_HOST = 2;
let server: StartedServer;
const peers: RawPeer[] = [];

before(async () => {
  const config = writeConfig(tmp.path, "limits.json", {
    DicomAet: "DICOMTLS",
    DicomPort: await freePort(),
    DicomMaximumAssociations: TOTAL,
    DicomMaximumAssociationsPerHost: PER_HOST,
    StorageDirectory: `${tmp.path}/storage`,
  });
  server = await startServer(config, { built: true });
});
after(async () => {
  for (const p of peers) p.destroy();
  await stopAll();
  tmp.remove();
});

async function associate(callingAeTitle: string, from: string): Promise<{ peer: RawPeer; answer: Pdu | undefined }> {
  const peer = await RawPeer.connect(server.port, from);
  peers.push(peer);
  return { peer, answer: await peer.associate(callingAeTitle, "DICOMTLS", [VERIFICATION]) };
}

function assertLimitRejection(answer: Pdu | undefined): void {
  assert.ok(answer?.type === PduType.AAssociateRj, `A-ASSOCIATE-RJ expected, got ${JSON.stringify(answer)}`);
  assert.equal(answer.result, AssociateRjResult.RejectedTransient);
  assert.equal(answer.source, AssociateRjSource.ServiceProviderPresentation);
  assert.equal(answer.reason, LOCAL_LIMIT_EXCEEDED);
}

function refusals(callingAet: string): Array<Record<string, unknown>> {
  return server.records().filter((r) => r["event"] === "association-refused" && r["callingAet"] === callingAet);
}

async function refusal(callingAet: string): Promise<Record<string, unknown>> {
  await server.waitForRecord((r) => r["event"] === "association-refused" && r["callingAet"] === callingAet);
  const found = refusals(callingAet);
  assert.equal(found.length, 1, `one record for ${callingAet}: ${JSON.stringify(found)}`);
  return found[0]!;
}

test("per host, then in total: the next association is refused with local-limit-exceeded and logged; a release frees the slot", { timeout: 60_000 }, async () => {
  const a1 = await associate("HOST1-A", "127.0.0.1");
  const a2 = await associate("HOST1-B", "127.0.0.1");
  assert.equal(a1.answer?.type, PduType.AAssociateAc);
  assert.equal(a2.answer?.type, PduType.AAssociateAc);

  // A third from the same address: the per-host limit.
  const a3 = await associate("HOST1-C", "127.0.0.1");
  assertLimitRejection(a3.answer);
  const perHost = await refusal("HOST1-C");
  assert.equal(perHost["reason"], "LOCAL_LIMIT_EXCEEDED");
  assert.equal(perHost["key"], "DicomMaximumAssociationsPerHost");
  assert.equal(perHost["limit"], PER_HOST);
  assert.match(String(perHost["peer"]), /^127\.0\.0\.1:\d+$/);
  // PS3.8 AE-8: after the RJ the requestor closes the connection (the server waits for that under ARTIM).
  a3.peer.destroy();

  // Another address still has room under the total, until the total is reached.
  const b1 = await associate("HOST2-A", "127.0.0.2");
  assert.equal(b1.answer?.type, PduType.AAssociateAc);
  const b2 = await associate("HOST2-B", "127.0.0.2");
  assertLimitRejection(b2.answer);
  const total = await refusal("HOST2-B");
  assert.equal(total["key"], "DicomMaximumAssociations");
  assert.equal(total["limit"], TOTAL);
  assert.match(String(total["peer"]), /^127\.0\.0\.2:\d+$/);

  // A release frees a slot of 127.0.0.1 and of the total: the next request from 127.0.0.1 is accepted.
  a1.peer.sendReleaseRq();
  assert.equal((await a1.peer.next(PduType.AReleaseRp))?.type, PduType.AReleaseRp);
  a1.peer.destroy();
  await server.waitForRecord((r) => r["event"] === "association-released" && r["callingAet"] === "HOST1-A");
  const again = await associate("HOST1-D", "127.0.0.1");
  assert.equal(again.answer?.type, PduType.AAssociateAc, JSON.stringify(again.answer));
  assert.equal(refusals("HOST1-D").length, 0);
});
