/** Shared by the audit tests: the PS3.15 A.5.1 schema kept in test/data/audit, and xmllint --relaxng against it. */
import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { runProcess } from "@dicomtls/test-peers";

/** The DICOM audit message schema (RELAX NG XML form; see dicom-audit-message.rnc for its source and edition). */
export const AUDIT_SCHEMA = fileURLToPath(new URL("./data/audit/dicom-audit-message.rng", import.meta.url));

/** Validates one XML document file with `xmllint --relaxng`; fails with xmllint's own account. */
export async function assertValidAuditXml(file: string): Promise<void> {
  const r = await runProcess("xmllint", ["--noout", "--relaxng", AUDIT_SCHEMA, file], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${file} does not validate against the PS3.15 A.5.1 schema:\n${r.output}`);
  assert.match(r.output, /validates/, r.output);
}
