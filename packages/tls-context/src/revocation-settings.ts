import type { X509Certificate } from "node:crypto";
import { DicomTlsConfigError } from "./errors.js";
import { readConfigFile } from "./load.js";
import { DEFAULT_REVOCATION_GRACE_DAYS, loadRevocationLists, revocationListFiles, RevocationCheckModes, type RevocationPolicy } from "./revocation.js";
import { SettingKeys, TlsWarningCodes, type DicomTlsSettings, type TlsWarning } from "./settings.js";

export interface LoadedRevocation {
  /** undefined when no list is configured (no revocation check). */
  readonly policy: RevocationPolicy | undefined;
  /** The list files (to watch). */
  readonly files: readonly string[];
  /** Folders given in the setting (to watch for lists added or removed). */
  readonly folders: readonly string[];
}

/**
 * The settings' revocation lists, loaded and verified against `anchors` (the trusted certificates and the node's own
 * chain). Warnings for stale lists are pushed to `warnings`; anything unusable throws DicomTlsConfigError.
 */
export async function loadRevocationSettings(settings: DicomTlsSettings, anchors: readonly X509Certificate[], now: Date, warnings: TlsWarning[]): Promise<LoadedRevocation> {
  const mode = settings.revocationCheck ?? RevocationCheckModes.Chain;
  if (mode !== RevocationCheckModes.Leaf && mode !== RevocationCheckModes.Chain) {
    throw new DicomTlsConfigError(SettingKeys.revocationCheck, `expected "leaf" or "chain", got ${JSON.stringify(mode)}`);
  }
  const graceDays = settings.revocationGraceDays ?? DEFAULT_REVOCATION_GRACE_DAYS;
  if (!Number.isFinite(graceDays) || graceDays < 0) {
    throw new DicomTlsConfigError(SettingKeys.revocationGraceDays, `${String(graceDays)} is not a number of days >= 0`);
  }
  const sources = settings.revocationLists ?? [];
  if (sources.length === 0) return { policy: undefined, files: [], folders: [] };
  const key = SettingKeys.revocationLists;
  const { files, folders } = revocationListFiles(key, sources);
  const loaded = await loadRevocationLists(files, (f) => readConfigFile(key, f), anchors, { key, now, graceDays });
  for (const message of loaded.warnings) warnings.push({ code: TlsWarningCodes.RevocationListStale, key, message });
  return { policy: { mode, graceDays, lists: loaded.lists }, files, folders };
}
