import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfigText } from "../src/index.js";
import { parseConfigJson, substituteVariables } from "../src/json-text.js";

/** The single syntax issue of a ConfigError, or a failed assertion. */
function syntaxIssue(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, "ERR_DICOM_CONFIG");
    assert.equal(e.issues.length, 1);
    const issue = e.issues[0]!;
    assert.equal(issue.kind, "syntax");
    return issue;
  }
  assert.fail("expected a ConfigError");
}

describe("comments", () => {
  it("skips // and /* */ comments but leaves them inside strings alone", () => {
    const text = `{
      // a line comment with "quotes" and { braces
      "DicomAet": "A//B", /* block
         comment spanning lines */ "StorageDirectory": "/x/*not a comment*/y",
      "DicomScuPreferredTransferSyntax" /* between key and colon */ : "1.2.840.10008.1.2.1" // trailing
    }`;
    const { config } = parseConfigText(text, { env: {} });
    assert.equal(config.dicomAet, "A//B");
    assert.equal(config.storageDirectory, "/x/*not a comment*/y");
    assert.equal(config.dicomScuPreferredTransferSyntax, "1.2.840.10008.1.2.1");
  });

  it("accepts trailing commas (JsonCpp's default) and a BOM", () => {
    const { config } = parseConfigText('\uFEFF{ "DicomPort": 104, "AcceptedTransferSyntaxes": ["1.2.840.10008.1.*",], }', { env: {} });
    assert.equal(config.dicomPort, 104);
    assert.deepEqual(config.acceptedTransferSyntaxes, ["1.2.840.10008.1.*"]);
  });

  it("reports an unterminated block comment where it starts", () => {
    const issue = syntaxIssue(() => parseConfigText('{\n  "DicomPort": 104,\n  /* never closed\n}', { env: {}, file: "c.json" }));
    assert.equal(issue.location?.line, 3);
    assert.equal(issue.location?.column, 3);
    assert.match(issue.message, /unterminated \/\* comment/);
  });
});

describe("environment substitution", () => {
  const cases: { text: string; env: Record<string, string>; expect: string }[] = [
    { text: "${AET}", env: { AET: "FROMENV" }, expect: "FROMENV" },
    { text: "${AET}", env: {}, expect: "" },
    { text: "${AET:-DEF}", env: {}, expect: "DEF" },
    { text: "${AET:-DEF}", env: { AET: "SET" }, expect: "SET" },
    { text: '${AET:-"DEF AULT"}', env: {}, expect: "DEF AULT" },
    { text: "${AET:-'DEF'}", env: {}, expect: "DEF" },
    { text: "${AET:-}", env: {}, expect: "" },
    { text: "A${X}B${Y:-2}C", env: { X: "1" }, expect: "A1B2C" },
  ];
  for (const c of cases) {
    it(`${c.text} with ${JSON.stringify(c.env)} -> ${JSON.stringify(c.expect)}`, () => {
      assert.equal(substituteVariables(c.text, c.env).text, c.expect);
    });
  }

  it("substitutes before parsing, so a variable can supply a number", () => {
    const { config } = parseConfigText('{ "DicomPort": ${PORT:-4243}, "DicomAet": "${AET}" }', { env: { AET: "NODE1" } });
    assert.equal(config.dicomPort, 4243);
    assert.equal(config.dicomAet, "NODE1");
  });

  it("warns once about an unset variable without default (Orthanc substitutes an empty string)", () => {
    const r = parseConfigText('{\n  "DicomTlsPrivateKeyPassword": "${KEY_PASS}"\n  // ${IN_A_COMMENT}\n}', { env: {}, file: "e.json" });
    assert.equal(r.config.dicomTlsPrivateKeyPassword, "");
    const unset = r.warnings.filter((w) => w.kind === "unset-variable");
    assert.equal(unset.length, 1);
    assert.match(unset[0]!.message, /KEY_PASS/);
    assert.equal(unset[0]!.location?.line, 2);
    assert.equal(unset[0]!.location?.column, 34);
  });

  it("rejects an empty variable name", () => {
    const issue = syntaxIssue(() => parseConfigText('{ "DicomAet": "${}" }', { env: {} }));
    assert.match(issue.message, /empty variable name/);
  });

  it("keeps line and column of the original text when a value spans lines", () => {
    // The variable expands to three lines; the error after it must still point at the original line 3.
    const text = '{\n  "DicomAet": "${A}",\n  "DicomPort": 1 2\n}';
    const issue = syntaxIssue(() => parseConfigText(text, { env: { A: "X\\nY\\nZ" }, file: "m.json" }));
    assert.deepEqual([issue.location?.line, issue.location?.column], [3, 18]);
  });
});

describe("malformed JSON reports file, line and column", () => {
  const cases: { name: string; text: string; line: number; column: number; message: RegExp }[] = [
    { name: "missing comma", text: '{\n  "DicomAet": "A"\n  "DicomPort": 1\n}', line: 3, column: 3, message: /expected ',' or '}'/ },
    { name: "unterminated string", text: '{\n  "DicomAet": "A,\n  "DicomPort": 1\n}', line: 2, column: 18, message: /line break/ },
    { name: "bare word", text: '{ "DicomTlsEnabled": yes }', line: 1, column: 22, message: /expected a value/ },
    { name: "root not an object", text: '\n\n  ["a"]', line: 3, column: 3, message: /must be a JSON object/ },
    { name: "junk after the object", text: '{}\n}', line: 2, column: 1, message: /after the end/ },
    { name: "error after a long substituted value", text: '{ "DicomAet": "${LONG}", : }', line: 1, column: 26, message: /quoted key/ },
    { name: "error after a comment on an earlier line", text: '{ // c\n /* c\n c */ "a": tru }', line: 3, column: 12, message: /expected a value/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const issue = syntaxIssue(() => parseConfigText(c.text, { env: { LONG: "x".repeat(200) }, file: "/cfg/bad.json" }));
      assert.equal(issue.location?.file, "/cfg/bad.json");
      assert.deepEqual([issue.location?.line, issue.location?.column], [c.line, c.column]);
      assert.match(issue.message, c.message);
    });
  }

  it("locates values for later error messages", () => {
    const parsed = parseConfigJson('{\n  "DicomModalities": {\n    "ct": ["CT", "h", 104]\n  }\n}', "f.json", {});
    assert.deepEqual(parsed.locate(["DicomModalities", "ct", 2]), { file: "f.json", line: 3, column: 23 });
  });

  it("warns about a key repeated in one object (the last wins, as JsonCpp)", () => {
    const r = parseConfigText('{ "DicomPort": 1000,\n "DicomPort": 2000 }', { env: {} });
    assert.equal(r.config.dicomPort, 2000);
    const w = r.warnings.find((x) => x.kind === "duplicate-key");
    assert.equal(w?.path, "DicomPort");
    assert.equal(w?.location?.line, 2);
  });
});
