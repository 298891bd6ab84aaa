// Encode an A-ASSOCIATE-RQ, feed it to a framer in random chunks, decode what comes out.
import assert from "node:assert/strict";
import { decodePdu, DICOM_APPLICATION_CONTEXT, encodePdu, PduFramer, PduType, type AAssociateRq } from "@dicomtls/pdu-codec";

const rq: AAssociateRq = {
  type: PduType.AAssociateRq,
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "MY-SCU",
  applicationContextName: DICOM_APPLICATION_CONTEXT,
  presentationContexts: [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }],
  userInformation: { maxLength: 16384, implementationClassUid: "1.2.826.0.1.3680043.10.1", implementationVersionName: "DICOMTLS_01" },
};

const bytes = encodePdu(rq);
const framer = new PduFramer({ maxPDataLength: 16384 });
const pdus: Buffer[] = [];
for (let pos = 0; pos < bytes.length; ) {
  const n = 1 + Math.floor(Math.random() * 40);
  pdus.push(...framer.push(bytes.subarray(pos, pos + n)));
  pos += n;
}
assert.equal(pdus.length, 1);
const decoded = decodePdu(pdus[0]!);
assert.deepEqual(decoded, rq);
console.log(`${bytes.length} bytes, decoded back:`, decoded.type === PduType.AAssociateRq && decoded.calledAeTitle);
