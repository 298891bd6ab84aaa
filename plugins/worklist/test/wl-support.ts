/** Worklist files for the tests, made as administrators make them: a dcmdump-style text turned into a .wl by dump2dcm. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProcess } from "@dicomtls/test-peers";

export interface StepSpec {
  readonly modality: string;
  readonly station: string;
  readonly date: string;
  readonly time?: string;
  readonly id: string;
}

export interface EntrySpec {
  readonly accession: string;
  readonly patientName: string;
  readonly patientId: string;
  readonly studyUid: string;
  readonly steps: readonly StepSpec[];
  /** Extra top-level lines, e.g. "(0010,0040) CS [F]". */
  readonly extra?: readonly string[];
  readonly charset?: string;
}

function dumpOf(e: EntrySpec): string {
  const steps = e.steps.flatMap((s) => [
    "(fffe,e000) na (Item with undefined length)",
    `(0008,0060) CS [${s.modality}]`,
    `(0040,0001) AE [${s.station}]`,
    `(0040,0002) DA [${s.date}]`,
    ...(s.time === undefined ? [] : [`(0040,0003) TM [${s.time}]`]),
    `(0040,0009) SH [${s.id}]`,
    "(fffe,e00d) na (ItemDelimitationItem)",
  ]);
  return [
    `(0008,0005) CS [${e.charset ?? "ISO_IR 100"}]`,
    `(0008,0050) SH [${e.accession}]`,
    `(0010,0010) PN [${e.patientName}]`,
    `(0010,0020) LO [${e.patientId}]`,
    ...(e.extra ?? []),
    `(0020,000d) UI [${e.studyUid}]`,
    "(0040,0100) SQ (Sequence with undefined length)",
    ...steps,
    "(fffe,e0dd) na (SequenceDelimitationItem)",
    `(0040,1001) SH [RP-${e.accession}]`,
    "",
  ].join("\n");
}

/** Writes `name` (.wl) in `dir` with dump2dcm; returns its path. */
export async function writeWorklist(dir: string, name: string, e: EntrySpec): Promise<string> {
  const dump = join(dir, `${name}.dump`);
  writeFileSync(dump, dumpOf(e), "latin1");
  const out = join(dir, name);
  const r = await runProcess("dump2dcm", ["+te", dump, out], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`dump2dcm ${dump}: ${r.output}`);
  return out;
}

/** Five entries over three days, two modalities and three stations; E5 has two steps (MR on MR1, CT on CT2). */
export const ENTRIES: Readonly<Record<string, EntrySpec>> = {
  "e1.wl": { accession: "ACC1", patientName: "DOE^JOHN", patientId: "P1", studyUid: "1.2.826.0.1.3680043.10.1.1", steps: [{ modality: "CT", station: "CT1", date: "20261204", time: "0800", id: "S1" }] },
  "e2.wl": { accession: "ACC2", patientName: "ROE^JANE", patientId: "P2", studyUid: "1.2.826.0.1.3680043.10.1.2", steps: [{ modality: "CT", station: "CT2", date: "20261205", time: "0930", id: "S2" }] },
  "e3.wl": { accession: "ACC3", patientName: "POE^EDGAR", patientId: "P3", studyUid: "1.2.826.0.1.3680043.10.1.3", steps: [{ modality: "MR", station: "MR1", date: "20261205", time: "1100", id: "S3" }] },
  "e4.wl": { accession: "ACC4", patientName: "DOE^JANE", patientId: "P4", studyUid: "1.2.826.0.1.3680043.10.1.4", steps: [{ modality: "CT", station: "CT1", date: "20261206", time: "1400", id: "S4" }] },
  "e5.wl": {
    accession: "ACC5",
    patientName: "MOE^ANN",
    patientId: "P5",
    studyUid: "1.2.826.0.1.3680043.10.1.5",
    steps: [
      { modality: "MR", station: "MR1", date: "20261206", time: "0800", id: "S5A" },
      { modality: "CT", station: "CT2", date: "20261206", time: "1000", id: "S5B" },
    ],
  },
};

export async function writeAll(dir: string): Promise<void> {
  for (const [name, e] of Object.entries(ENTRIES)) await writeWorklist(dir, name, e);
}
