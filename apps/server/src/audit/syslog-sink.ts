/**
 * Syslog senders of the audit trail: RFC 5425 (TLS, octet-counted frames) with a bounded queue and reconnection with
 * back-off, and RFC 5426 (UDP, one message per datagram). Neither ever makes DICOM traffic wait: `send` only queues.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { Logger } from "../log.js";
import { frameOctetCounted } from "./syslog.js";

export interface SyslogSinkStats {
  /** Messages handed to the transport without error. */
  readonly sent: number;
  /** Messages waiting (receiver unreachable or slow). */
  readonly queued: number;
  /** Messages lost: the queue was full, the connection failed under them, or the node stopped first. */
  readonly dropped: number;
  readonly connected: boolean;
}

export interface SyslogSink {
  send(message: Buffer): void;
  stats(): SyslogSinkStats;
  /** Sends what it can until `deadline` (ms since the epoch), then closes; what is left is counted as dropped. */
  close(deadline: number): Promise<void>;
}

export interface TlsSyslogSinkOptions {
  readonly host: string;
  readonly port: number;
  readonly queueSize: number;
  /** Asked at each connection, so a reloaded certificate is used from the next one on. */
  readonly tlsOptions: () => ConnectionOptions;
  readonly logger: Logger;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** RFC 5425 sender: one TLS connection, reopened with exponential back-off while the receiver is down. */
export class TlsSyslogSink implements SyslogSink {
  readonly #o: Required<Omit<TlsSyslogSinkOptions, "logger" | "tlsOptions">> & Pick<TlsSyslogSinkOptions, "logger" | "tlsOptions">;
  readonly #queue: Buffer[] = [];
  #socket: TLSSocket | undefined;
  #connected = false;
  #connecting = false;
  #closing = false;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #inflight = 0;
  #sent = 0;
  #dropped = 0;
  /** Drops since the queue last had room: one log record per burst. */
  #burst = 0;
  /** The outage was logged: one record per outage, not per retry. */
  #downLogged = false;
  #waiters: Array<() => void> = [];

  constructor(options: TlsSyslogSinkOptions) {
    this.#o = { minBackoffMs: 100, maxBackoffMs: 30_000, ...options };
    this.#backoffMs = this.#o.minBackoffMs;
    this.#connect();
  }

  get #where(): string {
    return `${this.#o.host}:${this.#o.port}`;
  }

  send(message: Buffer): void {
    if (this.#closing) {
      this.#dropped++;
      return;
    }
    if (this.#queue.length >= this.#o.queueSize) {
      this.#dropped++;
      if (this.#burst++ === 0) {
        this.#o.logger.warn(
          { event: "audit-queue-full", receiver: this.#where, queueSize: this.#o.queueSize },
          `audit syslog receiver ${this.#where}: ${this.#o.queueSize} messages waiting, dropping new audit messages until it catches up`,
        );
      }
      return;
    }
    if (this.#burst > 0) this.#endBurst();
    this.#queue.push(frameOctetCounted(message));
    this.#flush();
  }

  stats(): SyslogSinkStats {
    return { sent: this.#sent, queued: this.#queue.length + this.#inflight, dropped: this.#dropped, connected: this.#connected };
  }

  async close(deadline: number): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    while ((this.#queue.length > 0 || this.#inflight > 0) && (this.#connected || this.#connecting) && Date.now() < deadline) {
      await this.#changed(deadline);
    }
    const left = this.#queue.length;
    if (left > 0) {
      this.#dropped += left;
      this.#queue.length = 0;
      this.#o.logger.warn({ event: "audit-messages-dropped", receiver: this.#where, dropped: left }, `audit syslog receiver ${this.#where}: ${left} audit messages not sent before the stop deadline`);
    }
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, Math.max(0, deadline - Date.now()));
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  #endBurst(): void {
    this.#o.logger.warn({ event: "audit-messages-dropped", receiver: this.#where, dropped: this.#burst }, `audit syslog receiver ${this.#where}: ${this.#burst} audit messages were dropped (queue full)`);
    this.#burst = 0;
  }

  #connect(): void {
    if (this.#closing || this.#connecting || this.#connected) return;
    this.#connecting = true;
    let socket: TLSSocket;
    try {
      socket = connect({ ...this.#o.tlsOptions(), host: this.#o.host, port: this.#o.port });
    } catch (err) {
      this.#connecting = false;
      this.#down(err as Error);
      return;
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.once("secureConnect", () => {
      this.#connecting = false;
      this.#connected = true;
      this.#backoffMs = this.#o.minBackoffMs;
      if (this.#downLogged) {
        this.#downLogged = false;
        this.#o.logger.info({ event: "audit-syslog-connected", receiver: this.#where }, `audit syslog receiver ${this.#where} reachable again`);
      }
      this.#flush();
    });
    socket.on("drain", () => this.#flush());
    socket.on("error", (err: Error) => this.#down(err));
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#connected = false;
      this.#connecting = false;
      this.#notify();
      if (!this.#closing) this.#retry();
    });
  }

  #down(err: Error): void {
    if (!this.#downLogged && !this.#closing) {
      this.#downLogged = true;
      this.#o.logger.warn(
        { event: "audit-syslog-unreachable", receiver: this.#where, code: (err as NodeJS.ErrnoException).code },
        `audit syslog receiver ${this.#where} unreachable (${err.message}): audit messages are queued (at most ${this.#o.queueSize}) and sent when it is back`,
      );
    }
    if (this.#socket === undefined) {
      this.#notify();
      if (!this.#closing) this.#retry();
    }
  }

  #retry(): void {
    if (this.#timer !== undefined) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#o.maxBackoffMs, this.#backoffMs * 2);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#connect();
    }, delay);
    this.#timer.unref();
  }

  #flush(): void {
    const socket = this.#socket;
    if (!this.#connected || socket === undefined) return;
    while (this.#queue.length > 0 && !socket.writableNeedDrain) {
      const frame = this.#queue.shift()!;
      this.#inflight++;
      socket.write(frame, (err) => {
        this.#inflight--;
        if (err) this.#dropped++;
        else this.#sent++;
        this.#notify();
      });
    }
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #changed(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** RFC 5426 sender: one datagram per message, nothing queued beyond what the kernel takes. */
export class UdpSyslogSink implements SyslogSink {
  readonly #host: string;
  readonly #port: number;
  readonly #logger: Logger;
  readonly #socket: UdpSocket;
  #inflight = 0;
  #sent = 0;
  #dropped = 0;
  #errorLogged = false;
  /** Set by close: called when the last datagram in flight is handed over. */
  #idle: (() => void) | undefined;

  constructor(options: { readonly host: string; readonly port: number; readonly logger: Logger }) {
    this.#host = options.host;
    this.#port = options.port;
    this.#logger = options.logger;
    this.#socket = createSocket(isIPv6(options.host) ? "udp6" : "udp4");
    this.#socket.on("error", (err) => this.#fail(err));
    this.#socket.unref();
  }

  send(message: Buffer): void {
    this.#inflight++;
    this.#socket.send(message, this.#port, this.#host, (err) => {
      this.#inflight--;
      if (err) this.#fail(err);
      else this.#sent++;
      if (this.#inflight === 0) this.#idle?.();
    });
  }

  stats(): SyslogSinkStats {
    return { sent: this.#sent, queued: this.#inflight, dropped: this.#dropped, connected: true };
  }

  async close(deadline: number): Promise<void> {
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#dropped += this.#inflight;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #fail(err: Error): void {
    this.#dropped++;
    if (this.#errorLogged) return;
    this.#errorLogged = true;
    this.#logger.warn({ event: "audit-syslog-failed", receiver: `${this.#host}:${this.#port}`, code: (err as NodeJS.ErrnoException).code }, `audit syslog (UDP) to ${this.#host}:${this.#port} failed: ${err.message}`);
  }
}
