import type { StoreProgress } from "@dicomtls/scu";

const MB = 1024 * 1024;
/** At most ~10 redraws a second: a terminal write per batch would cost more than the batch. */
const REDRAW_MS = 100;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** One line of progress: bar, files, MB, rate and ETA. */
export function progressLine(p: StoreProgress, elapsedSeconds: number, width = 24): string {
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.filesTotal > 0 ? p.filesDone / p.filesTotal : 1;
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  const rate = elapsedSeconds > 0 ? p.bytesDone / MB / elapsedSeconds : 0;
  const eta = rate > 0 ? (p.bytesTotal - p.bytesDone) / MB / rate : Infinity;
  return (
    `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.filesDone}/${p.filesTotal} files  ` +
    `${(p.bytesDone / MB).toFixed(1)}/${(p.bytesTotal / MB).toFixed(1)} MB  ${rate.toFixed(1)} MB/s  ETA ${formatDuration(eta)}`
  );
}

/** Redraws one progress line on a terminal (carriage return, clear to end of line), throttled. */
export class ProgressBar {
  readonly #write: (text: string) => void;
  readonly #started = process.hrtime.bigint();
  #last = 0;
  #latest: StoreProgress | undefined;
  #drawn = false;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  update(p: StoreProgress): void {
    this.#latest = p;
    const now = Date.now();
    if (now - this.#last < REDRAW_MS && p.filesDone < p.filesTotal) return;
    this.#last = now;
    this.#draw();
  }

  /** Prints a line above the bar (a failure), then redraws the bar under it. */
  print(line: string): void {
    this.clear();
    this.#write(`${line}\n`);
    if (this.#latest !== undefined) this.#draw();
  }

  clear(): void {
    if (this.#drawn) this.#write("\r\x1b[2K");
    this.#drawn = false;
  }

  #draw(): void {
    if (this.#latest === undefined) return;
    const elapsed = Number(process.hrtime.bigint() - this.#started) / 1e9;
    this.#write(`\r\x1b[2K${progressLine(this.#latest, elapsed)}`);
    this.#drawn = true;
  }
}
