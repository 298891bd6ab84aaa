export { AuditTrail, type AuditTrailOptions, type AuditTrailStats } from "./audit-trail.js";
export { AuditStartError, type FileSinkStats } from "./file-sink.js";
export { type SyslogSinkStats } from "./syslog-sink.js";
export { applicationActivity, securityAlert, instancesTransferred, instancesSent, query, AuditCodes, EventOutcome, type AuditNode, type AuditPeer, type CodedValue } from "./messages.js";
export { formatSyslogMessage, frameOctetCounted, parseOctetCounted, DICOM_AUDIT_MSGID, SyslogSeverity } from "./syslog.js";
