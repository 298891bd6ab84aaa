/**
 * The `Worklists` section, as Orthanc's sample worklist plugin reads it (Orthanc 1.10.1:
 * Plugins/Samples/ModalityWorklists): `Enable`, `Database`, `FilterIssuerAet`, `LimitAnswers`. Options of later
 * Orthanc versions that keep worklists in Orthanc's database or delete them are refused by name: dicomtls serves
 * the folder and never deletes a file in it. Other keys are refused as unknown (a typo would otherwise turn the
 * server off silently).
 */

import { z } from "@dicomtls/plugin-api";

/** Orthanc 1.12.6+ options with no counterpart here, and why. */
const NOT_SUPPORTED: Readonly<Record<string, string>> = {
  SaveInOrthancDatabase: "worklists are the .wl files of Database (Orthanc 1.12.6+ can keep them in its database; dicomtls cannot)",
  DeleteWorklistsOnStableStudy: "dicomtls never deletes a worklist file; remove them with the tool that writes them",
  DeleteWorklistsDelay: "dicomtls never deletes a worklist file; remove them with the tool that writes them",
  HousekeepingInterval: "dicomtls never deletes a worklist file, so it has no housekeeping",
  SetStudyInstanceUidIfMissing: "dicomtls answers the files as they are (it adds no StudyInstanceUID)",
};

const known = z
  .object({
    Enable: z.boolean().default(false),
    Database: z.string().min(1, "expected the folder of the .wl files").optional(),
    FilterIssuerAet: z.boolean().default(false),
    LimitAnswers: z.number().int().min(0).default(0),
  })
  .strict();

export const worklistSettings = z
  .preprocess((raw, ctx) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      const why = NOT_SUPPORTED[key];
      if (why === undefined) rest[key] = value;
      else ctx.addIssue({ code: "custom", path: [key], message: `not supported: ${why}`, input: value });
    }
    return rest;
  }, known)
  .superRefine((s, ctx) => {
    if (s.Enable && s.Database === undefined) ctx.addIssue({ code: "custom", path: ["Database"], message: "required when Enable is true: the folder of the .wl files" });
  })
  .default({ Enable: false, FilterIssuerAet: false, LimitAnswers: 0 });

export type WorklistSettings = z.output<typeof worklistSettings>;
