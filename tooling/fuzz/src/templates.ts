import { buildAssociateRq } from "@dicomtls/association";
import {
  AbortSource,
  PduType,
  cEchoRq,
  cFindRq,
  cStoreRq,
  encodeCommand,
  encodePdu,
  type DimseCommand,
} from "@dicomtls/pdu-codec";
import type { Rng } from "./rng.js";

export const VERIFICATION = "1.2.840.10008.1.1";
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
export const IMPLICIT_LE = "1.2.840.10008.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** Context ids of the template A-ASSOCIATE-RQ (odd, in proposal order). */
export const ContextId = { Verification: 1, CtStorage: 3, Find: 5 } as const;

/** A well-formed A-ASSOCIATE-RQ proposing echo, CT store and study-root find, with role selection and user identity. */
export function associateRq(rng: Rng, calledAeTitle: string): Buffer {
  const rq = buildAssociateRq(
    [
      { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] },
      { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE], ...(rng.chance(0.3) && { roles: { scu: true, scp: rng.chance(0.5) } }) },
      { abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: [IMPLICIT_LE] },
    ],
    {
      callingAeTitle: rng.pick(["FUZZER", "MODALITY", "A", "STORESCU_1234567"]),
      calledAeTitle,
      maxPduLength: rng.pick([0, 4096, 16384, 65536]),
      ...(rng.chance(0.2) && {
        userIdentity: { type: rng.pick([1, 2] as const), positiveResponseRequested: rng.chance(0.5), primaryField: Buffer.from("user"), secondaryField: Buffer.from("pw") },
      }),
    },
  );
  return encodePdu(rq);
}

export function associateAc(): Buffer {
  return encodePdu({
    type: PduType.AAssociateAc,
    protocolVersion: 1,
    calledAeTitle: "DICOMTLS",
    callingAeTitle: "FUZZER",
    applicationContextName: "1.2.840.10008.3.1.1.1",
    presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_LE }],
    userInformation: { maxLength: 16384, implementationClassUid: "1.2.3.4" },
  });
}

export const associateRj = (): Buffer => encodePdu({ type: PduType.AAssociateRj, result: 1, source: 1, reason: 1 });
export const releaseRq = (): Buffer => encodePdu({ type: PduType.AReleaseRq });
export const releaseRp = (): Buffer => encodePdu({ type: PduType.AReleaseRp });
export const aAbort = (): Buffer => encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceUser, reason: 0 });

/** A P-DATA-TF carrying one PDV (PS3.8 §9.3.5), written by hand so that any context id, 0 included, can be sent. */
export function pData(contextId: number, isCommand: boolean, isLast: boolean, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b[0] = PduType.PDataTf;
  b.writeUInt32BE(6 + data.length, 2);
  b.writeUInt32BE(2 + data.length, 6);
  b[10] = contextId & 0xff;
  b[11] = (isCommand ? 1 : 0) | (isLast ? 2 : 0);
  b.set(data, 12);
  return b;
}

/** One of the commands the server serves, with the context it belongs on. */
export function command(rng: Rng, messageId: number): { contextId: number; command: DimseCommand } {
  switch (rng.int(3)) {
    case 0:
      return { contextId: ContextId.Verification, command: cEchoRq(messageId) };
    case 1:
      return { contextId: ContextId.CtStorage, command: cStoreRq({ messageId, affectedSopClassUid: CT_IMAGE_STORAGE, affectedSopInstanceUid: `1.2.826.0.1.3680043.9.7.${rng.int(1e9)}` }) };
    default:
      return { contextId: ContextId.Find, command: cFindRq({ messageId, affectedSopClassUid: STUDY_ROOT_FIND }) };
  }
}

export function commandBytes(c: DimseCommand): Buffer {
  return Buffer.from(encodeCommand(c));
}

/**
 * A small explicit VR little endian data set (SOP class and instance, patient name): what a C-STORE or C-FIND
 * carries, for mutation.
 */
export function dataset(sopInstanceUid: string): Buffer {
  const el = (group: number, element: number, vr: string, value: string): Buffer => {
    const v = Buffer.from(value.length % 2 === 0 ? value : `${value}${vr === "UI" ? "\0" : " "}`, "latin1");
    const h = Buffer.alloc(8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(element, 2);
    h.write(vr, 4, "latin1");
    h.writeUInt16LE(v.length, 6);
    return Buffer.concat([h, v]);
  };
  return Buffer.concat([
    el(0x0008, 0x0016, "UI", CT_IMAGE_STORAGE),
    el(0x0008, 0x0018, "UI", sopInstanceUid),
    el(0x0010, 0x0010, "PN", "Fuzz^Case"),
    el(0x0010, 0x0020, "LO", "FUZZ"),
  ]);
}
