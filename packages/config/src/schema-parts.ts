/** zod building blocks of the configuration schema: each carries the "expected ..." text a person reads. */

import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { DicomTlsProfile, ModalityManufacturer, type PluginSource } from "./node-config.js";


export const expected = (text: string) => ({ error: () => text });

export const bool = () => z.boolean(expected("expected true or false"));

export function int(min: number, max?: number) {
  const text = max === undefined ? `expected an integer >= ${min}` : `expected an integer ${min}-${max}`;
  const base = z.number(expected(text)).int(expected(text)).min(min, expected(text));
  return max === undefined ? base : base.max(max, expected(text));
}

export const AET_TEXT = "expected an AE title (1-16 characters, no backslash or control characters)";
/** PS3.5 AE VR: at most 16 characters, no backslash, no control characters, not only spaces. */
export const aeTitle = () =>
  z
    .string(expected(AET_TEXT))
    .max(16, expected(AET_TEXT))
    .refine((s) => s.trim() !== "" && !hasBackslashOrControl(s), expected(AET_TEXT));

export function hasBackslashOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c || c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export const pathString = () => z.string(expected("expected a file path")).min(1, expected("expected a file path"));

export const UID_TEXT = "expected a DICOM UID such as 1.2.840.10008.1.2.1";
export const uid = () => z.string(expected(UID_TEXT)).max(64, expected(UID_TEXT)).regex(/^[0-9]+(\.[0-9]+)+$/, expected(UID_TEXT));

export const TS_TEXT = "expected a transfer syntax UID pattern (wildcards * and ?) or an array of them";
export const tsPattern = () => z.string(expected(TS_TEXT)).regex(/^[0-9.*?]+$/, expected(TS_TEXT));

export const PROFILE_VALUES = Object.values(DicomTlsProfile);

export const CRL_TEXT = "expected a revocation list file or folder path, or an array of them";
export const REVOCATION_CHECK_VALUES = ["leaf", "chain"] as const;
export const AUDIT_PROTOCOLS = ["tls", "udp"] as const;
/** An object's own "expected" text, except for unknown keys, which are named. */
export const objectOf = (text: string) => ({
  error: (iss: { code?: string; keys?: readonly string[] }) =>
    iss.code === "unrecognized_keys" ? `unknown key${(iss.keys?.length ?? 0) > 1 ? "s" : ""} ${(iss.keys ?? []).map((k) => `"${k}"`).join(", ")}; ${text}` : text,
});
/** dicomtls: `"AuditTrail": { "File": ..., "Syslog": { "Host", "Port", "Protocol", "QueueSize" } }` (PS3.15 A.5, RFC 5425/5426). */
export const AuditTrail = z.strictObject(
  {
    File: pathString().optional(),
    Syslog: z
      .strictObject(
        {
          Host: z.string(expected("expected a host name or IP address")).min(1, expected("expected a host name or IP address")),
          Port: int(1, 65535).optional(),
          Protocol: z.enum(AUDIT_PROTOCOLS, expected('expected "tls" or "udp"')).optional(),
          QueueSize: int(1, 1_000_000).optional(),
        },
        objectOf('expected an object { "Host", "Port", "Protocol", "QueueSize" }'),
      )
      .optional(),
  },
  objectOf('expected an object { "File", "Syslog" }'),
);


export const PORT_TEXT = "expected an integer 1-65534 (a number or a numeric string)";
/** Orthanc's ReadPortNumber: an int or a string lexical_cast to int, then [1..65534]. */
export const modalityPort = () =>
  z.unknown().transform((v, ctx) => {
    let n: number | undefined;
    if (typeof v === "number" && Number.isInteger(v)) n = v;
    else if (typeof v === "string" && /^[+-]?[0-9]+$/.test(v)) n = Number(v);
    if (n === undefined || n < 1 || n > 65534) {
      ctx.addIssue({ code: "custom", message: PORT_TEXT });
      return z.NEVER;
    }
    return n;
  });

/** Names Orthanc still accepts and maps to a current one, with a warning [Orthanc `StringToModalityManufacturer`]. */
export const LEGACY_MANUFACTURERS: Readonly<Record<string, ModalityManufacturer>> = {
  AgfaImpax: ModalityManufacturer.GenericNoWildcardInDates,
  SyngoVia: ModalityManufacturer.GenericNoWildcardInDates,
  EFilm2: ModalityManufacturer.Generic,
  MedInria: ModalityManufacturer.Generic,
  ClearCanvas: ModalityManufacturer.Generic,
  Dcm4Chee: ModalityManufacturer.Generic,
  StoreScp: ModalityManufacturer.Generic,
};
export const MANUFACTURER_TEXT = `expected one of ${Object.values(ModalityManufacturer).map((m) => `"${m}"`).join(", ")} (case-sensitive)`;
export const manufacturer = () =>
  z.string(expected(MANUFACTURER_TEXT)).refine((s) => s in ModalityManufacturer || s in LEGACY_MANUFACTURERS, expected(MANUFACTURER_TEXT));

export const HOST_TEXT = "expected a host name or IP address";
export const host = () => z.string(expected(HOST_TEXT)).min(1, expected(HOST_TEXT));

export const ModalityObject = z.object({
  AET: aeTitle(),
  Host: host(),
  Port: modalityPort(),
  Manufacturer: manufacturer().optional(),
  AllowEcho: bool().optional(),
  AllowStore: bool().optional(),
  AllowFind: bool().optional(),
  AllowFindWorklist: bool().optional(),
  AllowGet: bool().optional(),
  AllowMove: bool().optional(),
  AllowNAction: bool().optional(),
  AllowEventReport: bool().optional(),
  AllowStorageCommitment: bool().optional(),
  AllowTranscoding: bool().optional(),
  UseDicomTls: bool().optional(),
  // "" means "not set" in Orthanc's own serialisation of a modality.
  LocalAet: z.union([z.literal(""), aeTitle()], expected(AET_TEXT)).optional(),
  Timeout: int(0).optional(),
  // dicomtls extensions
  TlsCertificate: pathString().optional(),
  TlsServerName: z.union([z.string().min(1), z.literal(false)], expected("expected a host name, or false (do not check the name)")).optional(),
});
export const MODALITY_FIELDS = Object.keys(ModalityObject.shape);

export const ModalityArray = z.tuple([aeTitle(), host(), modalityPort()], manufacturer().optional());


/** A path from the configuration, resolved against the folder of the file that holds it. */
export const absolute = (dir: string, p: string): string => (isAbsolute(p) ? p : resolve(dir, p));

export const PLUGINS_TEXT = "expected an array of plugin files (.js, .mjs), folders, or package names";
export const pluginEntry = () => z.string(expected(PLUGINS_TEXT)).refine((s) => s.trim() !== "", expected(PLUGINS_TEXT));

/** npm's package-name grammar (scoped or not): such an entry is a package unless it is a path (see pluginSourceOf). */
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * One `Plugins` entry: a path (absolute, starting with "." or naming a .js/.mjs/.so file, or containing a "/" and no
 * scope) resolved against the configuration file's folder, else a package name. A bare word such as `plugins` is
 * both a folder name and a package name: it is kept as a package with `baseDir`, and the loader tries the folder.
 */
export function pluginSourceOf(entry: string, baseDir: string): PluginSource {
  const e = entry.trim();
  const pathLike = isAbsolute(e) || e.startsWith(".") || /\.(m?js|cjs|so|dylib|dll)$/i.test(e) || (e.includes("/") && !e.startsWith("@")) || e.includes("\\");
  if (pathLike || !PACKAGE_NAME.test(e)) return { kind: "path", entry, path: resolve(baseDir, e) };
  return { kind: "package", entry, name: e, baseDir };
}
