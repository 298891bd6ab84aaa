import { createHash, timingSafeEqual } from "node:crypto";

/** Who may use the HTTP(S) port: Orthanc's RemoteAccessAllowed, AuthenticationEnabled and RegisteredUsers. */
export interface HttpAccessPolicy {
  readonly remoteAccessAllowed: boolean;
  readonly authenticationEnabled: boolean;
  readonly registeredUsers: Readonly<Record<string, string>>;
}

export type HttpAccess =
  | { readonly allow: true; readonly user?: string }
  | { readonly allow: false; readonly status: 401 | 403; readonly reason: "REMOTE_ACCESS_NOT_ALLOWED" | "NO_CREDENTIALS" | "BAD_CREDENTIALS" };

/**
 * Loopback as Orthanc counts it: its HTTP server compares the peer with 127.0.0.1 exactly, so 127.0.0.2 is remote.
 * ::1 is added (Orthanc listens on IPv4 only), and the IPv4-mapped form a dual-stack socket reports.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::ffff:127.0.0.1" || address === "::1";
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** RFC 7617 credentials from an Authorization header; undefined when absent or not Basic. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  const m = header === undefined ? null : /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The decision point for each request: remote access first (403), then the Basic credentials (401). */
export function decideHttpAccess(request: { readonly remoteAddress: string | undefined; readonly authorization: string | undefined }, policy: HttpAccessPolicy): HttpAccess {
  // 403, not Orthanc's 401: no password can make a remote peer acceptable, so a login prompt would mislead.
  if (!policy.remoteAccessAllowed && !isLoopbackAddress(request.remoteAddress)) return { allow: false, status: 403, reason: "REMOTE_ACCESS_NOT_ALLOWED" };
  if (!policy.authenticationEnabled) return { allow: true };
  const credentials = parseBasicAuthorization(request.authorization);
  if (credentials === undefined) return { allow: false, status: 401, reason: "NO_CREDENTIALS" };
  const expected = Object.hasOwn(policy.registeredUsers, credentials.user) ? policy.registeredUsers[credentials.user] : undefined;
  // Digests have one length, so the comparison takes the same time whatever the password's length or correctness.
  const ok = timingSafeEqual(digest(expected ?? "\u0000no user"), digest(credentials.password)) && expected !== undefined;
  return ok ? { allow: true, user: credentials.user } : { allow: false, status: 401, reason: "BAD_CREDENTIALS" };
}
