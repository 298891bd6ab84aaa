/** Measured defaults of the codec runner; the numbers come from tooling/bench/src/codec.ts (see the comments). */

/** Worker threads. TODO(bench) */
export const DEFAULT_CODEC_THREADS = 2;

/** Workers stay this long after a burst; Piscina's default (0) ends an idle worker at once and pays dcmjs' load again. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** parseHeader runs inline when the bytes handed over are at most this long. TODO(bench) */
export const DEFAULT_INLINE_THRESHOLD_BYTES = 0;

/** prepareFile runs inline for files at most this long. TODO(bench) */
export const DEFAULT_INLINE_FILE_THRESHOLD_BYTES = 0;
