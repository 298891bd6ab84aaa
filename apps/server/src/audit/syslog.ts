/** RFC 5424 syslog messages carrying PS3.15 audit XML, and RFC 5425 octet-counting frames for TLS. */
import { Buffer } from "node:buffer";

/** RFC 5424 §6.2.1: facility 10 (security/authorization); PS3.15 A.6/A.7: severity 5, or 4 for warnings. */
export const SyslogFacility = { AuthPriv: 10 } as const;
export const SyslogSeverity = { Warning: 4, Notice: 5 } as const;
export type SyslogSeverity = (typeof SyslogSeverity)[keyof typeof SyslogSeverity];

/** PS3.15 A.6/A.7: the MSGID of DICOM audit messages. */
export const DICOM_AUDIT_MSGID = "DICOM+RFC3881";

/** RFC 5424 §6.4: MSG-UTF8 starts with the byte order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface SyslogHeader {
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
}

/** RFC 5424 §6: PRINTUSASCII only, bounded length, NILVALUE when empty. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return clean === "" ? "-" : clean;
}

/**
 * One RFC 5424 SYSLOG-MSG: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - BOM MSG` (no structured data).
 * The timestamp is UTC with milliseconds (§6.2.3).
 */
export function formatSyslogMessage(xml: string, header: SyslogHeader, severity: SyslogSeverity, time: Date): Buffer {
  const pri = SyslogFacility.AuthPriv * 8 + severity;
  const head = `<${pri}>1 ${time.toISOString()} ${headerField(header.hostname, 255)} ${headerField(header.appName, 48)} ${headerField(header.procId, 128)} ${DICOM_AUDIT_MSGID} - `;
  return Buffer.concat([Buffer.from(head, "ascii"), BOM, Buffer.from(xml, "utf8")]);
}

/** RFC 5425 §4.3 (RFC 6587 §3.4.1): `MSG-LEN SP SYSLOG-MSG`, the length in octets. */
export function frameOctetCounted(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, "ascii"), message]);
}

export class SyslogFrameError extends Error {
  readonly code = "ERR_DICOM_SYSLOG_FRAME";
}

/** Splits octet-counted frames; returns the whole messages and the bytes of an incomplete last frame. */
export function parseOctetCounted(data: Buffer): { readonly messages: Buffer[]; readonly rest: Buffer } {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const lenText = data.subarray(at, space).toString("ascii");
    // RFC 5425 §4.3: MSG-LEN = NONZERO-DIGIT *DIGIT.
    if (!/^[1-9][0-9]{0,8}$/.test(lenText)) throw new SyslogFrameError(`RFC 5425 frame at byte ${at}: expected a length, got ${JSON.stringify(lenText.slice(0, 12))}`);
    const end = space + 1 + Number(lenText);
    if (end > data.length) break;
    messages.push(data.subarray(space + 1, end));
    at = end;
  }
  return { messages, rest: data.subarray(at) };
}
