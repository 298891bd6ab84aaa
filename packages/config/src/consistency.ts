/** Checks across keys, once each key is valid on its own (files that must exist, settings that contradict). */

import { ConfigIssueKind } from "./errors.js";
import type { RawIssue } from "./issues.js";
import type { NodeConfig } from "./node-config.js";

export function checkConsistency(c: NodeConfig, errors: RawIssue[], warnings: RawIssue[], isFile: (p: string) => boolean): void {
  if (c.auditTrail.syslog?.protocol === "tls") {
    // RFC 5425 with the node's TLS settings: its certificate is the client certificate, its trusted certificates verify the receiver.
    const pkcs12 = c.dicomTlsCertificate !== null && /\.(p12|pfx)$/i.test(c.dicomTlsCertificate);
    const needed: [string, string | null][] = [
      ["DicomTlsCertificate", c.dicomTlsCertificate],
      ["DicomTlsTrustedCertificates", c.dicomTlsTrustedCertificates],
    ];
    if (!pkcs12) needed.push(["DicomTlsPrivateKey", c.dicomTlsPrivateKey]);
    for (const [key, file] of needed) {
      if (file !== null) continue;
      errors.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["AuditTrail", "Syslog", "Protocol"],
        message: `"tls" sends the audit trail with the node's TLS settings, but ${key} is not set; set it, or use "udp"`,
      });
    }
  }
  if (c.dicomTlsCiphersAccepted.length > 0 && c.dicomTlsMinimumProtocolVersion === 0) {
    // Orthanc refuses to start here too: "The cipher suites can not be specified when using the default BCP profile".
    errors.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["DicomTlsCiphersAccepted"],
      message:
        "cipher suites cannot be set while DicomTlsMinimumProtocolVersion is 0 (the profile chooses them); " +
        "set DicomTlsMinimumProtocolVersion to 4 (TLS 1.2+) or 5 (TLS 1.3), or remove DicomTlsCiphersAccepted",
    });
  }

  const scuTls = c.dicomModalities.filter((m) => m.useDicomTls).map((m) => m.name);
  const tlsUsed = c.dicomTlsEnabled || scuTls.length > 0;
  if (tlsUsed) {
    const why = c.dicomTlsEnabled ? "DicomTlsEnabled is true" : `modality ${scuTls.join(", ")} has UseDicomTls true`;
    // A PKCS#12 file (.p12/.pfx) holds the key too, so DicomTlsPrivateKey is then neither needed nor read.
    const pkcs12 = c.dicomTlsCertificate !== null && /\.(p12|pfx)$/i.test(c.dicomTlsCertificate);
    const needed: [string, string | null][] = [["DicomTlsCertificate", c.dicomTlsCertificate]];
    if (!pkcs12) needed.push(["DicomTlsPrivateKey", c.dicomTlsPrivateKey]);
    else if (c.dicomTlsPrivateKey !== null) {
      warnings.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["DicomTlsPrivateKey"],
        message: "ignored: DicomTlsCertificate is a PKCS#12 file, which holds the private key",
      });
    }
    if (c.dicomTlsRemoteCertificateRequired) needed.push(["DicomTlsTrustedCertificates", c.dicomTlsTrustedCertificates]);
    for (const [key, file] of needed) {
      if (file === null) {
        const extra = key === "DicomTlsTrustedCertificates" ? " and DicomTlsRemoteCertificateRequired is true" : "";
        errors.push({ kind: ConfigIssueKind.MissingValue, path: [key], message: `missing; required because ${why}${extra}` });
      } else if (!isFile(file)) {
        errors.push({ kind: ConfigIssueKind.MissingFile, path: [key], message: `file not found (or not a regular file): ${file}` });
      }
    }
    if (!c.dicomTlsRemoteCertificateRequired && c.dicomTlsTrustedCertificates !== null && !isFile(c.dicomTlsTrustedCertificates)) {
      errors.push({ kind: ConfigIssueKind.MissingFile, path: ["DicomTlsTrustedCertificates"], message: `file not found (or not a regular file): ${c.dicomTlsTrustedCertificates}` });
    }
  }
  for (const m of c.dicomModalities) {
    if (m.tlsCertificate !== null && !isFile(m.tlsCertificate)) {
      errors.push({
        kind: ConfigIssueKind.MissingFile,
        path: ["DicomModalities", m.name, "TlsCertificate"],
        message: `file not found (or not a regular file): ${m.tlsCertificate}`,
      });
    }
    if (c.dicomTlsEnabled && c.dicomTlsCheckModalityCertificate && m.tlsCertificate === null) {
      warnings.push({
        kind: ConfigIssueKind.Inconsistent,
        path: ["DicomModalities", m.name],
        message: "no TlsCertificate: with DicomTlsCheckModalityCertificate on, no peer can ever associate with this modality's AE title over TLS",
      });
    }
  }

  if (c.dicomPlainPort !== null) {
    if (c.dicomPlainPort === c.dicomPort) {
      errors.push({ kind: ConfigIssueKind.Inconsistent, path: ["DicomPlainPort"], message: `must differ from DicomPort (${c.dicomPort})` });
    } else if (!c.dicomTlsEnabled) {
      warnings.push({ kind: ConfigIssueKind.Inconsistent, path: ["DicomPlainPort"], message: "DicomTlsEnabled is false, so DicomPort is plain already: two plain listeners" });
    }
  }
  if (c.dicomModalitiesInDatabase) {
    warnings.push({
      kind: ConfigIssueKind.Unsupported,
      path: ["DicomModalitiesInDatabase"],
      message: "dicomtls has no modality database: modalities are read from DicomModalities in the configuration only",
    });
  }
}

/** The HTTP(S) port's keys, as Orthanc's main.cpp reads them (authentication follows remote access unless set). */
export function checkHttp(c: NodeConfig, authenticationSet: boolean, errors: RawIssue[], warnings: RawIssue[], isFile: (p: string) => boolean): void {
  for (const user of Object.keys(c.registeredUsers)) {
    // RFC 7617 §2: the user-id of HTTP Basic cannot contain a colon, so such a user could never log in.
    if (user.includes(":") || user === "") {
      errors.push({ kind: ConfigIssueKind.InvalidValue, path: ["RegisteredUsers", user], message: "expected a user name without ':' (HTTP Basic cannot carry it), not empty" });
    }
  }
  if (!c.httpServerEnabled) return;
  if (c.sslEnabled && !isFile(c.sslCertificate)) {
    errors.push({
      kind: ConfigIssueKind.MissingFile,
      path: ["SslCertificate"],
      message: `file not found (or not a regular file): ${c.sslCertificate}; SslEnabled is true, and this PEM file must hold the HTTPS certificate and its private key`,
    });
  }
  if (c.remoteAccessAllowed && authenticationSet && !c.authenticationEnabled) {
    warnings.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["AuthenticationEnabled"],
      message: "false while RemoteAccessAllowed is true: anyone who reaches HttpPort sees the status page and the metrics (possibly insecure, as Orthanc warns)",
    });
  }
  if (c.authenticationEnabled && Object.keys(c.registeredUsers).length === 0) {
    // Orthanc would create the user "orthanc" with the password "orthanc" here; a known password is no protection.
    warnings.push({
      kind: ConfigIssueKind.Inconsistent,
      path: ["RegisteredUsers"],
      message: `no user declared while HTTP authentication is on${authenticationSet ? "" : " (RemoteAccessAllowed turns it on)"}: every HTTP request is refused with 401; dicomtls does not create Orthanc's default user "orthanc"`,
    });
  }
}

