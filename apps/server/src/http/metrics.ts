import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { AssociationChannels, type Association } from "@dicomtls/association";
import { StorageChannels, type StoredInstance, type StoreFailure } from "@dicomtls/scp";
import type { TlsContext } from "@dicomtls/tls-context";
import { ServerChannels, type ConnectionRefusedMessage } from "../channels.js";
import type { RuntimeFigures } from "./runtime-stats.js";
import { certificatesOf, rejectionCode, wireSocket, type RejectedMessage } from "./status.js";

/** Every metric name starts with this. */
export const METRIC_PREFIX = "dicomtls_";

export interface MetricsSources {
  readonly associations: () => ReadonlySet<Association>;
  readonly openSockets: () => Iterable<Socket>;
  readonly tlsContext: () => TlsContext | undefined;
  readonly runtime: () => RuntimeFigures;
}

/** Distinct calling AE titles kept as label values; beyond, "_other" (a peer chooses its AE title: bound the series). */
const MAX_AE_LABELS = 200;
const OTHER_AE = "_other";
/** C-STORE durations from a small file on tmpfs (~1 ms) to a large study object on a slow disk. */
const CSTORE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

const hex = (status: number): string => `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The node's Prometheus metrics, fed by the diagnostics channels (`dicom:association:*`, `dicom:scp:*`,
 * `dicom:server:*`); gauges are read from the server's objects at scrape time. Plugins add theirs to `registry`.
 */
export class NodeMetrics {
  readonly registry: Registry;
  readonly #aeTitles = new Set<string>();
  readonly #unsubscribe: () => void;
  #closedBytesIn = 0;
  #closedBytesOut = 0;

  constructor(registry: Registry, sources: MetricsSources) {
    this.registry = registry;
    const registers = [registry];
    const p = METRIC_PREFIX;
    const associations = new Counter({ name: `${p}associations_total`, help: "Association requests by outcome (accepted, rejected) and calling AE title.", labelNames: ["outcome", "calling_ae"], registers });
    const closed = new Counter({ name: `${p}associations_closed_total`, help: "Accepted associations that ended, by how (released, aborted).", labelNames: ["end"], registers });
    const handshakes = new Counter({ name: `${p}tls_handshakes_total`, help: "DICOM TLS handshakes by result (completed, failed).", labelNames: ["result"], registers });
    const refusals = new Counter({
      name: `${p}refusals_total`,
      help: "Peers turned away, by stage (connection: TLS handshake or protocol; tls-peer: certificate policy; association: A-ASSOCIATE-RJ) and reason code.",
      labelNames: ["stage", "reason"],
      registers,
    });
    const stored = new Counter({ name: `${p}instances_stored_total`, help: "Instances stored durably (duplicates kept included).", registers });
    const storedBytes = new Counter({ name: `${p}stored_bytes_total`, help: "Dataset bytes of the instances stored.", registers });
    const failures = new Counter({ name: `${p}store_failures_total`, help: "C-STORE requests answered with a failure status, by status.", labelNames: ["status"], registers });
    const duration = new Histogram({ name: `${p}cstore_duration_seconds`, help: "C-STORE duration, from the request to the instance being durable.", buckets: CSTORE_BUCKETS, registers });
    this.#wireGauges(registers, sources);

    const ae = (title: string): string => {
      const t = title.trim();
      if (this.#aeTitles.has(t)) return t;
      if (this.#aeTitles.size >= MAX_AE_LABELS) return OTHER_AE;
      this.#aeTitles.add(t);
      return t;
    };
    const handlers: Array<[string, (m: unknown) => void]> = [
      [
        ServerChannels.connection,
        (m) => {
          const socket = (m as { socket: Socket }).socket;
          if ("encrypted" in socket) handshakes.inc({ result: "completed" });
          const wire = wireSocket(socket);
          wire.once("close", () => {
            this.#closedBytesIn += wire.bytesRead;
            this.#closedBytesOut += wire.bytesWritten;
          });
        },
      ],
      [
        ServerChannels.connectionRefused,
        (m) => {
          const r = m as ConnectionRefusedMessage;
          if (r.listenerReason === "TLS_HANDSHAKE_FAILED" || r.listenerReason === "HANDSHAKE_TIMEOUT") handshakes.inc({ result: "failed" });
          refusals.inc({ stage: "connection", reason: r.reason });
        },
      ],
      [AssociationChannels.transportRefused, (m) => refusals.inc({ stage: "tls-peer", reason: (m as { error: { code?: string } }).error.code ?? "TLS_PEER_REFUSED" })],
      [
        AssociationChannels.opened,
        (m) => {
          const a = (m as { association: Association }).association;
          if (!a.isRequestor) associations.inc({ outcome: "accepted", calling_ae: ae(a.callingAeTitle) });
        },
      ],
      [
        AssociationChannels.rejected,
        (m) => {
          const r = m as RejectedMessage;
          if (r.role !== "acceptor") return;
          associations.inc({ outcome: "rejected", calling_ae: ae(r.rq?.callingAeTitle ?? "?") });
          refusals.inc({ stage: "association", reason: rejectionCode(r.source, r.reason) });
        },
      ],
      [AssociationChannels.released, (m) => (m as { association: Association }).association.isRequestor || closed.inc({ end: "released" })],
      [AssociationChannels.aborted, (m) => (m as { association?: Association }).association?.isRequestor === false && closed.inc({ end: "aborted" })],
      [
        StorageChannels.instanceStored,
        (m) => {
          const i = m as StoredInstance;
          stored.inc();
          storedBytes.inc(i.datasetBytes);
          duration.observe(i.durationMs / 1000);
        },
      ],
      [StorageChannels.storeFailed, (m) => failures.inc({ status: hex((m as StoreFailure).status) })],
    ];
    for (const [name, fn] of handlers) subscribe(name, fn);
    this.#unsubscribe = () => {
      for (const [name, fn] of handlers) unsubscribe(name, fn);
    };
  }

  /** The text a Prometheus server scrapes. */
  async text(): Promise<string> {
    return await this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.#unsubscribe();
  }

  /** Gauges (and totals) read at scrape time from the server's objects: nothing on the DICOM path. */
  #wireGauges(registers: Registry[], sources: MetricsSources): void {
    const p = METRIC_PREFIX;
    // A total kept elsewhere, exposed as a counter: set at each scrape.
    const bytes = (get: () => number) =>
      function (this: Counter) {
        this.reset();
        this.inc(get());
      };
    const wireTotal = (field: "bytesRead" | "bytesWritten"): number => {
      let n = 0;
      for (const s of sources.openSockets()) n += wireSocket(s)[field];
      return n;
    };
    new Counter({ name: `${p}received_bytes_total`, help: "Bytes received on DICOM connections (on the wire: TLS records included).", registers, collect: bytes(() => this.#closedBytesIn + wireTotal("bytesRead")) });
    new Counter({ name: `${p}sent_bytes_total`, help: "Bytes sent on DICOM connections (on the wire: TLS records included).", registers, collect: bytes(() => this.#closedBytesOut + wireTotal("bytesWritten")) });
    new Gauge({
      name: `${p}open_associations`,
      help: "Associations established now (accepted by this node).",
      registers,
      collect() {
        let n = 0;
        for (const a of sources.associations()) if (!a.isRequestor) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: `${p}certificate_expiry_seconds`,
      help: "Seconds until the certificate expires (negative: expired), for the node's own (role own), each trusted one and each modality's.",
      labelNames: ["role", "name", "subject"],
      registers,
      collect() {
        this.reset();
        for (const c of certificatesOf(sources.tlsContext(), Date.now())) this.set({ role: c.role, name: c.name, subject: c.subject }, c.secondsLeft);
      },
    });
    const runtime = (name: string, help: string, pick: (f: RuntimeFigures) => number): void => {
      new Gauge({
        name: `${p}${name}`,
        help,
        registers,
        collect() {
          this.set(pick(sources.runtime()));
        },
      });
    };
    runtime("event_loop_delay_p50_seconds", "Event-loop delay, median since start.", (f) => f.loopDelayP50Ms / 1000);
    runtime("event_loop_delay_p99_seconds", "Event-loop delay, 99th percentile since start.", (f) => f.loopDelayP99Ms / 1000);
    runtime("event_loop_delay_max_seconds", "Event-loop delay, longest since start.", (f) => f.loopDelayMaxMs / 1000);
    runtime("resident_memory_bytes", "Resident set size now.", () => process.memoryUsage.rss());
    runtime("resident_memory_peak_bytes", "Resident set size, highest while serving (sampled every 50 ms).", (f) => f.peakServingRssMb * 1048576);
    new Counter({ name: `${p}gc_pauses_total`, help: "Garbage-collection pauses since start.", registers, collect: bytes(() => sources.runtime().gcCount) });
    new Counter({ name: `${p}gc_pause_seconds_total`, help: "Garbage-collection pause time since start, summed.", registers, collect: bytes(() => sources.runtime().gcTotalMs / 1000) });
    runtime("gc_pause_max_seconds", "Longest garbage-collection pause since start.", (f) => f.gcMaxPauseMs / 1000);
  }
}
