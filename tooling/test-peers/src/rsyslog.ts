import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "./dcmtk.js";
import { freePort, waitListening } from "./ports.js";
import { startProcess, type TrackedProcess } from "./process.js";

export interface RsyslogTlsOptions {
  /** Its own folder: configuration, work directory, pid file and the received messages. */
  readonly dir: string;
  /** The receiver's certificate and key (PEM), and the CA its clients' certificates must chain to. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** Default a free port. */
  readonly port?: number;
}

export interface StartedRsyslog {
  readonly port: number;
  /** The file the receiver writes: one line per message, `MSGID MSG`. */
  readonly receivedFile: string;
  /** The messages received so far: MSGID and MSG (the RFC 5424 BOM removed). */
  messages(): Array<{ readonly msgid: string; readonly msg: string }>;
  /** Waits until `match` holds for the messages received (bounded). */
  waitFor(match: (messages: ReturnType<StartedRsyslog["messages"]>) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops the receiver by its pid; `start()` starts it again on the same port, appending to the same file. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Debian's rsyslogd as an RFC 5425 receiver (imtcp, gtls driver, clients authenticated by x509/certvalid) with its own
 * configuration (`rsyslogd -n -f CONF -i PIDFILE`): never the system's rsyslog. Needs `rsyslog` and `rsyslog-gnutls`.
 */
export async function startRsyslogTls(o: RsyslogTlsOptions): Promise<StartedRsyslog> {
  requireTool("rsyslogd");
  if (!existsSync("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so") && !existsSync("/usr/lib/rsyslog/lmnsd_gtls.so")) {
    throw new Error("rsyslog's gtls driver is not installed: run `bash scripts/setup-peers.sh` (Debian's rsyslog-gnutls)");
  }
  const port = o.port ?? (await freePort());
  const work = join(o.dir, "work");
  mkdirSync(work, { recursive: true });
  const receivedFile = join(o.dir, "received.log");
  const conf = join(o.dir, "rsyslog.conf");
  const q = (s: string): string => JSON.stringify(s);
  writeFileSync(
    conf,
    [
      // PS3.15 A.6: receivers take at least 32768-octet messages.
      `global(workDirectory=${q(work)} maxMessageSize="64k" DefaultNetstreamDriver="gtls"`,
      `  DefaultNetstreamDriverCAFile=${q(o.caFile)} DefaultNetstreamDriverCertFile=${q(o.certFile)} DefaultNetstreamDriverKeyFile=${q(o.keyFile)})`,
      `module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")`,
      `input(type="imtcp" port="${port}" address="127.0.0.1")`,
      `template(name="msgidAndMsg" type="string" string="%msgid% %msg%\\n")`,
      `action(type="omfile" file=${q(receivedFile)} template="msgidAndMsg")`,
      "",
    ].join("\n"),
  );
  let proc: TrackedProcess | undefined;
  const messages = (): Array<{ msgid: string; msg: string }> => {
    if (!existsSync(receivedFile)) return [];
    return readFileSync(receivedFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const space = l.indexOf(" ");
        return { msgid: l.slice(0, space), msg: l.slice(space + 1).replace(/^\uFEFF/, "") };
      });
  };
  const r: StartedRsyslog = {
    port,
    receivedFile,
    messages,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!match(messages())) {
        if (Date.now() > deadline) throw new Error(`rsyslog on port ${port}: expected messages not received within ${timeoutMs} ms; got:\n${messages().map((m) => m.msg).join("\n")}\nrsyslogd output:\n${proc?.output() ?? ""}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async start() {
      proc = await startProcess("rsyslogd", ["-n", "-f", conf, "-i", join(o.dir, "rsyslogd.pid")]);
      try {
        await waitListening(port, 10_000);
      } catch (err) {
        throw new Error(`rsyslogd did not listen on ${port}: ${(err as Error).message}\n${proc.output()}`, { cause: err });
      }
    },
  };
  await r.start();
  return r;
}
