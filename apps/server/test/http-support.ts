/**
 * Shared by the HTTP tests: a DICOM TLS node with its HTTP port on, and a strict reader of the Prometheus text
 * exposition format (version 0.0.4), used instead of `promtool check metrics`: Debian's promtool comes only with the
 * whole `prometheus` server package (96 MB installed, a service of its own).
 */
import { strict as assert } from "node:assert";
import { freePort, startServer, type StartedServer } from "@dicomtls/test-peers";
import { writeNodeConfig, type NodeFiles } from "./store-support.js";

export interface HttpNode {
  readonly server: StartedServer;
  readonly httpPort: number;
  readonly base: string;
}

/** A DICOM TLS node (store-support's configuration) with HttpServerEnabled on a free HttpPort. */
export async function startHttpNode(dir: string, name: string, files: NodeFiles, storage: string, extra: Record<string, unknown> = {}): Promise<HttpNode> {
  const httpPort = await freePort();
  const config = await writeNodeConfig(dir, name, files, storage, { HttpServerEnabled: true, HttpPort: httpPort, ...extra });
  const server = await startServer(config.path);
  const record = server.records().find((r) => r["event"] === "listening");
  assert.equal(record?.["httpPort"], httpPort, JSON.stringify(record));
  return { server, httpPort, base: `http://127.0.0.1:${httpPort}` };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  assert.match(text, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `line ${line}: "${text}" is not a float`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` -> record; escapes \\, \" and \n only, as the format allows. */
function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    assert.ok(eq > i, `line ${line}: label without a name in {${text}}`);
    const name = text.slice(i, eq).trim();
    assert.match(name, LABEL_NAME, `line ${line}: bad label name "${name}"`);
    assert.equal(text[eq + 1], '"', `line ${line}: label ${name} value is not quoted`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        assert.ok(next === "\\" || next === '"' || next === "n", `line ${line}: bad escape \\${next ?? ""} in label ${name}`);
        value += next === "n" ? "\n" : next;
      } else {
        assert.notEqual(text[j], "\n", `line ${line}: raw newline in label ${name}`);
        value += text[j];
      }
    }
    assert.equal(text[j], '"', `line ${line}: label ${name} value is not closed`);
    assert.ok(!(name in labels), `line ${line}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
  }
  return labels;
}

/**
 * Parses and checks the exposition text: HELP and TYPE at most once per family and before its samples, known
 * types, valid metric and label names and values, no duplicate series, counters named `_total`, histogram buckets
 * cumulative with `+Inf` equal to `_count`, samples of one family contiguous. Throws naming the line at fault.
 */
export function parsePrometheusText(text: string): Sample[] {
  assert.ok(text.endsWith("\n"), "the exposition must end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const seen = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const samples: Sample[] = [];
  const familyOf = (name: string): string => {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && (types.get(base) === "histogram" || types.get(base) === "summary")) return base;
    }
    return name;
  };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw === "") return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      assert.match(name, NAME, `line ${line}: bad metric name ${name}`);
      assert.ok(!finished.has(name), `line ${line}: ${name} appears again after other families`);
      if (kind === "TYPE") {
        assert.ok(TYPES.has(rest), `line ${line}: unknown type "${rest}"`);
        assert.ok(!types.has(name), `line ${line}: TYPE of ${name} twice`);
        assert.ok(!samples.some((s) => familyOf(s.name) === name), `line ${line}: TYPE of ${name} after its samples`);
        if (rest === "counter") assert.ok(name.endsWith("_total"), `line ${line}: counter ${name} should end in _total`);
        types.set(name, rest);
      } else {
        assert.ok(!helps.has(name), `line ${line}: HELP of ${name} twice`);
        assert.ok(rest.length > 0, `line ${line}: empty HELP for ${name}`);
        helps.add(name);
      }
      if (current !== undefined && current !== name) finished.add(current);
      current = name;
      return;
    }
    assert.ok(!raw.startsWith("#") || raw.startsWith("# "), `line ${line}: malformed comment`);
    if (raw.startsWith("#")) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
    assert.ok(m !== null, `line ${line}: not a sample line: ${raw}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const family = familyOf(name);
    assert.ok(!finished.has(family), `line ${line}: sample of ${family} after another family started`);
    if (current !== family) {
      if (current !== undefined) finished.add(current);
      current = family;
    }
    const labels = labelText === undefined || labelText === "" ? {} : parseLabels(labelText, line);
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
    assert.ok(!seen.has(key), `line ${line}: duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(valueText, line) });
  });
  for (const [family, type] of types) if (type === "histogram") checkHistogram(family, samples);
  return samples;
}

function checkHistogram(family: string, samples: readonly Sample[]): void {
  const count = samples.find((s) => s.name === `${family}_count`);
  const buckets = samples.filter((s) => s.name === `${family}_bucket`);
  if (count === undefined) return;
  let previous = -Infinity;
  let last = -1;
  for (const b of buckets) {
    const le = b.labels["le"];
    assert.ok(le !== undefined, `${family}: bucket without le`);
    const bound = le === "+Inf" ? Infinity : Number(le);
    assert.ok(bound > previous, `${family}: buckets out of order at le=${le}`);
    assert.ok(b.value >= last, `${family}: bucket le=${le} is below the previous one (not cumulative)`);
    previous = bound;
    last = b.value;
  }
  assert.equal(previous, Infinity, `${family}: no +Inf bucket`);
  assert.equal(last, count.value, `${family}: +Inf bucket differs from _count`);
}

/** The value of one series; labels not listed are not compared. undefined when no series matches. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length === 0) return undefined;
  return found.reduce((sum, s) => sum + s.value, 0);
}

/** GET with a bound on time; the body as text. */
export async function get(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
