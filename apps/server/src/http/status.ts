import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Socket } from "node:net";
import { AssociationChannels, type Association, type PeerInfo } from "@dicomtls/association";
import { StorageChannels, type StoredInstance, type StoreFailure } from "@dicomtls/scp";
import type { TlsContext } from "@dicomtls/tls-context";
import { ServerChannels, type ConnectionRefusedMessage } from "../channels.js";
import { displayAddress } from "../diagnostics-log.js";
import type { RuntimeFigures } from "./runtime-stats.js";

/** One open association as /status shows it. */
export interface AssociationStatus {
  readonly peer: string;
  readonly callingAet: string;
  readonly calledAet: string;
  readonly tlsVersion: string | null;
  readonly cipher: string | null;
  readonly certificateSubject: string | null;
  /** Bytes on the wire (TLS records included) since the connection opened. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly instancesStored: number;
  readonly openedAt: string;
  readonly durationSeconds: number;
}

/** Why a peer was turned away, at which stage. */
export interface RefusalStatus {
  readonly at: string;
  /** "connection" (handshake, wrong protocol, timeout), "tls-peer" (certificate policy), "association" (A-ASSOCIATE-RJ). */
  readonly stage: "connection" | "tls-peer" | "association";
  readonly peer: string;
  readonly reason: string;
  readonly detail: string;
  readonly certificateSubject?: string;
  readonly callingAet?: string;
}

export interface CertificateStatus {
  /** "own" (the node's), "trusted" (DicomTlsTrustedCertificates), "modality" (a modality's TlsCertificate). */
  readonly role: "own" | "trusted" | "modality";
  readonly name: string;
  readonly subject: string;
  readonly validTo: string;
  readonly secondsLeft: number;
}

/** One second of the throughput chart. */
export interface ThroughputSample {
  readonly t: number;
  readonly instances: number;
  readonly bytes: number;
}

export interface StatusSnapshot {
  readonly node: { readonly aet: string; readonly dicomPort: number; readonly tls: boolean; readonly profile: string | null; readonly startedAt: string; readonly uptimeSeconds: number };
  readonly associations: readonly AssociationStatus[];
  readonly refusals: readonly RefusalStatus[];
  readonly certificates: readonly CertificateStatus[];
  readonly stored: { readonly instances: number; readonly bytes: number; readonly failures: number };
  readonly throughput: readonly ThroughputSample[];
  readonly runtime: RuntimeFigures;
}

export interface StatusSources {
  readonly aet: string;
  readonly dicomPort: () => number;
  readonly associations: () => ReadonlySet<Association>;
  readonly tlsContext: () => TlsContext | undefined;
  readonly runtime: () => RuntimeFigures;
}

/** What `dicom:association:rejected` carries. */
export interface RejectedMessage {
  readonly role: string;
  readonly peer?: PeerInfo;
  readonly rq?: { readonly callingAeTitle: string };
  readonly source: number;
  readonly reason: number;
  readonly text?: string;
}

/** PS3.8 Table 9-21: the A-ASSOCIATE-RJ source and reason as a stable code. */
export function rejectionCode(source: number, reason: number): string {
  if (source === 1) {
    const byReason: Record<number, string> = { 2: "APPLICATION_CONTEXT_NOT_SUPPORTED", 3: "CALLING_AE_NOT_RECOGNIZED", 7: "CALLED_AE_NOT_RECOGNIZED" };
    return byReason[reason] ?? "REJECTED_BY_SERVICE_USER";
  }
  if (source === 2) return reason === 2 ? "PROTOCOL_VERSION_NOT_SUPPORTED" : "REJECTED_BY_ACSE";
  if (source === 3) return reason === 1 ? "TEMPORARY_CONGESTION" : reason === 2 ? "LOCAL_LIMIT_EXCEEDED" : "REJECTED_BY_PRESENTATION";
  return "REJECTED";
}

const MAX_REFUSALS = 20;
const THROUGHPUT_SECONDS = 120;

/** The raw socket under a TLS socket: its counters are the bytes on the wire. */
export function wireSocket(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket | null })._parent ?? socket;
}

export const peerKey = (address: string | undefined, port: number | undefined): string => `${address ?? "?"}|${port ?? "?"}`;
const peerText = (p: PeerInfo | undefined): string => (p === undefined ? "?" : `${displayAddress(p.address)}:${p.port}`);
const subjectOf = (p: PeerInfo | undefined): string | undefined => p?.tls?.certificate?.subject.replace(/\n/g, ", ");

/**
 * What the node is doing, for /status and the status page: fed by the diagnostics channels, read on demand.
 * The C-STORE path costs one map lookup and a few additions per instance.
 */
export class NodeStatus {
  readonly #sources: StatusSources;
  readonly #startedAt = new Date();
  /** Sockets of connections handed to the SCP, by peer address and port, until they close. */
  readonly #sockets = new Map<string, Socket>();
  readonly #stored = new WeakMap<Association, number>();
  readonly #openedAt = new WeakMap<Association, number>();
  readonly #refusals: RefusalStatus[] = [];
  readonly #samples: ThroughputSample[] = [];
  #instances = 0;
  #bytes = 0;
  #failures = 0;
  readonly #listeners = new Set<(event: string) => void>();
  readonly #unsubscribe: () => void;

  constructor(sources: StatusSources) {
    this.#sources = sources;
    const handlers: Array<[string, (m: unknown) => void]> = [
      [ServerChannels.connection, (m) => this.#connection((m as { socket: Socket }).socket)],
      [ServerChannels.connectionRefused, (m) => this.#connectionRefused(m as ConnectionRefusedMessage)],
      [AssociationChannels.opened, (m) => this.#opened((m as { association: Association }).association)],
      [AssociationChannels.released, (m) => this.#closed((m as { association: Association }).association)],
      [AssociationChannels.aborted, (m) => this.#closed((m as { association?: Association }).association)],
      [AssociationChannels.rejected, (m) => this.#rejected(m as RejectedMessage)],
      [AssociationChannels.transportRefused, (m) => this.#peerRefused(m as { peer: PeerInfo; error: Error & { code?: string } })],
      [StorageChannels.instanceStored, (m) => this.#instanceStored(m as StoredInstance)],
      [StorageChannels.storeFailed, (m) => this.#storeFailed(m as StoreFailure)],
    ];
    for (const [name, fn] of handlers) subscribe(name, fn);
    this.#unsubscribe = () => {
      for (const [name, fn] of handlers) unsubscribe(name, fn);
    };
  }

  /** Called with "associations", "refusals" or "stored" when that part changed (the SSE stream pushes then). */
  onChange(listener: (event: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  /** The socket of an association's connection (for its byte counters), while it is open. */
  socketOf(peer: PeerInfo): Socket | undefined {
    return this.#sockets.get(peerKey(peer.address, peer.port));
  }

  /** Every socket handed to the SCP and still open. */
  openSockets(): IterableIterator<Socket> {
    return this.#sockets.values();
  }

  snapshot(now = Date.now()): StatusSnapshot {
    const tls = this.#sources.tlsContext();
    const associations = [...this.#sources.associations()]
      .filter((a) => !a.isRequestor)
      .map((a) => this.#associationStatus(a, now));
    return {
      node: {
        aet: this.#sources.aet,
        dicomPort: this.#sources.dicomPort(),
        tls: tls !== undefined,
        profile: tls?.policy.profile ?? null,
        startedAt: this.#startedAt.toISOString(),
        uptimeSeconds: Math.round((now - this.#startedAt.getTime()) / 1000),
      },
      associations,
      refusals: [...this.#refusals].reverse(),
      certificates: certificatesOf(tls, now),
      stored: { instances: this.#instances, bytes: this.#bytes, failures: this.#failures },
      throughput: this.#throughput(now),
      runtime: this.#sources.runtime(),
    };
  }

  #associationStatus(a: Association, now: number): AssociationStatus {
    const socket = this.socketOf(a.peer);
    const wire = socket === undefined ? undefined : wireSocket(socket);
    const openedAt = this.#openedAt.get(a) ?? now;
    return {
      peer: peerText(a.peer),
      callingAet: a.callingAeTitle.trim(),
      calledAet: a.calledAeTitle.trim(),
      tlsVersion: a.peer.tls?.protocol ?? null,
      cipher: a.peer.tls?.cipher ?? null,
      certificateSubject: subjectOf(a.peer) ?? null,
      bytesIn: wire?.bytesRead ?? 0,
      bytesOut: wire?.bytesWritten ?? 0,
      instancesStored: this.#stored.get(a) ?? 0,
      openedAt: new Date(openedAt).toISOString(),
      durationSeconds: Math.round((now - openedAt) / 100) / 10,
    };
  }

  #throughput(now: number): ThroughputSample[] {
    const second = Math.floor(now / 1000);
    const bySecond = new Map(this.#samples.map((s) => [s.t, s]));
    const out: ThroughputSample[] = [];
    for (let t = second - THROUGHPUT_SECONDS + 1; t <= second; t++) out.push(bySecond.get(t) ?? { t, instances: 0, bytes: 0 });
    return out;
  }

  #emit(event: string): void {
    for (const l of this.#listeners) l(event);
  }

  #connection(socket: Socket): void {
    const key = peerKey(socket.remoteAddress, socket.remotePort);
    this.#sockets.set(key, socket);
    socket.once("close", () => this.#sockets.delete(key));
  }

  #opened(a: Association): void {
    if (a.isRequestor) return;
    this.#openedAt.set(a, Date.now());
    this.#emit("associations");
  }

  #closed(a: Association | undefined): void {
    if (a?.isRequestor === true) return;
    this.#emit("associations");
  }

  #refusal(r: RefusalStatus): void {
    this.#refusals.push(r);
    if (this.#refusals.length > MAX_REFUSALS) this.#refusals.shift();
    this.#emit("refusals");
  }

  #connectionRefused(m: ConnectionRefusedMessage): void {
    this.#refusal({ at: new Date().toISOString(), stage: "connection", peer: `${displayAddress(m.remoteAddress)}:${m.remotePort ?? "?"}`, reason: m.reason, detail: m.detail });
  }

  #peerRefused(m: { peer: PeerInfo; error: Error & { code?: string } }): void {
    const subject = subjectOf(m.peer);
    this.#refusal({
      at: new Date().toISOString(),
      stage: "tls-peer",
      peer: peerText(m.peer),
      reason: m.error.code ?? "TLS_PEER_REFUSED",
      detail: m.error.message,
      ...(subject !== undefined && { certificateSubject: subject }),
    });
  }

  #rejected(m: RejectedMessage): void {
    if (m.role !== "acceptor") return;
    const subject = subjectOf(m.peer);
    this.#refusal({
      at: new Date().toISOString(),
      stage: "association",
      peer: peerText(m.peer),
      reason: rejectionCode(m.source, m.reason),
      detail: m.text ?? "",
      ...(subject !== undefined && { certificateSubject: subject }),
      ...(m.rq !== undefined && { callingAet: m.rq.callingAeTitle.trim() }),
    });
  }

  #instanceStored(i: StoredInstance): void {
    this.#instances++;
    this.#bytes += i.datasetBytes;
    const association = i.association;
    this.#stored.set(association, (this.#stored.get(association) ?? 0) + 1);
    const t = Math.floor(Date.now() / 1000);
    const last = this.#samples[this.#samples.length - 1];
    if (last !== undefined && last.t === t) this.#samples[this.#samples.length - 1] = { t, instances: last.instances + 1, bytes: last.bytes + i.datasetBytes };
    else {
      this.#samples.push({ t, instances: 1, bytes: i.datasetBytes });
      while (this.#samples.length > 0 && this.#samples[0]!.t <= t - THROUGHPUT_SECONDS) this.#samples.shift();
    }
  }

  #storeFailed(_f: StoreFailure): void {
    this.#failures++;
    this.#emit("stored");
  }
}

/** The node's own certificate, the trusted bundle and the modalities' certificates, soonest expiry first. */
export function certificatesOf(tls: TlsContext | undefined, now: number): CertificateStatus[] {
  if (tls === undefined) return [];
  const left = (validTo: Date): number => Math.floor((validTo.getTime() - now) / 1000);
  const out: CertificateStatus[] = [
    { role: "own", name: "DicomTlsCertificate", subject: tls.certificate.subject.replace(/\n/g, ", "), validTo: tls.certificate.validTo.toISOString(), secondsLeft: left(tls.certificate.validTo) },
  ];
  for (const c of tls.trustedBundle) {
    const validTo = new Date(c.validTo);
    out.push({ role: "trusted", name: "DicomTlsTrustedCertificates", subject: c.subject.replace(/\n/g, ", "), validTo: validTo.toISOString(), secondsLeft: left(validTo) });
  }
  for (const m of tls.modalities) {
    const validTo = new Date(m.certificate.validTo);
    out.push({ role: "modality", name: m.name, subject: m.certificate.subject.replace(/\n/g, ", "), validTo: validTo.toISOString(), secondsLeft: left(validTo) });
  }
  return out.sort((a, b) => a.secondsLeft - b.secondsLeft);
}
