import { availableParallelism } from "node:os";

/**
 * Measured defaults of the codec runner. Source: tooling/bench/src/codec.ts, two runs on the 2-core VM (Node 20.20.2,
 * max PDU 16 KB, 4 MB batches) while other work shared the machine, so the numbers are noisy; the choices below hold
 * in both runs.
 */

/**
 * Worker threads: one core fewer than the machine has, at least one. The event loop (TLS at ~1 GB/s is a core's work)
 * needs its own core: with 2 workers on 2 cores, prepareFile of a 200 MB file moved 0.73-0.80x the MB/s of 1 worker
 * (and 0.57-1.41x when converting), and parseHeader gained 1.3x at best. One worker turns a header round in
 * 0.5-1.0 ms (1,000-2,000/s with two in flight), above the ~530 files/s DCMTK reaches here.
 */
export const DEFAULT_CODEC_THREADS = Math.max(1, availableParallelism() - 1);

/** Workers stay this long after a burst; Piscina's default (0) ends an idle worker at once and pays dcmjs' load again. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * parseHeader runs inline for prefixes up to 64 KiB (the storage SCP's first parse): since plain ASCII values are
 * read without dcmjs, a 512 KB CT's header takes ~15 us on the calling thread, against a pool round trip of
 * 0.10-0.25 ms of main-thread CPU plus the worker's (issue 13). Headers with non-ASCII text still go through dcmjs
 * (0.2-0.5 ms inline); longer prefixes (identifiers beyond 64 KiB) go to the pool.
 */
export const DEFAULT_INLINE_THRESHOLD_BYTES = 64 * 1024;

/**
 * prepareFile (and readFileInfo) run inline for files up to 1 MB. First measured at 128 KB: there inline held the loop
 * 0.18-0.32 ms against 0.12-0.26 ms through the pool, and from 1 MB on inline cost 0.9-1.6 ms per file, while the pool
 * stays at ~0.2 ms of CPU per 4 MB batch. Those inline costs were mostly fresh memory (a new batch buffer per file,
 * ~3 ms/MB to touch, then collected): with spent buffers reused (issue 13), sending 500 x 512 KB files to storescp
 * cost 1.50-1.54 ms of CPU per file inline (main thread 1.14-1.16) against 1.83-1.88 pooled (main 1.10-1.14 + worker
 * 0.34-0.36; tooling/bench/src/profile-scu.ts), the pool hop costing as much loop time as the read it saves.
 */
export const DEFAULT_INLINE_FILE_THRESHOLD_BYTES = 1024 * 1024;
