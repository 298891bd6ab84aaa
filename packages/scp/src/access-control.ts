/**
 * Who may associate and which DIMSE commands they may issue: Orthanc's algorithm, replicated
 * decision for decision [Orthanc `main.cpp` `OrthancApplicationEntityFilter::IsAllowedConnection`
 * / `IsAllowedRequest`, `OrthancConfiguration::IsKnownAETitle`, `LookupDicomModalitiesUsingAETitle`,
 * `IsSameAETitle`, and the called-AE check in `CommandDispatcher`].
 *
 * A pure function over its own input type: the server maps its configuration to an AccessPolicy.
 *
 * What Orthanc's source does, including its corners (kept on purpose, so that a configuration
 * behaves here exactly as it did under Orthanc):
 * - Modalities are kept in a map ordered by symbolic name; "the" modality of an AE title is the
 *   first match in that order.
 * - Association: if ANY DicomAlwaysAllow* flag is on, every calling AE title may associate
 *   (the per-command check then does the work). Otherwise the calling AE title must match a
 *   modality and, with DicomCheckModalityHost, the peer IP must equal the Host of the FIRST
 *   matching modality only (a second modality with the same AE title and another Host is not
 *   considered at this stage).
 * - Command: the AlwaysAllow flag of that command allows anyone (N-ACTION and N-EVENT-REPORT have
 *   none: Orthanc has no DicomAlwaysAllow for them). Otherwise the modalities with that AE title
 *   are looked up:
 *   - none: denied;
 *   - one: with DicomCheckModalityHost the peer IP must equal its Host; then its Allow* flag decides;
 *   - several: allowed at once if one that allows the command has Host equal to the peer IP (only
 *     when DicomCheckModalityHost); otherwise allowed only if EVERY match allows the command. Note
 *     that with DicomCheckModalityHost on, a peer IP equal to none of the Hosts is still allowed
 *     when every match allows the command: that is Orthanc's behaviour.
 * - A denied command makes the SCP abort the association (A-ABORT), not answer a failure status.
 *   The decision names the configuration key that refused it, for the log and the audit trail.
 *
 * Comparisons:
 * - AE titles: case-insensitive (ASCII) unless StrictAetComparison; leading and trailing spaces
 *   are not significant (PS3.5 AE VR) and are ignored on both sides.
 * - Hosts: compared as strings, no DNS, as Orthanc. One normalisation: Node reports IPv4 peers of
 *   a dual-stack socket as IPv4-mapped IPv6 (`::ffff:127.0.0.1`); such an address is compared as
 *   its IPv4 form (`127.0.0.1`), on both sides. Any other spelling (IPv6 case, zero compression)
 *   must match the configured Host exactly.
 */

/** The DIMSE services access control distinguishes (Orthanc `DicomRequestType`). */
export const DicomCommand = {
  Echo: "echo",
  Store: "store",
  /** C-FIND of every information model but the Modality Worklist. */
  Find: "find",
  /** C-FIND of the Modality Worklist Information Model (PS3.4 K.6.1.2). */
  FindWorklist: "findWorklist",
  Get: "get",
  Move: "move",
  /** N-ACTION-RQ (Storage Commitment request, PS3.4 J.3.2). */
  NAction: "nAction",
  /** N-EVENT-REPORT-RQ (Storage Commitment result, PS3.4 J.3.3). */
  EventReport: "eventReport",
} as const;
export type DicomCommand = (typeof DicomCommand)[keyof typeof DicomCommand];

/** A modality's Allow* flags, one per command. */
export type CommandFlags = Readonly<Record<DicomCommand, boolean>>;

/** The commands a DicomAlwaysAllow* key opens to everyone (Orthanc has none for N-ACTION and N-EVENT-REPORT). */
export type AlwaysAllowCommand = Exclude<DicomCommand, "nAction" | "eventReport">;
export type AlwaysAllowFlags = Readonly<Record<AlwaysAllowCommand, boolean>>;

export interface AccessPolicyModality {
  /** Symbolic name (the key under DicomModalities); decides the order of lookups. */
  readonly name: string;
  readonly aet: string;
  readonly host: string;
  /** The modality's Allow* flags. */
  readonly allow: CommandFlags;
}

export interface AccessPolicy {
  /** DicomAet. */
  readonly ownAet: string;
  /** DicomCheckCalledAet. */
  readonly checkCalledAet: boolean;
  /** StrictAetComparison. */
  readonly strictAetComparison: boolean;
  /** DicomCheckModalityHost. */
  readonly checkModalityHost: boolean;
  /** dicomtls DicomTlsCheckModalityCertificate: bind the calling AE title to the peer's certificate. */
  readonly checkModalityCertificate?: boolean;
  /** DicomAlwaysAllowEcho, ...Store, ...Find, ...FindWorklist, ...Get, ...Move. */
  readonly alwaysAllow: AlwaysAllowFlags;
  readonly modalities: readonly AccessPolicyModality[];
}

export interface AssociationRequestInfo {
  readonly calledAet: string;
  readonly callingAet: string;
  /** The peer's address as the socket reports it (`socket.remoteAddress`). */
  readonly peerIp: string;
  /**
   * From the TLS layer: the names of the modalities whose configured certificate the peer
   * presented (empty when it matched none). Undefined on a plain connection, where there is no
   * certificate to bind and the check does not apply.
   */
  readonly certificateModalities?: readonly string[];
}

/** PS3.8 Table 9-21: result 1 rejected-permanent, source 1 DICOM UL service-user. */
export const AssociateRjReason = {
  /** PS3.8 Table 9-21 reason 3. */
  CallingAeTitleNotRecognized: 3,
  /** PS3.8 Table 9-21 reason 7. */
  CalledAeTitleNotRecognized: 7,
} as const;

export type AssociationDecision =
  | { readonly accept: true }
  | {
      readonly accept: false;
      readonly result: 1;
      readonly source: 1;
      readonly reason: 3 | 7;
      /** For the log and the audit trail: which rule refused whom. */
      readonly why: string;
    };

export interface CommandRequestInfo {
  readonly command: DicomCommand;
  readonly callingAet: string;
  readonly peerIp: string;
}

export type CommandDecision =
  | { readonly allow: true }
  | {
      readonly allow: false;
      readonly why: string;
      /**
       * The configuration key that refused: `DicomAlwaysAllowFind` (or `DicomModalities` for N-ACTION / N-EVENT-REPORT)
       * for an AE title no modality has, `DicomCheckModalityHost` for a wrong address, `DicomModalities.<name>.AllowFind`
       * for a modality's own flag.
       */
      readonly key: string;
    };

/** PS3.7 names of the commands, for messages. */
export const COMMAND_LABEL: Readonly<Record<DicomCommand, string>> = {
  echo: "C-ECHO",
  store: "C-STORE",
  find: "C-FIND",
  findWorklist: "C-FIND (worklist)",
  get: "C-GET",
  move: "C-MOVE",
  nAction: "N-ACTION",
  eventReport: "N-EVENT-REPORT",
};

/** The DicomAlwaysAllow* key of each command that has one. */
export const ALWAYS_ALLOW_KEY: Readonly<Record<AlwaysAllowCommand, string>> = {
  echo: "DicomAlwaysAllowEcho",
  store: "DicomAlwaysAllowStore",
  find: "DicomAlwaysAllowFind",
  findWorklist: "DicomAlwaysAllowFindWorklist",
  get: "DicomAlwaysAllowGet",
  move: "DicomAlwaysAllowMove",
};

/** The modality field of each command (`AllowStorageCommitment` sets AllowNAction and AllowEventReport). */
export const MODALITY_ALLOW_KEY: Readonly<Record<DicomCommand, string>> = {
  echo: "AllowEcho",
  store: "AllowStore",
  find: "AllowFind",
  findWorklist: "AllowFindWorklist",
  get: "AllowGet",
  move: "AllowMove",
  nAction: "AllowNAction",
  eventReport: "AllowEventReport",
};

const alwaysAllowed = (policy: AccessPolicy, command: DicomCommand): boolean =>
  command !== "nAction" && command !== "eventReport" && policy.alwaysAllow[command];

const modalityKey = (m: AccessPolicyModality, command: DicomCommand): string => `DicomModalities.${m.name}.${MODALITY_ALLOW_KEY[command]}`;

/** Orthanc `IsSameAETitle`, with non-significant spaces ignored. */
export function isSameAeTitle(policy: Pick<AccessPolicy, "strictAetComparison">, a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  return policy.strictAetComparison ? x === y : asciiLower(x) === asciiLower(y);
}

// Orthanc's Toolbox::ToLowerCase is ASCII tolower; toLowerCase() would also fold non-ASCII letters.
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));

/** `::ffff:1.2.3.4` -> `1.2.3.4`; every other address unchanged. */
export function normalizePeerIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(ip);
  return m === null ? ip : m[1]!;
}

const sameHost = (configured: string, peerIp: string): boolean => normalizePeerIp(configured) === normalizePeerIp(peerIp);

/** The modalities with this AE title, in symbolic-name order (Orthanc's std::map order). */
function modalitiesFor(policy: AccessPolicy, aet: string): AccessPolicyModality[] {
  return policy.modalities
    .filter((m) => isSameAeTitle(policy, aet, m.aet))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const reject = (reason: 3 | 7, why: string): AssociationDecision => ({ accept: false, result: 1, source: 1, reason, why });

/** A-ASSOCIATE-RQ: accept, or reject with the PS3.8 result/source/reason to send in the A-ASSOCIATE-RJ. */
export function decideAssociation(policy: AccessPolicy, request: AssociationRequestInfo): AssociationDecision {
  const { calledAet, callingAet, peerIp } = request;

  if (policy.checkCalledAet && !isSameAeTitle(policy, calledAet, policy.ownAet)) {
    return reject(7, `called AE title "${calledAet}" is not this node's AE title "${policy.ownAet}" (DicomCheckCalledAet is on)`);
  }

  if (policy.checkModalityCertificate === true && request.certificateModalities !== undefined) {
    const names = request.certificateModalities;
    const bound = policy.modalities.some((m) => names.includes(m.name) && isSameAeTitle(policy, callingAet, m.aet));
    if (!bound) {
      const holder =
        names.length === 0 ? "belongs to no configured modality" : `is the certificate of modality ${names.map((n) => `"${n}"`).join(", ")}`;
      return reject(3, `the peer's TLS certificate ${holder}, which may not claim calling AE title "${callingAet}" (DicomTlsCheckModalityCertificate is on)`);
    }
  }

  const a = policy.alwaysAllow;
  if (a.echo || a.store || a.find || a.findWorklist || a.get || a.move) return { accept: true };

  // IsKnownAETitle: the first modality with this AE title, and its Host only.
  const first = modalitiesFor(policy, callingAet)[0];
  if (first === undefined) {
    return reject(3, `calling AE title "${callingAet}" is not listed in DicomModalities (and every DicomAlwaysAllow* is off)`);
  }
  if (policy.checkModalityHost && !sameHost(first.host, peerIp)) {
    return reject(3, `calling AE title "${callingAet}" comes from ${peerIp}, but modality "${first.name}" has Host "${first.host}" (DicomCheckModalityHost is on)`);
  }
  return { accept: true };
}

/** A DIMSE request on an accepted association: allowed, or denied (the SCP then aborts the association). */
export function decideCommand(policy: AccessPolicy, request: CommandRequestInfo): CommandDecision {
  const { command, callingAet, peerIp } = request;
  if (alwaysAllowed(policy, command)) return { allow: true };

  const label = `${COMMAND_LABEL[command]} from AE title "${callingAet}" (${peerIp})`;
  const matches = modalitiesFor(policy, callingAet);
  if (matches.length === 0) {
    const always = command === "nAction" || command === "eventReport" ? undefined : ALWAYS_ALLOW_KEY[command];
    return always === undefined
      ? { allow: false, key: "DicomModalities", why: `${label}: not listed in DicomModalities (there is no DicomAlwaysAllow for ${COMMAND_LABEL[command]})` }
      : { allow: false, key: always, why: `${label}: not listed in DicomModalities, and ${always} is off` };
  }

  const checkIp = policy.checkModalityHost;
  if (matches.length === 1) {
    const m = matches[0]!;
    if (checkIp && !sameHost(m.host, peerIp)) {
      return { allow: false, key: "DicomCheckModalityHost", why: `${label}: modality "${m.name}" has Host "${m.host}" (DicomCheckModalityHost is on)` };
    }
    return m.allow[command] ? { allow: true } : { allow: false, key: modalityKey(m, command), why: `${label}: not allowed for modality "${m.name}" (${modalityKey(m, command)} is false)` };
  }

  let forbidding: AccessPolicyModality | undefined;
  for (const m of matches) {
    if (m.allow[command]) {
      if (checkIp && sameHost(m.host, peerIp)) return { allow: true };
    } else {
      forbidding ??= m;
    }
  }
  if (forbidding === undefined) return { allow: true };
  const names = matches.map((m) => `"${m.name}"`).join(", ");
  const key = modalityKey(forbidding, command);
  return {
    allow: false,
    key,
    why: checkIp
      ? `${label}: ${matches.length} modalities share this AE title (${names}), none that allows it has Host ${peerIp}, and ${key} is false`
      : `${label}: ${matches.length} modalities share this AE title (${names}) and not all of them allow it (${key} is false)`,
  };
}
