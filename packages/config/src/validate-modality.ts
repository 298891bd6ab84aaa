/** One entry of DicomModalities: Orthanc's object and array forms, normalised into ModalityConfig. */

import type { z } from "zod";
import { ConfigIssueKind } from "./errors.js";
import { describeValue, fromZod, type RawIssue } from "./issues.js";
import type { JsonPath, JsonValue } from "./json-text.js";
import { closest } from "./known-keys.js";
import { ModalityManufacturer, type ModalityConfig } from "./node-config.js";
import { absolute, LEGACY_MANUFACTURERS, MODALITY_FIELDS, ModalityArray, ModalityObject } from "./schema-parts.js";

export function validateModality(
  name: string,
  entry: JsonValue,
  globals: { dicomAet: string; dicomScuTimeout: number; baseDir: string },
  errors: RawIssue[],
  warnings: RawIssue[],
): ModalityConfig | undefined {
  const at: JsonPath = ["DicomModalities", name];
  const before = errors.length;
  // Orthanc's CheckAlphanumeric on the symbolic name.
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    errors.push({
      kind: ConfigIssueKind.BadModalityName,
      path: at,
      message: `modality name ${JSON.stringify(name)} may only contain letters, digits, '-' and '_'`,
    });
  }

  let aet: string, hostName: string, port: number, maker: string | undefined;
  let fields: z.infer<typeof ModalityObject> | undefined;
  if (Array.isArray(entry)) {
    if (entry.length !== 3 && entry.length !== 4) {
      errors.push({
        kind: ConfigIssueKind.InvalidValue,
        path: at,
        message: `expected [AET, Host, Port] or [AET, Host, Port, Manufacturer], got an array of ${entry.length}`,
      });
      return undefined;
    }
    const r = ModalityArray.safeParse(entry);
    if (!r.success) {
      errors.push(...fromZod(r.error, entry, at));
      return undefined;
    }
    [aet, hostName, port] = r.data;
    maker = r.data[3];
  } else if (entry !== null && typeof entry === "object") {
    for (const field of Object.keys(entry)) {
      if (MODALITY_FIELDS.includes(field)) continue;
      const suggestion = closest(field, MODALITY_FIELDS);
      errors.push({
        kind: ConfigIssueKind.UnknownModalityField,
        path: [...at, field],
        message: `unknown modality field${suggestion === undefined ? "" : `; did you mean "${suggestion}"?`} (known: ${MODALITY_FIELDS.join(", ")})`,
      });
    }
    const r = ModalityObject.safeParse(entry);
    if (!r.success) {
      errors.push(...fromZod(r.error, entry, at));
      return undefined;
    }
    fields = r.data;
    aet = fields.AET;
    hostName = fields.Host;
    port = fields.Port;
    maker = fields.Manufacturer;
  } else {
    errors.push({
      kind: ConfigIssueKind.InvalidValue,
      path: at,
      message: `expected an object {"AET", "Host", "Port", ...} or an array [AET, Host, Port(, Manufacturer)], got ${describeValue(entry)}`,
    });
    return undefined;
  }
  if (errors.length > before) return undefined;

  let manufacturerValue: ModalityManufacturer = ModalityManufacturer.Generic;
  if (maker !== undefined) {
    const legacy = LEGACY_MANUFACTURERS[maker];
    if (legacy !== undefined) {
      manufacturerValue = legacy;
      warnings.push({
        kind: ConfigIssueKind.Obsolete,
        path: [...at, Array.isArray(entry) ? 3 : "Manufacturer"],
        message: `manufacturer "${maker}" is obsolete; treated as "${legacy}" (as Orthanc does)`,
      });
    } else {
      manufacturerValue = maker as ModalityManufacturer;
    }
  }

  const f = fields;
  const commitment = f?.AllowStorageCommitment;
  return {
    name,
    aet,
    host: hostName,
    port,
    manufacturer: manufacturerValue,
    allowEcho: f?.AllowEcho ?? true,
    allowStore: f?.AllowStore ?? true,
    allowFind: f?.AllowFind ?? true,
    allowFindWorklist: f?.AllowFindWorklist ?? true,
    allowGet: f?.AllowGet ?? true,
    allowMove: f?.AllowMove ?? true,
    // Orthanc applies AllowStorageCommitment after the two flags it aliases, so it wins.
    allowNAction: commitment ?? f?.AllowNAction ?? true,
    allowEventReport: commitment ?? f?.AllowEventReport ?? true,
    allowTranscoding: f?.AllowTranscoding ?? true,
    useDicomTls: f?.UseDicomTls ?? false,
    localAet: f?.LocalAet === undefined || f.LocalAet === "" ? globals.dicomAet : f.LocalAet,
    // Orthanc: a Timeout of 0 means "use DicomScuTimeout".
    timeout: f?.Timeout === undefined || f.Timeout === 0 ? globals.dicomScuTimeout : f.Timeout,
    tlsCertificate: f?.TlsCertificate === undefined ? null : absolute(globals.baseDir, f.TlsCertificate),
    tlsServerName: f?.TlsServerName ?? null,
  };
}

