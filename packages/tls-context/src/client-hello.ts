import type { SecureVersion } from "node:tls";
import { CIPHER_SUITES, cipherSuiteName, isGrease } from "./cipher-suites.js";
import { PROFILE_NAMES, resolveProtocolPolicy } from "./profiles.js";
import type { DicomTlsProfile } from "./settings.js";

/** RFC 8446 §5.1 ContentType handshake; §4 HandshakeType client_hello. */
const HANDSHAKE_RECORD = 0x16;
const CLIENT_HELLO = 0x01;
/** RFC 8446 §4.2: extension types read here. */
const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_VERSIONS = 43;
/** RFC 8446 §5.1: a record fragment is at most 2^14 bytes (plus expansion a ClientHello never has). */
export const MAX_TLS_RECORD = 5 + 16_384;

/** ProtocolVersion values (RFC 8446 §4.2.1, RFC 5246 App. E) by the names Node and OpenSSL use. */
const VERSION_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0300, "SSLv3"],
  [0x0301, "TLSv1"],
  [0x0302, "TLSv1.1"],
  [0x0303, "TLSv1.2"],
  [0x0304, "TLSv1.3"],
]);
const VERSION_ORDER: readonly SecureVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

function versionName(v: number): string {
  return VERSION_NAMES.get(v) ?? `0x${v.toString(16).padStart(4, "0")}`;
}

/** What a client offered in its ClientHello: enough to say why no suite or version was shared. */
export interface ClientHelloSummary {
  /** legacy_version of the ClientHello (RFC 8446 §4.1.2), e.g. "TLSv1.2". */
  readonly legacyVersion: string;
  /** The supported_versions extension (RFC 8446 §4.2.1), GREASE left out; empty when the client sent none. */
  readonly supportedVersions: readonly string[];
  /** The versions a server may choose: supported_versions, else legacy_version alone (the one a server would answer). */
  readonly offeredVersions: readonly string[];
  /** Offered suites by IANA name (unknown ones as "0xABCD"), GREASE left out, in the client's order. */
  readonly cipherSuites: readonly string[];
  readonly cipherSuiteIds: readonly number[];
  readonly serverName?: string;
  /** The hello was longer than the bytes seen: what follows the cut is missing. */
  readonly truncated: boolean;
}

/** A bounds-checked reader: every read past the end returns undefined instead of throwing. */
class Cursor {
  constructor(
    private readonly bytes: Uint8Array,
    public pos = 0,
    private readonly end = bytes.length,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number | undefined {
    return this.pos + 1 <= this.end ? this.bytes[this.pos++] : undefined;
  }
  u16(): number | undefined {
    if (this.pos + 2 > this.end) return undefined;
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u24(): number | undefined {
    const hi = this.u8();
    const lo = this.u16();
    return hi === undefined || lo === undefined ? undefined : (hi << 16) | lo;
  }
  /** A sub-cursor over the next n bytes (clamped to what is there), advancing past them. */
  take(n: number): Cursor {
    const end = Math.min(this.pos + n, this.end);
    const sub = new Cursor(this.bytes, this.pos, end);
    this.pos = end;
    return sub;
  }
}

interface Extensions {
  supportedVersions: string[];
  serverName?: string;
}

function readExtensions(c: Cursor): Extensions {
  const out: Extensions = { supportedVersions: [] };
  while (c.left >= 4) {
    const type = c.u16()!;
    const data = c.take(c.u16()!);
    if (type === EXT_SUPPORTED_VERSIONS) {
      const list = data.take(data.u8() ?? 0);
      for (let v = list.u16(); v !== undefined; v = list.u16()) if (!isGrease(v)) out.supportedVersions.push(versionName(v));
    } else if (type === EXT_SERVER_NAME) {
      const list = data.take(data.u16() ?? 0);
      if (list.u8() === 0) {
        const name = list.take(list.u16() ?? 0);
        const chars: number[] = [];
        for (let b = name.u8(); b !== undefined; b = name.u8()) chars.push(b);
        out.serverName = String.fromCharCode(...chars.map((b) => (b >= 0x20 && b < 0x7f ? b : 0x3f)));
      }
    }
  }
  return out;
}

/**
 * Parse the first TLS record of a connection as a ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2). Never throws:
 * anything that is not a ClientHello gives undefined; a hello cut short gives what could be read, `truncated` set.
 */
export function parseClientHello(bytes: Uint8Array): ClientHelloSummary | undefined {
  const rec = new Cursor(bytes);
  if (rec.u8() !== HANDSHAKE_RECORD) return undefined;
  if (rec.u16() === undefined) return undefined;
  const recordLength = rec.u16();
  if (recordLength === undefined) return undefined;
  const fragment = rec.take(recordLength);
  if (fragment.u8() !== CLIENT_HELLO) return undefined;
  const bodyLength = fragment.u24();
  const legacy = fragment.u16();
  if (bodyLength === undefined || legacy === undefined) return undefined;
  const truncated = recordLength > bytes.length - 5 || bodyLength + 4 > recordLength;
  fragment.take(32); // random
  fragment.take(fragment.u8() ?? 0); // legacy_session_id
  const suites = fragment.take(fragment.u16() ?? 0);
  const ids: number[] = [];
  for (let id = suites.u16(); id !== undefined; id = suites.u16()) if (!isGrease(id)) ids.push(id);
  fragment.take(fragment.u8() ?? 0); // legacy_compression_methods
  const ext = fragment.left >= 2 ? readExtensions(fragment.take(fragment.u16()!)) : { supportedVersions: [] };
  const legacyVersion = versionName(legacy);
  // Without supported_versions a server answers with legacy_version itself (RFC 5246 §7.4.1.2 / App. E) or fails.
  const offeredVersions = ext.supportedVersions.length > 0 ? ext.supportedVersions : [legacyVersion];
  return {
    legacyVersion,
    supportedVersions: ext.supportedVersions,
    offeredVersions,
    cipherSuites: ids.map(cipherSuiteName),
    cipherSuiteIds: ids,
    ...(ext.serverName !== undefined && { serverName: ext.serverName }),
    truncated,
  };
}

/** TLS 1.0/1.1 cannot negotiate AEAD or SHA-2 suites (RFC 5246 introduced them). */
function usableBelowTls12(openssl: string): boolean {
  return !/GCM|CHACHA|CCM|SHA256|SHA384/.test(openssl);
}

/**
 * Whether a TLS 1.2 suite can be served with the node's key (Node's `asymmetricKeyType`): ECDSA suites need an EC
 * (or EdDSA, RFC 8422 §5.1) key, the others RSA; static-RSA key exchange cannot use an RSA-PSS key (RFC 8446 §4.2.3).
 */
function servableWith(openssl: string, keyType: string | undefined): boolean {
  if (keyType === undefined) return true;
  if (/ECDSA/.test(openssl)) return keyType === "ec" || keyType === "ed25519" || keyType === "ed448";
  if (keyType === "rsa-pss") return /^(ECDHE|DHE)-RSA/.test(openssl);
  return keyType === "rsa";
}

export interface AcceptingOptions {
  /** The node's private key type (`KeyObject.asymmetricKeyType`): leaves out TLS 1.2 suites it cannot serve. */
  readonly keyType?: string | undefined;
}

/** The PS3.15 profiles (our definitions, default settings) under which this hello finds a version and a suite. */
export function profilesAccepting(hello: ClientHelloSummary, opts: AcceptingOptions = {}): DicomTlsProfile[] {
  const offered = hello.cipherSuiteIds.map((id) => CIPHER_SUITES.get(id)?.openssl).filter((n): n is string => n !== undefined && n !== "");
  const offered12 = offered.filter((n) => servableWith(n, opts.keyType));
  return PROFILE_NAMES.filter((profile) => {
    const policy = resolveProtocolPolicy({ profile });
    const min = VERSION_ORDER.indexOf(policy.minVersion);
    return hello.offeredVersions.some((v) => {
      const i = VERSION_ORDER.indexOf(v as SecureVersion);
      if (i < min) return false;
      if (v === "TLSv1.3") return offered.some((n) => policy.tls13Ciphersuites.includes(n));
      return offered12.some((n) => policy.tls12Ciphers.includes(n) && (v === "TLSv1.2" || usableBelowTls12(n)));
    });
  });
}

/** One sentence for the refusal record: what the client offered and which profile would accept it. */
export function describeClientHello(hello: ClientHelloSummary, accepting: readonly DicomTlsProfile[] = profilesAccepting(hello), keyType?: string): string {
  const suites = hello.cipherSuites.length > 0 ? hello.cipherSuites.join(", ") : "no cipher suite";
  const none = keyType === undefined ? "no PS3.15 profile accepts it" : `no PS3.15 profile accepts it with this node's ${keyType} key`;
  const verdict = accepting.length > 0 ? `the ${accepting.map((p) => `"${p}"`).join(", ")} profile${accepting.length > 1 ? "s" : ""} would accept it` : none;
  return `the client offered ${hello.offeredVersions.join("/")} with ${suites}${hello.truncated ? " (hello cut short)" : ""}; ${verdict}`;
}
