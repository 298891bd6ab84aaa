/**
 * PS3.7 D.3.3.2: our Implementation Class UID. A 2.25 UID (PS3.5 §B.2) derived once from a random UUID, fixed
 * here so every dicomtls build announces the same one.
 */
export const IMPLEMENTATION_CLASS_UID = "2.25.208128360313872452192674504204091918099";

/** PS3.7 D.3.3.2: at most 16 characters; bump with wire-visible behaviour changes. */
export const IMPLEMENTATION_VERSION_NAME = "DICOMTLS_010";

/** Our default receive limit (PS3.8 D.1); 128 KiB moved about twice the data of 16 KiB here (ARCHITECTURE.md). */
export const DEFAULT_MAX_PDU_LENGTH = 128 * 1024;

/** PS3.8 §9.1.4: ARTIM default, also used to bound the wait for A-ASSOCIATE-RQ after connect. */
export const DEFAULT_ARTIM_MS = 30_000;

/** PS3.8 §9.3.2: protocol version bit 0 ("Version 1"). */
export const PROTOCOL_VERSION = 1;

/** Bound on the wait for the peer's A-RELEASE-RP before the association is aborted. */
export const DEFAULT_RELEASE_TIMEOUT_MS = 10_000;
