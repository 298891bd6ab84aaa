/** Right-aligns numbers, left-aligns text: a plain-text table a person can paste into an issue. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+\s*[a-zA-Z%/x]*$|^$/.test(r[i] ?? "")));
  const line = (cells: readonly string[], isHeader: boolean): string =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? c.length;
        return numeric[i] === true && !isHeader ? c.padStart(w) : c.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [line(header, true), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => line(r, false))].join("\n");
}

export function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  console.log(formatTable(header, rows));
}

/** "0.123" style milliseconds with enough digits for sub-millisecond values. */
export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
}

/** "1.23x": a ratio of ours over the reference. */
export function ratio(ours: number, reference: number): string {
  return reference > 0 ? `${(ours / reference).toFixed(2)}x` : "n/a";
}
