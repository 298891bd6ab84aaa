/**
 * The node's PS3.15 A.5 audit trail: builds the messages from the events the layers publish on diagnostics_channel
 * (nothing inside the lower packages calls it) and hands them to the file and syslog sinks, which never block.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { hostname, userInfo } from "node:os";
import type { ConnectionOptions } from "node:tls";
import { AssociationChannels, ListenerRefusalReasons, type Association, type PeerInfo } from "@dicomtls/association";
import type { AuditTrailConfig } from "@dicomtls/config";
import { FindChannels, RetrieveChannels, ScpChannels, StorageChannels, type RetrieveSummary, type StoredInstance } from "@dicomtls/scp";
import type { Logger } from "../log.js";
import { ServerChannels, type ConnectionRefusedMessage } from "../channels.js";
import { displayAddress } from "../diagnostics-log.js";
import { AuditFileSink, type FileSinkStats } from "./file-sink.js";
import {
  applicationActivity,
  AuditCodes,
  EventOutcome,
  instancesSent,
  instancesTransferred,
  query,
  securityAlert,
  type AuditNode,
  type AuditPeer,
  type CodedValue,
} from "./messages.js";
import { formatSyslogMessage, SyslogSeverity } from "./syslog.js";
import { TlsSyslogSink, UdpSyslogSink, type SyslogSink, type SyslogSinkStats } from "./syslog-sink.js";

export interface AuditTrailOptions {
  readonly config: AuditTrailConfig;
  /** Our AE title. */
  readonly aeTitle: string;
  readonly logger: Logger;
  /** TLS client options for an RFC 5425 receiver: the node's certificate and trusted certificates. */
  readonly tlsOptions?: () => ConnectionOptions;
  /** Overrides of how this node names itself (tests). */
  readonly node?: Partial<AuditNode>;
}

export interface AuditTrailStats {
  /** Audit messages built. */
  readonly messages: number;
  readonly file: FileSinkStats | undefined;
  readonly syslog: SyslogSinkStats | undefined;
}

/** ~60 us each to build, format and frame: 16 keep a turn of the event loop around 1 ms. */
const TRANSFER_MESSAGES_PER_TURN = 16;

/** What one association delivered of one study. */
interface StudyGroup {
  readonly association: Association;
  readonly studyInstanceUid: string;
  patientId: string | undefined;
  patientName: string | undefined;
  readonly accessions: Set<string>;
  readonly sopClasses: Map<string, number>;
  created: number;
  duplicates: number;
  replaced: number;
}

/** One per node; `start` subscribes and sends Application Start, `stop` sends Application Stop and flushes. */
export class AuditTrail {
  readonly node: AuditNode;
  readonly #logger: Logger;
  readonly #file: AuditFileSink | undefined;
  readonly #syslog: SyslogSink | undefined;
  readonly #syslogHeader: { hostname: string; appName: string; procId: string };
  /** Per association, per Study Instance UID; emitted when the association ends. */
  readonly #groups = new Map<Association, Map<string, StudyGroup>>();
  /** Messages still to build, a slice per event-loop turn: an association of 500 studies must not stall the loop. */
  readonly #backlog: Array<() => void> = [];
  #drainScheduled = false;
  #messages = 0;
  #unsubscribe: () => void = () => undefined;
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: AuditTrailOptions) {
    const { config, logger } = options;
    this.#logger = logger;
    const host = hostname();
    const pid = String(process.pid);
    let launcher: string | undefined;
    try {
      launcher = userInfo().username;
    } catch {
      launcher = undefined;
    }
    this.node = {
      aeTitle: options.aeTitle.trim(),
      hostname: host,
      processId: pid,
      processName: "dicomtls",
      auditSourceId: `${options.aeTitle.trim()}@${host}`,
      ...(launcher !== undefined && { launcher }),
      ...options.node,
    };
    this.#syslogHeader = { hostname: this.node.hostname, appName: "dicomtls", procId: this.node.processId };
    this.#file = config.file === null ? undefined : new AuditFileSink(config.file, logger);
    const s = config.syslog;
    if (s !== null && s.protocol === "tls") {
      if (options.tlsOptions === undefined) throw new Error("AuditTrail.Syslog: the TLS receiver needs the node's TLS settings");
      this.#syslog = new TlsSyslogSink({ host: s.host, port: s.port, queueSize: s.queueSize, tlsOptions: options.tlsOptions, logger });
    } else if (s !== null) {
      this.#syslog = new UdpSyslogSink({ host: s.host, port: s.port, logger });
    }
  }

  stats(): AuditTrailStats {
    return { messages: this.#messages, file: this.#file?.stats(), syslog: this.#syslog?.stats() };
  }

  /** Subscribes to the node's events and records Application Start (PS3.15 A.5.3.1). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const handlers: Array<[string, (m: unknown) => void]> = [
      [StorageChannels.instanceStored, (m) => this.#stored(m as StoredInstance)],
      [AssociationChannels.released, (m) => this.#ended((m as { association: Association }).association)],
      [AssociationChannels.aborted, (m) => this.#ended((m as { association?: Association }).association)],
      [AssociationChannels.transportRefused, (m) => this.#transportRefused(m as { peer: PeerInfo; error: Error & { code?: string } })],
      [AssociationChannels.rejected, (m) => this.#rejected(m as RejectedMessage)],
      [ScpChannels.commandRefused, (m) => this.#commandRefused(m as { association: Association; why: string; key?: string })],
      [ServerChannels.connectionRefused, (m) => this.#connectionRefused(m as ConnectionRefusedMessage)],
      [FindChannels.findDone, (m) => this.#findDone(m as FindDoneMessage)],
      [RetrieveChannels.finished, (m) => this.#retrieveFinished(m as RetrieveSummary)],
    ];
    for (const [name, fn] of handlers) subscribe(name, fn);
    this.#unsubscribe = () => {
      for (const [name, fn] of handlers) unsubscribe(name, fn);
    };
    this.#record(applicationActivity(this.node, { event: "start", time: new Date() }), SyslogSeverity.Notice);
  }

  /**
   * Records the transfers of associations still open, then Application Stop, and flushes the sinks until
   * `timeoutMs` from now (default 5 s); what a receiver has not taken by then is counted as dropped. Idempotent.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      const deadline = Date.now() + (options.timeoutMs ?? 5_000);
      this.#unsubscribe();
      for (const association of [...this.#groups.keys()]) this.#ended(association);
      this.#drain(Infinity);
      if (this.#started) this.#record(applicationActivity(this.node, { event: "stop", time: new Date() }), SyslogSeverity.Notice);
      await Promise.all([this.#syslog?.close(deadline), this.#file?.close(deadline)]);
      const s = this.stats();
      this.#logger.info(
        {
          event: "audit-stopped",
          messages: s.messages,
          ...(s.file !== undefined && { fileWritten: s.file.written, fileFailed: s.file.failed }),
          ...(s.syslog !== undefined && { syslogSent: s.syslog.sent, syslogDropped: s.syslog.dropped }),
        },
        `audit trail closed: ${s.messages} messages${s.syslog !== undefined ? `, ${s.syslog.sent} sent to syslog, ${s.syslog.dropped} dropped` : ""}`,
      );
    })();
    return this.#stopping;
  }

  #record(xml: string, severity: SyslogSeverity): void {
    this.#messages++;
    this.#file?.write(xml);
    this.#syslog?.send(formatSyslogMessage(xml, this.#syslogHeader, severity, new Date()));
  }

  #stored(i: StoredInstance): void {
    if (i.association.isRequestor) return;
    let studies = this.#groups.get(i.association);
    if (studies === undefined) {
      studies = new Map();
      this.#groups.set(i.association, studies);
    }
    const uid = i.header.studyInstanceUid ?? "";
    let g = studies.get(uid);
    if (g === undefined) {
      g = { association: i.association, studyInstanceUid: uid, patientId: undefined, patientName: undefined, accessions: new Set(), sopClasses: new Map(), created: 0, duplicates: 0, replaced: 0 };
      studies.set(uid, g);
    }
    g.patientId ??= i.header.patientId;
    g.patientName ??= i.header.patientName;
    if (i.header.accessionNumber !== undefined && i.header.accessionNumber !== "") g.accessions.add(i.header.accessionNumber);
    g.sopClasses.set(i.sopClassUid, (g.sopClasses.get(i.sopClassUid) ?? 0) + 1);
    if (i.result.replaced === true) g.replaced++;
    else if (i.result.duplicate) g.duplicates++;
    else g.created++;
  }

  /** PS3.15 A.5.3.7: one DICOM Instances Transferred message per study the association delivered. */
  #ended(association: Association | undefined): void {
    if (association === undefined) return;
    const studies = this.#groups.get(association);
    if (studies === undefined) return;
    this.#groups.delete(association);
    const peer = association.peer;
    const time = new Date();
    for (const g of studies.values()) {
      this.#defer(() => {
        // C: all new to us; R: we held identical copies of all; U: we replaced some.
        const action = g.replaced > 0 ? "U" : g.created === 0 ? "R" : "C";
        const xml = instancesTransferred(this.node, {
          time,
          source: { address: displayAddress(peer.address), port: peer.port, aeTitle: association.callingAeTitle },
          calledAeTitle: association.calledAeTitle,
          action,
          encrypted: peer.tls !== undefined,
          study: {
            studyInstanceUid: g.studyInstanceUid === "" ? "unknown" : g.studyInstanceUid,
            ...(g.patientId !== undefined && { patientId: g.patientId }),
            ...(g.patientName !== undefined && { patientName: g.patientName }),
            accessionNumbers: [...g.accessions],
            sopClasses: g.sopClasses,
          },
        });
        this.#record(xml, SyslogSeverity.Notice);
      });
    }
  }

  /** PS3.15 A.5.3.10 Query: each C-FIND answered; a refused one (C000, A900 ...) is a Minor failure. */
  #findDone(m: FindDoneMessage): void {
    const a = m.association;
    if (a.isRequestor || m.sopClassUid === undefined) return;
    const answered = m.status === 0x0000 || m.status === 0xfe00;
    const status = `0x${m.status.toString(16).toUpperCase().padStart(4, "0")}`;
    const xml = query(this.node, {
      time: new Date(),
      requestor: { address: displayAddress(a.peer.address), port: a.peer.port, aeTitle: a.callingAeTitle },
      calledAeTitle: a.calledAeTitle,
      sopClassUid: m.sopClassUid,
      transferSyntaxUid: m.transferSyntaxUid ?? "",
      identifier: m.identifier ?? new Uint8Array(0),
      outcome: answered ? EventOutcome.Success : EventOutcome.MinorFailure,
      ...(!answered && { outcomeDescription: `C-FIND refused with ${status}${m.error !== undefined ? `: ${m.error}` : ""}` }),
    });
    this.#record(xml, answered ? SyslogSeverity.Notice : SyslogSeverity.Warning);
  }

  /** PS3.15 A.5.3.7 from the sender's side: one Instances Transferred (R) per study a C-MOVE / C-GET sent. */
  #retrieveFinished(s: RetrieveSummary): void {
    if (s.sent.length === 0) return;
    const a = s.association;
    const studies = new Map<string, SentStudy>();
    for (const i of s.sent) {
      const uid = i.studyInstanceUid ?? "unknown";
      let g = studies.get(uid);
      if (g === undefined) {
        g = { studyInstanceUid: uid, accessionNumbers: [], sopClasses: new Map() };
        studies.set(uid, g);
      }
      if (g.patientId === undefined && i.patientId !== undefined) g.patientId = i.patientId;
      if (g.patientName === undefined && i.patientName !== undefined) g.patientName = i.patientName;
      if (i.accessionNumber !== undefined && i.accessionNumber !== "" && !g.accessionNumbers.includes(i.accessionNumber)) g.accessionNumbers.push(i.accessionNumber);
      g.sopClasses.set(i.sopClassUid, (g.sopClasses.get(i.sopClassUid) ?? 0) + 1);
    }
    const time = new Date();
    const isGet = s.kind === "C-GET";
    const requestor = { address: displayAddress(a.peer.address), port: a.peer.port, aeTitle: a.callingAeTitle };
    const destination = isGet
      ? { aeTitle: a.callingAeTitle, address: requestor.address }
      : { aeTitle: s.destination ?? "", ...(s.destinationAddress !== undefined && { address: displayAddress(s.destinationAddress) }) };
    const encrypted = isGet ? a.peer.tls !== undefined : s.destinationEncrypted === true;
    const outcome = s.failed > 0 ? EventOutcome.MinorFailure : EventOutcome.Success;
    for (const study of studies.values()) {
      this.#defer(() => this.#record(instancesSent(this.node, { time, kind: s.kind, calledAeTitle: a.calledAeTitle, requestor, destination, study, encrypted, outcome }), SyslogSeverity.Notice));
    }
  }

  #defer(task: () => void): void {
    this.#backlog.push(task);
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => this.#drain(TRANSFER_MESSAGES_PER_TURN));
  }

  /** Builds up to `limit` waiting messages now; the rest on the next turn. */
  #drain(limit: number): void {
    this.#drainScheduled = false;
    for (let n = 0; n < limit && this.#backlog.length > 0; n++) this.#backlog.shift()!();
    if (this.#backlog.length > 0) {
      this.#drainScheduled = true;
      setImmediate(() => this.#drain(limit));
    }
  }

  #alert(type: CodedValue, peer: AuditPeer, reason: string, description: string): void {
    this.#record(securityAlert(this.node, { type, time: new Date(), peer, reason, description }), SyslogSeverity.Warning);
  }

  /** The peer-certificate policy refused a TLS peer after the handshake: a node-authentication failure. */
  #transportRefused(m: { peer: PeerInfo; error: Error & { code?: string } }): void {
    const reason = m.error.code ?? "PEER_REFUSED";
    this.#alert(AuditCodes.NodeAuthentication, peerOf(m.peer), reason, `DICOM TLS peer refused: ${m.error.message}`);
  }

  /** OpenSSL refused the handshake, or plain DICOM came to the TLS port: the node did not authenticate. */
  #connectionRefused(m: ConnectionRefusedMessage): void {
    const r = m.refusal;
    if (r.reason !== ListenerRefusalReasons.HandshakeFailed && r.reason !== ListenerRefusalReasons.PlainOnTlsPort) return;
    const peer: AuditPeer = { address: displayAddress(r.remoteAddress), ...(r.remotePort !== undefined && { port: r.remotePort }) };
    this.#alert(AuditCodes.NodeAuthentication, peer, m.reason, `connection refused before any association (${m.reason}): ${r.detail}`);
  }

  /**
   * An A-ASSOCIATE-RJ we sent (access control: AE title, address or certificate not recognised, or a plugin's veto).
   * PS3.15 has no message of its own for it; A.5.3.10 sends access violations to Security Alert, and the refused
   * identity claim (calling AE title from that address with that certificate) is a node-authentication failure.
   */
  #rejected(m: RejectedMessage): void {
    if (m.role !== "acceptor" || m.peer === undefined) return;
    const aet = m.rq?.callingAeTitle?.trim();
    const peer = { ...peerOf(m.peer), ...(aet !== undefined && { aeTitle: aet }) };
    const reason = `A-ASSOCIATE-RJ result ${m.result} source ${m.source} reason ${m.reason}`;
    this.#alert(AuditCodes.NodeAuthentication, peer, reason, `association from ${aet ?? "?"} at ${peer.address} refused: ${m.text}`);
  }

  /** Orthanc's per-modality command permissions refused a DIMSE command: Use of Restricted Function. */
  #commandRefused(m: { association: Association; why: string; key?: string }): void {
    const peer = { ...peerOf(m.association.peer), aeTitle: m.association.callingAeTitle.trim() };
    const by = m.key === undefined ? "" : ` by ${m.key}`;
    this.#alert(AuditCodes.UseOfRestrictedFunction, peer, "COMMAND_NOT_ALLOWED", `command from ${peer.aeTitle} refused${by}, association aborted: ${m.why}`);
  }
}

/** One study's instances a retrieve sent (a TransferredStudy being built). */
interface SentStudy {
  readonly studyInstanceUid: string;
  patientId?: string;
  patientName?: string;
  readonly accessionNumbers: string[];
  readonly sopClasses: Map<string, number>;
}

/** What FindChannels.findDone publishes (packages/scp find-service.ts). */
interface FindDoneMessage {
  readonly association: Association;
  readonly sopClassUid?: string;
  readonly transferSyntaxUid?: string;
  readonly identifier?: Uint8Array;
  readonly status: number;
  readonly error?: string;
}

interface RejectedMessage {
  readonly role: string;
  readonly peer: PeerInfo | undefined;
  readonly rq: { readonly callingAeTitle?: string } | undefined;
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  readonly text: string;
}

function peerOf(p: PeerInfo): AuditPeer {
  const cert = p.tls?.certificate;
  return {
    address: displayAddress(p.address),
    port: p.port,
    ...(cert !== undefined && { certificate: { subject: cert.subject.replace(/\n/g, ", "), issuer: cert.issuer.replace(/\n/g, ", "), fingerprint256: cert.fingerprint256 } }),
  };
}
