/**
 * The `Worklists` section as Orthanc's sample plugin reads it, validated as the node validates its own keys: the key
 * path, what was expected and what was found, placed in the file.
 */
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import { formatIssue, parseConfigText } from "@dicomtls/config";
import { worklistSettings } from "../src/index.js";

function check(section: unknown): { ok: boolean; value?: unknown; messages: string[] } {
  const text = JSON.stringify({ DicomAet: "WL", HttpServerEnabled: false, ...(section === undefined ? {} : { Worklists: section }) }, null, 2);
  const r = parseConfigText(text, { file: "/etc/dicomtls/worklists.json" }).checkSection("Worklists", worklistSettings);
  return r.ok ? { ok: true, value: r.value, messages: [] } : { ok: false, messages: r.issues.map(formatIssue) };
}

describe("the Worklists section", () => {
  test("Orthanc's sample: Enable and Database; FilterIssuerAet and LimitAnswers take their defaults", () => {
    assert.deepEqual(check({ Enable: true, Database: "WorklistsDatabase" }).value, { Enable: true, Database: "WorklistsDatabase", FilterIssuerAet: false, LimitAnswers: 0 });
    assert.deepEqual(check({ Enable: true, Database: "/wl", FilterIssuerAet: true, LimitAnswers: 10 }).value, { Enable: true, Database: "/wl", FilterIssuerAet: true, LimitAnswers: 10 });
  });

  test("no section, or Enable false: the server is off (Orthanc's default), valid", () => {
    assert.equal((check(undefined).value as { Enable: boolean }).Enable, false);
    assert.equal((check({ Enable: false }).value as { Enable: boolean }).Enable, false);
  });

  test("Enable without Database, a wrong type, a typo: each named with its key path and place in the file", () => {
    const missing = check({ Enable: true });
    assert.equal(missing.ok, false);
    assert.match(missing.messages.join("\n"), /^Worklists\.Database: missing; required when Enable is true: the folder of the \.wl files \(\/etc\/dicomtls\/worklists\.json:\d+:\d+\)/m);
    const wrong = check({ Enable: "yes", Database: "wl", LimitAnswers: -1 });
    assert.match(wrong.messages.join("\n"), /Worklists\.Enable: .*boolean.*"yes".*\(\/etc\/dicomtls\/worklists\.json:\d+:\d+\)/);
    assert.match(wrong.messages.join("\n"), /Worklists\.LimitAnswers: .*(>=|at least|too small).*/);
    const typo = check({ Enable: true, Databse: "wl" });
    assert.match(typo.messages.join("\n"), /^Worklists: Unrecognized key: "Databse"/m);
  });

  test("options of later Orthanc versions are refused by name, with why", () => {
    const r = check({ Enable: true, Database: "wl", SaveInOrthancDatabase: true, DeleteWorklistsOnStableStudy: false });
    const text = r.messages.join("\n");
    assert.match(text, /Worklists\.SaveInOrthancDatabase: not supported: worklists are the \.wl files of Database/);
    assert.match(text, /Worklists\.DeleteWorklistsOnStableStudy: not supported: dicomtls never deletes a worklist file/);
  });
});
