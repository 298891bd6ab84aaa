/** Helpers of the configuration validation tests (validate.test.ts, validate-sections.test.ts). */
import assert from "node:assert/strict";
import { ConfigError, parseConfigText } from "../src/index.js";
import type { ConfigIssue, ParseTextOptions } from "../src/index.js";

export const always = (): boolean => true;

export function issuesOf(text: string, options: ParseTextOptions = {}): readonly ConfigIssue[] {
  try {
    parseConfigText(text, { env: {}, isFile: always, ...options });
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues;
  }
  assert.fail(`expected a ConfigError for ${text}`);
}

export function oneIssue(text: string, options: ParseTextOptions = {}): ConfigIssue {
  const issues = issuesOf(text, options);
  assert.equal(issues.length, 1, issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return issues[0]!;
}
