/**
 * The floor a durable store cannot go below, next to what DCMTK storescp (which does not fsync) spends per file,
 * measured in the same run: is issue 3's "at least storescp's files/s for 512 KB files, storing durably" physically
 * possible on one association (storescu waits for each C-STORE-RSP: commits cannot overlap)?
 *
 *   node --conditions=dicomtls-source --import tsx tooling/bench/src/fsync-floor.ts [count] [DATA_DIR]
 *
 * In one thread, synchronous calls (no thread-pool hops, no TLS, no parsing: cheaper than any real server), per 512 KB
 * file in a fresh folder of $TMPDIR: (1) open+write+close+rename, what storescp's disk work is; (2) the same plus
 * fsync of the file and of the folder, which issue 3 requires before Success; (3) what remains after the last byte
 * when everything before it was written and synced during the receive (the best overlap possible). With DATA_DIR
 * (the 500 x 512 KB set of pnpm bench:store), also storescu +tls -> storescp +tls on it, as ms per file.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dcmtkEnv, stopAll } from "@dicomtls/test-peers";
import { makeDevPki, median, startStorescp, timedRun } from "./lib/index.js";

const count = Number(process.argv[2] ?? 300);
const dataDir = process.argv[3];
const base = join(tmpdir(), `dicomtls-fsync-floor-${process.pid}`);
const data = Buffer.alloc(512 * 1024, 0x5a);

function perFile(durable: boolean): number[] {
  const dir = join(base, durable ? "durable" : "plain");
  mkdirSync(dir, { recursive: true });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const tmp = join(dir, `${i}.partial`);
    const fd = openSync(tmp, "wx");
    writeSync(fd, data);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(dir, `${i}.dcm`));
    if (durable) {
      const d = openSync(dir, "r");
      fsyncSync(d);
      closeSync(d);
    }
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * The least a durable receiver can add after a file's last byte, however well it overlaps the rest with the receive:
 * all but the last 4 KB already written and fdatasynced (off the clock), then the last 4 KB, fsync, close, rename,
 * folder fsync (on the clock).
 */
function afterLastByte(): number[] {
  const dir = join(base, "tail");
  mkdirSync(dir, { recursive: true });
  const tail = 4096;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const tmp = join(dir, `${i}.partial`);
    const fd = openSync(tmp, "wx");
    writeSync(fd, data, 0, data.length - tail, 0);
    fdatasyncSync(fd);
    const t0 = performance.now();
    writeSync(fd, data, data.length - tail, tail, data.length - tail);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(dir, `${i}.dcm`));
    const d = openSync(dir, "r");
    fsyncSync(d);
    closeSync(d);
    times.push(performance.now() - t0);
  }
  return times;
}

try {
  const plain = perFile(false);
  const durable = perFile(true);
  const tail = afterLastByte();
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const line = (what: string, xs: number[]): string =>
    `${what.padEnd(58)} median ${median(xs).toFixed(3)} ms, mean ${mean(xs).toFixed(3)} ms per file -> at most ${(1000 / mean(xs)).toFixed(0)} files/s`;
  console.log(`${count} x 512 KB files in ${base}`);
  console.log(line("open+write+close+rename (no fsync)", plain));
  console.log(line("open+write+fsync+close+rename+folder fsync (durable)", durable));
  console.log(`durability alone: ${(mean(durable) - mean(plain)).toFixed(3)} ms per file`);
  console.log(line("after the last byte at best (data synced while it arrived)", tail));
  if (dataDir !== undefined) {
    const pki = await makeDevPki(join(base, "pki"));
    const out = join(base, "storescp-out");
    mkdirSync(out, { recursive: true });
    const scp = await startStorescp({ outputDir: out, pki, args: ["--max-pdu", "131072"] });
    const args = ["+tls", pki.clientKey, pki.clientCert, "+cf", pki.caCert, "-aec", scp.aet, "-R", "+sd", "+r", "--scan-pattern", "*.dcm", "127.0.0.1", String(scp.port), dataDir];
    const { ms } = await timedRun("storescu", args, { env: dcmtkEnv(), timeoutMs: 600_000 });
    await scp.stop();
    const files = readdirSync(dataDir).filter((n) => n.endsWith(".dcm")).length;
    console.log(`storescu +tls -> storescp +tls, ${files} files: ${(ms / files).toFixed(3)} ms per file (${((files * 1000) / ms).toFixed(0)} files/s), whole exchange included`);
  }
} finally {
  await stopAll();
  rmSync(base, { recursive: true, force: true });
}
