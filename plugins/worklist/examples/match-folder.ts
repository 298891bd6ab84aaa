import { WorklistFolder, matches, parseQueryItem } from "@dicomtls/plugin-worklist";

/** The .wl files of `folderPath` that have a CT step scheduled in `dates` (a DA value or range). */
export async function ctScheduled(folderPath: string, dates: string): Promise<string[]> {
  const folder = new WorklistFolder(folderPath, { onProblem: (p) => console.warn(p.message) });
  await folder.open();
  try {
    // What `findscu -W -k "ScheduledProcedureStepSequence[0].Modality=CT" -k "...[0].ScheduledProcedureStepStartDate=…"` asks.
    const query = parseQueryItem({
      AccessionNumber: [],
      ScheduledProcedureStepSequence: [{ Modality: ["CT"], ScheduledProcedureStepStartDate: [dates] }],
    });
    return (await folder.entries()).filter((e) => matches(query, e.dataset)).map((e) => e.name);
  } finally {
    folder.close();
  }
}
