import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aeTitleProblem,
  AbortSource,
  decodeAAbort,
  decodeAAssociateAc,
  decodeAAssociateRq,
  decodePDataTf,
  decodePdu,
  DICOM_APPLICATION_CONTEXT,
  encodeAAssociateRq,
  encodePdu,
  encodePDataTfHeader,
  PduDecodeError,
  PduEncodeError,
  PduType,
  type AAssociateAc,
  type AAssociateRq,
} from "@dicomtls/pdu-codec";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const ascii = (s: string): string => Buffer.from(s, "latin1").toString("hex");
const u16 = (n: number): string => n.toString(16).padStart(4, "0");
const u32 = (n: number): string => n.toString(16).padStart(8, "0");
const item = (type: number, body: string): string => type.toString(16).padStart(2, "0") + "00" + u16(body.length / 2) + body;
const pdu = (type: number, body: string): Buffer => hex(type.toString(16).padStart(2, "0") + "00" + u32(body.length / 2) + body);

/** Compares byte fields by content whatever their class (Buffer vs Uint8Array view). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function expectDecodeError(f: () => unknown, code: string, offset?: number): PduDecodeError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof PduDecodeError, `expected PduDecodeError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (offset !== undefined) assert.equal(err.offset, offset);
    return err;
  }
  assert.fail("expected a PduDecodeError");
}

const rq: AAssociateRq = {
  type: PduType.AAssociateRq,
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "ECHOSCU",
  applicationContextName: DICOM_APPLICATION_CONTEXT,
  presentationContexts: [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"] }],
  userInformation: { maxLength: 16384, implementationClassUid: "1.2.3.4", implementationVersionName: "V1" },
};

// Built by hand from PS3.8 Table 9-11, independent of the encoder.
const rqBytes = pdu(
  0x01,
  "0001" + "0000" + ascii("ANY-SCP         ") + ascii("ECHOSCU         ") + "00".repeat(32) +
    item(0x10, ascii(DICOM_APPLICATION_CONTEXT)) +
    item(0x20, "01000000" + item(0x30, ascii("1.2.840.10008.1.1")) + item(0x40, ascii("1.2.840.10008.1.2")) + item(0x40, ascii("1.2.840.10008.1.2.1"))) +
    item(0x50, item(0x51, u32(16384)) + item(0x52, ascii("1.2.3.4")) + item(0x55, ascii("V1"))),
);

describe("A-ASSOCIATE-RQ", () => {
  it("encodes to the PS3.8 layout", () => {
    assert.deepEqual(encodeAAssociateRq(rq), rqBytes);
  });
  it("decodes the PS3.8 layout", () => {
    assert.deepEqual(decodeAAssociateRq(rqBytes), rq);
    assert.deepEqual(decodePdu(rqBytes), rq);
  });
  it("strips a trailing NUL from UIDs and space padding from AE titles", () => {
    const padded = pdu(
      0x01,
      "0001" + "0000" + ascii("  CALLED        ") + ascii("CALLING         ") + "00".repeat(32) +
        item(0x10, ascii(DICOM_APPLICATION_CONTEXT) + "00") +
        item(0x20, "03000000" + item(0x30, ascii("1.2.840.10008.1.1") + "00") + item(0x40, ascii("1.2.840.10008.1.2") + "00")) +
        item(0x50, item(0x51, u32(0)) + item(0x52, ascii("1.2.3") + "00")),
    );
    const d = decodeAAssociateRq(padded);
    assert.equal(d.calledAeTitle, "CALLED");
    assert.equal(d.callingAeTitle, "CALLING");
    assert.equal(d.applicationContextName, DICOM_APPLICATION_CONTEXT);
    assert.deepEqual(d.presentationContexts, [{ id: 3, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }]);
    assert.equal(d.userInformation.implementationClassUid, "1.2.3");
  });
  it("keeps every user information sub-item, unknown ones raw", () => {
    const full: AAssociateRq = {
      ...rq,
      userInformation: {
        maxLength: 0,
        implementationClassUid: "1.2.3",
        implementationVersionName: "ABC",
        asynchronousOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 0 },
        roleSelections: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.7", scuRole: false, scpRole: true }],
        sopClassExtendedNegotiations: [{ sopClassUid: "1.2.840.10008.5.1.4.1.2.1.1", serviceClassApplicationInformation: Uint8Array.of(1, 0, 1) }],
        sopClassCommonExtendedNegotiations: [
          { sopClassUid: "1.2.840.10008.5.1.4.1.1.88.22", serviceClassUid: "1.2.840.10008.4.2", relatedGeneralSopClassUids: ["1.2.840.10008.5.1.4.1.1.88.11"] },
        ],
        userIdentityRq: { type: 2, positiveResponseRequested: true, primaryField: Buffer.from("user"), secondaryField: Buffer.from("pass") },
        unknownSubItems: [{ itemType: 0x7f, data: Uint8Array.of(9, 8, 7) }],
      },
    };
    const bytes = encodePdu(full);
    const back = decodePdu(bytes) as AAssociateRq;
    assert.deepEqual(plain(back.userInformation), plain(full.userInformation));
    // Common extended negotiation per PS3.7 Table D.3-12: 57, version 00, then length-prefixed UIDs.
    const i57 = bytes.indexOf(0x57, 74);
    assert.equal(bytes[i57 + 1], 0);
    assert.equal(bytes.readUInt16BE(i57 + 4), "1.2.840.10008.5.1.4.1.1.88.22".length);
  });
  it("refuses values that cannot be put on the wire", () => {
    assert.throws(() => encodePdu({ ...rq, calledAeTitle: "SEVENTEEN-CHARS-X" }), PduEncodeError);
    assert.throws(() => encodePdu({ ...rq, presentationContexts: [{ id: 2, abstractSyntax: "1.2", transferSyntaxes: [] }] }), PduEncodeError);
  });
  it("takes trailing NUL padding off AE titles and leaves any other odd byte for the acceptor to refuse", () => {
    const titles = (called: string, calling: string): Buffer =>
      pdu(0x01, "0001" + "0000" + called + calling + "00".repeat(32) + item(0x10, ascii("1.2")) + item(0x50, item(0x51, u32(0))));
    const nulPadded = decodeAAssociateRq(titles(ascii("STORESCP") + "00".repeat(8), ascii("MODALITY  ") + "00".repeat(6)));
    assert.equal(nulPadded.calledAeTitle, "STORESCP");
    assert.equal(nulPadded.callingAeTitle, "MODALITY");
    assert.equal(aeTitleProblem(nulPadded.calledAeTitle), undefined);
    const inner = decodeAAssociateRq(titles(ascii("AB") + "00" + ascii("CD") + "20".repeat(11), ascii("BACK\\SLASH      ")));
    assert.match(aeTitleProblem(inner.calledAeTitle) ?? "", /byte 0x00 at position 3/);
    assert.match(aeTitleProblem(inner.callingAeTitle) ?? "", /backslash/);
    assert.match(aeTitleProblem(decodeAAssociateRq(titles("20".repeat(16), "00".repeat(16))).calledAeTitle) ?? "", /empty/);
    assert.match(aeTitleProblem("caf\u00e9") ?? "", /0xe9/);
  });
  it("refuses an even presentation context id and UIDs the encoder could not echo (PS3.8 §9.3.2.2, Annex F)", () => {
    const withContext = (pc: string): Buffer =>
      pdu(0x01, "0001" + "0000" + "41".repeat(32) + "00".repeat(32) + item(0x10, ascii("1.2")) + item(0x20, pc) + item(0x50, item(0x51, u32(0))));
    const err = expectDecodeError(() => decodePdu(withContext("02000000" + item(0x30, ascii("1.2")))), "ERR_DICOM_PDU_INVALID_VALUE", 85);
    assert.match(err.message, /id 2 is even/);
    expectDecodeError(() => decodePdu(withContext("00000000" + item(0x30, ascii("1.2")))), "ERR_DICOM_PDU_INVALID_VALUE");
    expectDecodeError(() => decodePdu(withContext("01000000" + item(0x30, ascii("1.2") + "0a"))), "ERR_DICOM_PDU_INVALID_VALUE");
    expectDecodeError(() => decodePdu(withContext("01000000" + item(0x30, ascii("1.".repeat(40))))), "ERR_DICOM_PDU_INVALID_VALUE");
  });
  it("reports a missing user information item and overrunning items with offsets", () => {
    const noUserInfo = pdu(0x01, "0001" + "0000" + "20".repeat(32) + "00".repeat(32) + item(0x10, ascii("1.2")));
    expectDecodeError(() => decodePdu(noUserInfo), "ERR_DICOM_PDU_MALFORMED");
    const overrun = pdu(0x01, "0001" + "0000" + "20".repeat(32) + "00".repeat(32) + "1000" + "00ff" + "31");
    expectDecodeError(() => decodePdu(overrun), "ERR_DICOM_PDU_MALFORMED", 74);
  });
});

describe("A-ASSOCIATE-AC", () => {
  it("decodes accepted and rejected contexts (a rejected one may lack its transfer syntax)", () => {
    const bytes = pdu(
      0x02,
      "0001" + "0000" + ascii("ANY-SCP         ") + ascii("ECHOSCU         ") + "00".repeat(32) +
        item(0x10, ascii(DICOM_APPLICATION_CONTEXT)) +
        item(0x21, "01000000" + item(0x40, ascii("1.2.840.10008.1.2"))) +
        item(0x21, "03000300") +
        item(0x50, item(0x51, u32(32768)) + item(0x52, ascii("1.2.3"))),
    );
    const expected: AAssociateAc = {
      type: PduType.AAssociateAc,
      protocolVersion: 1,
      calledAeTitle: "ANY-SCP",
      callingAeTitle: "ECHOSCU",
      applicationContextName: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" },
        { id: 3, result: 3, transferSyntax: "" },
      ],
      userInformation: { maxLength: 32768, implementationClassUid: "1.2.3" },
    };
    assert.deepEqual(decodeAAssociateAc(bytes), expected);
    assert.deepEqual(decodePdu(encodePdu(expected)), expected);
  });
});

describe("fixed-size PDUs", () => {
  it("A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT", () => {
    assert.deepEqual(encodePdu({ type: PduType.AAssociateRj, result: 1, source: 1, reason: 7 }), hex("03 00 00000004 00 01 01 07"));
    assert.deepEqual(encodePdu({ type: PduType.AReleaseRq }), hex("05 00 00000004 00000000"));
    assert.deepEqual(encodePdu({ type: PduType.AReleaseRp }), hex("06 00 00000004 00000000"));
    assert.deepEqual(encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceProvider, reason: 6 }), hex("07 00 00000004 0000 02 06"));
    assert.deepEqual(decodeAAbort(hex("07 00 00000004 0000 00 00")), { type: PduType.AAbort, source: 0, reason: 0 });
    assert.deepEqual(decodePdu(hex("03 00 00000004 00 02 03 01")), { type: PduType.AAssociateRj, result: 2, source: 3, reason: 1 });
    assert.deepEqual(decodePdu(hex("05 00 00000004 00000000")), { type: PduType.AReleaseRq });
  });
  it("refuses wrong body sizes, unknown types and a length that disagrees with the bytes", () => {
    expectDecodeError(() => decodePdu(hex("05 00 00000005 0000000000")), "ERR_DICOM_PDU_MALFORMED");
    expectDecodeError(() => decodePdu(hex("09 00 00000004 00000000")), "ERR_DICOM_PDU_UNKNOWN_TYPE", 0);
    expectDecodeError(() => decodePdu(hex("05 00 00000008 00000000")), "ERR_DICOM_PDU_MALFORMED", 2);
    expectDecodeError(() => decodePdu(hex("05 00 0000")), "ERR_DICOM_PDU_MALFORMED", 0);
    expectDecodeError(() => decodeAAbort(hex("05 00 00000004 00000000")), "ERR_DICOM_PDU_MALFORMED");
  });
});

describe("P-DATA-TF", () => {
  const bytes = hex("04 00 00000013" + "00000005 01 03 aabbcc" + "00000006 03 02 01020304");
  it("decodes PDVs as views of the input", () => {
    const d = decodePDataTf(bytes);
    assert.equal(d.pdvs.length, 2);
    assert.deepEqual(d.pdvs[0], { presentationContextId: 1, isCommand: true, isLast: true, data: bytes.subarray(12, 15) });
    assert.deepEqual({ ...d.pdvs[1], data: [...d.pdvs[1]!.data] }, { presentationContextId: 3, isCommand: false, isLast: true, data: [1, 2, 3, 4] });
    assert.equal(d.pdvs[0].data.buffer, bytes.buffer);
    assert.equal(d.pdvs[0].data.byteOffset, bytes.byteOffset + 12);
  });
  it("re-encodes to the same bytes", () => {
    assert.deepEqual(encodePdu(decodePdu(bytes)), bytes);
  });
  it("header helper gives the 12 bytes before a single PDV's data", () => {
    assert.deepEqual(encodePDataTfHeader(5, false, true, 3), hex("04 00 00000009 00000005 05 02"));
    assert.deepEqual(encodePDataTfHeader(1, true, false, 0), hex("04 00 00000006 00000002 01 01"));
  });
  it("refuses a PDV shorter than its header, an overrun, and an empty P-DATA-TF", () => {
    expectDecodeError(() => decodePdu(hex("04 00 00000005 00000001 01")), "ERR_DICOM_PDU_MALFORMED", 6);
    expectDecodeError(() => decodePdu(hex("04 00 00000006 00000009 01 00")), "ERR_DICOM_PDU_MALFORMED", 6);
    expectDecodeError(() => decodePdu(hex("04 00 00000000")), "ERR_DICOM_PDU_MALFORMED");
  });
});
