import { describeClientHello, parseClientHello, profilesAccepting } from "@dicomtls/tls-context";

/** What a refused client offered (read from its ClientHello) and which PS3.15 profiles would have accepted it. */
export function clientOffer(clientHello: Buffer | undefined, keyType: string | undefined): { offered: Record<string, unknown>; acceptedBy: string[]; text: string } | undefined {
  const hello = clientHello === undefined ? undefined : parseClientHello(clientHello);
  if (hello === undefined) return undefined;
  // Judged with the node's own key type: an ECDSA-only client cannot be served by an RSA certificate whatever the profile.
  const acceptedBy = profilesAccepting(hello, { keyType });
  return {
    offered: { legacyVersion: hello.legacyVersion, supportedVersions: hello.supportedVersions, cipherSuites: hello.cipherSuites, ...(hello.truncated && { truncated: true }) },
    acceptedBy,
    text: `${describeClientHello(hello, acceptedBy, keyType)}${acceptedBy.length > 0 ? ' ("DicomTlsProfile")' : ""}`,
  };
}
