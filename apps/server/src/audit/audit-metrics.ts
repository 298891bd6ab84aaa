import type { Registry } from "prom-client";
import { registerSnapshotGauges } from "../http/snapshot-gauges.js";
import type { AuditTrailStats } from "./audit-trail.js";

/**
 * The audit trail's figures on /metrics, read at scrape time. They are totals the trail keeps itself, so they are
 * exposed as gauges that only grow (a counter cannot be set from a snapshot without double counting).
 */
export function registerAuditMetrics(registry: Registry, stats: () => AuditTrailStats): void {
  registerSnapshotGauges(registry, "dicomtls_audit_", stats, [
    ["messages", "PS3.15 A.5 audit messages built since the node started.", (s) => s.messages],
    ["file_written", "Audit messages written to AuditTrail.File.", (s) => s.file?.written ?? 0],
    ["file_failed", "Audit messages that could not be written to AuditTrail.File.", (s) => s.file?.failed ?? 0],
    ["syslog_sent", "Audit messages handed to the syslog receiver.", (s) => s.syslog?.sent ?? 0],
    ["syslog_queued", "Audit messages waiting for the syslog receiver (bounded by AuditTrail.Syslog.QueueSize).", (s) => s.syslog?.queued ?? 0],
    ["messages_dropped", "Audit messages lost: the queue was full while the syslog receiver was unreachable, or the node stopped first.", (s) => s.syslog?.dropped ?? 0],
    ["syslog_connected", "1 while the connection to the syslog receiver is open.", (s) => (s.syslog?.connected === true ? 1 : 0)],
  ]);
}
