import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "@dicomtls/test-peers";
import type { StoredInstanceEvent } from "@dicomtls/plugin-api";
import { JobState, RouterQueue, compileMatch, routerSettings } from "@dicomtls/plugin-router";

const tmp = tempDir("dicomtls-router-queue-");
after(() => tmp.remove());

const policy = { retryIntervalMs: 5_000, maxRetryIntervalMs: 600_000, maxAgeMs: 60_000 };

test("a job stays until done, backs off doubling up to the bound, becomes a dead letter past the age, and retry puts it back", () => {
  const file = join(tmp.path, "q.sqlite");
  let q = new RouterQueue(file);
  assert.equal(q.enqueue([{ destination: "pacs", rule: "r", sopInstanceUid: "1.2.3", path: "/s/a" }, { destination: "pacs", rule: "r", sopInstanceUid: "1.2.3", path: "/s/a" }], 1_000), 2);
  q.close();
  // Persistent: a new process sees it.
  q = new RouterQueue(file);
  const [job] = q.due("pacs", 1_000, 10, new Set());
  assert.equal(job?.sopInstanceUid, "1.2.3");
  assert.equal(q.status()[0]?.queued, 1, "the same instance for the same destination is one job");
  assert.equal(q.failed(job, "connection refused", 2_000, policy), JobState.Queued);
  assert.deepEqual(q.due("pacs", 6_999, 10, new Set()), [], "first retry after RetryInterval");
  const again = q.due("pacs", 7_000, 10, new Set())[0]!;
  assert.equal(again.attempts, 1);
  q.failed(again, "connection refused", 7_000, policy);
  assert.equal(q.nextDueMs(), 17_000, "the interval doubled");
  const status = q.status()[0]!;
  assert.deepEqual(status.failures, [{ sopInstanceUid: "1.2.3", attempts: 2, state: "queued", error: "connection refused" }]);
  assert.equal(q.failed(q.due("pacs", 61_000, 10, new Set())[0]!, "still refused", 61_000, policy), JobState.Dead);
  assert.deepEqual([q.status()[0]?.queued, q.status()[0]?.dead], [0, 1]);
  assert.deepEqual(q.due("pacs", 10_000_000, 10, new Set()), [], "a dead letter is not sent");
  assert.equal(q.retry("elsewhere", 70_000), 0);
  assert.equal(q.retry("pacs", 70_000), 1);
  const revived = q.due("pacs", 70_000, 10, new Set())[0]!;
  assert.deepEqual([revived.attempts, revived.createdMs], [0, 70_000]);
  q.done([revived.id]);
  assert.deepEqual(q.status(), []);
  q.close();
});

test("the backoff stops doubling at the bound", () => {
  const q = new RouterQueue(join(tmp.path, "bound.sqlite"));
  q.enqueue([{ destination: "d", rule: "r", sopInstanceUid: "9", path: "/x" }], 0);
  let now = 0;
  for (let i = 0; i < 10; i++) {
    const j = q.due("d", q.nextDueMs()!, 1, new Set())[0]!;
    now = j.nextAttemptMs;
    q.failed(j, "e", now, { ...policy, maxAgeMs: Number.MAX_SAFE_INTEGER });
  }
  assert.equal(q.nextDueMs()! - now, 600_000);
  q.close();
});

const instance = (over: Partial<StoredInstanceEvent> & { modality?: string }): StoredInstanceEvent => ({
  sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
  sopInstanceUid: "1.2.3",
  transferSyntaxUid: "1.2.840.10008.1.2.1",
  header: { sopClassUid: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.1", headerLength: 0, truncated: false, ...(over.modality !== undefined && { modality: over.modality }) },
  path: "/s/x",
  duplicate: false,
  callingAet: "CT1",
  calledAet: "NODE",
  peer: { address: "127.0.0.1", port: 1, tls: undefined },
  bytes: 1,
  ...over,
});

test("rules match CallingAet and header keywords with * and ?; an absent attribute matches only *", () => {
  const m = compileMatch({ CallingAet: "CT?", Modality: "C*" });
  assert.equal(m(instance({ modality: "CT" })), true);
  assert.equal(m(instance({ modality: "MR" })), false);
  assert.equal(m(instance({ modality: "CT", callingAet: "CT12" })), false);
  assert.equal(m(instance({})), false);
  assert.equal(compileMatch({ Modality: "*" })(instance({})), true);
  assert.equal(compileMatch({})(instance({})), true);
});

test("the Router section: defaults, and an unknown Match key is refused", () => {
  const d = routerSettings.parse(undefined);
  assert.deepEqual([d.RetryIntervalSeconds, d.MaxAgeSeconds, d.ConcurrencyPerDestination, d.Rules.length], [5, 86_400, 2, 0]);
  const bad = routerSettings.safeParse({ Rules: [{ Name: "x", Match: { Modalty: "CT" }, Destinations: ["pacs"] }] });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /Match keys are CallingAet/);
});
