import type { X509Certificate } from "node:crypto";
import { readConfigFile } from "./load.js";
import {
  checkChainRevocation,
  DEFAULT_REVOCATION_GRACE_DAYS,
  loadRevocationLists,
  oneLine,
  RevocationCheckModes,
  revocationListFiles,
  RevocationReasons,
  type RevocationList,
} from "./revocation.js";
import { SettingKeys, type DicomTlsSettings } from "./settings.js";
import type { DoctorRow } from "./doctor.js";

const DAY_MS = 86_400_000;

function listRow(l: RevocationList, now: Date, graceDays: number): DoctorRow {
  const base = { subject: l.issuer, file: l.file, check: "crl" };
  const what = `${l.revoked.size} revoked, signed by the trusted ${l.issuer}`;
  if (l.nextUpdate === undefined) return { ...base, verdict: "ok", detail: `${what}, no nextUpdate` };
  const days = Math.floor((l.nextUpdate.getTime() - now.getTime()) / DAY_MS);
  if (days >= 0) return { ...base, verdict: "ok", detail: `${what}, next update ${l.nextUpdate.toISOString()} (in ${days} days)` };
  return { ...base, verdict: "warn", detail: `${what}, due for renewal since ${l.nextUpdate.toISOString()}: refused as expired ${graceDays} days after that (DicomTlsRevocationListGraceDays)` };
}

/** The issuing certificates above the last one of `chain`, taken from the anchors, until a self-issued one. */
function completeChain(chain: readonly X509Certificate[], anchors: readonly X509Certificate[]): X509Certificate[] {
  const out = [...chain];
  for (let top = out[out.length - 1]; top !== undefined && out.length < 10; ) {
    if (top.subject === top.issuer && top.checkIssued(top)) break;
    const current: X509Certificate = top;
    const issuer = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (issuer === undefined || out.some((c) => c.fingerprint256 === issuer.fingerprint256)) break;
    out.push(issuer);
    top = issuer;
  }
  return out;
}

/**
 * Doctor rows for DicomTlsCertificateRevocationLists: one per list file (read, signed by a trusted CA, fresh), then
 * whether the node's own certificate (and, in "chain" mode, its CAs) is listed as revoked.
 */
export async function revocationRows(settings: DicomTlsSettings, anchors: readonly X509Certificate[], own: readonly X509Certificate[] | undefined, now: Date): Promise<DoctorRow[]> {
  const sources = settings.revocationLists ?? [];
  if (sources.length === 0) return [];
  const key = SettingKeys.revocationLists;
  const graceDays = settings.revocationGraceDays ?? DEFAULT_REVOCATION_GRACE_DAYS;
  const mode = settings.revocationCheck ?? RevocationCheckModes.Chain;
  const rows: DoctorRow[] = [];
  let files: string[];
  try {
    files = revocationListFiles(key, sources).files;
  } catch (err) {
    return [{ subject: "", file: sources.join(", "), check: "crl", verdict: "error", detail: (err as Error).message }];
  }
  const lists: RevocationList[] = [];
  for (const file of files) {
    try {
      const loaded = await loadRevocationLists([file], (f) => readConfigFile(key, f), anchors, { key, now, graceDays });
      for (const l of loaded.lists) rows.push(listRow(l, now, graceDays));
      lists.push(...loaded.lists);
    } catch (err) {
      rows.push({ subject: "", file, check: "crl", verdict: "error", detail: (err as Error).message });
    }
  }
  if (own === undefined || own.length === 0) return rows;
  const chain = completeChain(own, anchors);
  const leaf = own[0]!;
  const v = checkChainRevocation({ mode, graceDays, lists }, chain, now);
  const base = { subject: oneLine(leaf.subject), file: settings.certificateFile, check: "revocation" };
  if (v.ok) rows.push({ ...base, verdict: "ok", detail: `not revoked (${v.checked} certificate(s) checked, DicomTlsRevocationCheck "${mode}")` });
  else if (v.reason === RevocationReasons.Revoked) rows.push({ ...base, verdict: "error", detail: `${v.detail}: peers holding this list refuse the node` });
  else rows.push({ ...base, verdict: "warn", detail: `${v.detail}; peers that check revocation need that list` });
  return rows;
}
