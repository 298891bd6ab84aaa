import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  aeTitleProblem,
  CommandField,
  decodeCommand,
  decodePdu,
  encodeCommand,
  encodePdu,
  isKnownCommandField,
  missingCommandFields,
  PduDecodeError,
  PduFramer,
  PduType,
  type AAssociateAc,
  type AAssociateRq,
  type CommandFieldCode,
  type DimseCommand,
  type Pdu,
  type UserInformation,
} from "@dicomtls/pdu-codec";

const RUNS = { numRuns: 500 };

function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const uid = fc
  .array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join("."))
  .filter((s) => s.length <= 64);
/** Padding is not significant on decode, so generated text never starts or ends with a space. */
const text = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^([A-Za-z0-9_.^-]([A-Za-z0-9_ .^-]{0,${max - 2}}[A-Za-z0-9_.^-])?)?$`));
const aeTitle = text(16);
const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
const u16 = fc.integer({ min: 0, max: 0xffff });
const pcId = fc.integer({ min: 0, max: 127 }).map((n) => n * 2 + 1);

const userInformation: fc.Arbitrary<UserInformation> = fc.record(
  {
    maxLength: fc.integer({ min: 0, max: 0xffffffff }),
    implementationClassUid: fc.oneof(fc.constant(""), uid),
    implementationVersionName: fc.stringMatching(/^[A-Z0-9_]{0,16}$/),
    asynchronousOperationsWindow: fc.record({ maxOperationsInvoked: u16, maxOperationsPerformed: u16 }),
    roleSelections: fc.array(fc.record({ sopClassUid: uid, scuRole: fc.boolean(), scpRole: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    sopClassExtendedNegotiations: fc.array(fc.record({ sopClassUid: uid, serviceClassApplicationInformation: bytes(16) }), { minLength: 1, maxLength: 3 }),
    sopClassCommonExtendedNegotiations: fc.array(
      fc.record({ sopClassUid: uid, serviceClassUid: uid, relatedGeneralSopClassUids: fc.array(uid, { maxLength: 3 }) }),
      { minLength: 1, maxLength: 2 },
    ),
    userIdentityRq: fc.record({
      type: fc.constantFrom(1, 2, 3, 4, 5),
      positiveResponseRequested: fc.boolean(),
      primaryField: bytes(40),
      secondaryField: bytes(40),
    }),
    userIdentityAc: fc.record({ serverResponse: bytes(40) }),
    unknownSubItems: fc.array(
      fc.record({ itemType: fc.oneof(fc.integer({ min: 0, max: 0x50 }), fc.integer({ min: 0x5a, max: 0xff })), data: bytes(20) }),
      { minLength: 1, maxLength: 3 },
    ),
  },
  { requiredKeys: ["maxLength", "implementationClassUid"] },
);

const associateFixed = {
  protocolVersion: u16,
  calledAeTitle: aeTitle,
  callingAeTitle: aeTitle,
  applicationContextName: uid,
  userInformation,
};

const aAssociateRq: fc.Arbitrary<AAssociateRq> = fc.record({
  type: fc.constant(PduType.AAssociateRq),
  ...associateFixed,
  presentationContexts: fc.array(fc.record({ id: pcId, abstractSyntax: uid, transferSyntaxes: fc.array(uid, { maxLength: 4 }) }), { maxLength: 5 }),
});

const aAssociateAc: fc.Arbitrary<AAssociateAc> = fc.record({
  type: fc.constant(PduType.AAssociateAc),
  ...associateFixed,
  presentationContexts: fc.array(fc.record({ id: pcId, result: fc.constantFrom(0, 1, 2, 3, 4), transferSyntax: fc.oneof(fc.constant(""), uid) }), { maxLength: 5 }),
});

const byte = fc.integer({ min: 0, max: 255 });
const pdu: fc.Arbitrary<Pdu> = fc.oneof(
  aAssociateRq,
  aAssociateAc,
  fc.record({ type: fc.constant(PduType.AAssociateRj), result: byte, source: byte, reason: byte }),
  fc.record({
    type: fc.constant(PduType.PDataTf),
    pdvs: fc.array(fc.record({ presentationContextId: fc.integer({ min: 1, max: 255 }), isCommand: fc.boolean(), isLast: fc.boolean(), data: bytes(100) }), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
  fc.constant({ type: PduType.AReleaseRq }),
  fc.constant({ type: PduType.AReleaseRp }),
  fc.record({ type: fc.constant(PduType.AAbort), source: byte, reason: byte }),
);

/** A command of a random C-service with its mandatory fields and any of the others. */
const command: fc.Arbitrary<DimseCommand> = fc
  .tuple(
    fc.constantFrom(...(Object.values(CommandField) as CommandFieldCode[])),
    fc.record(
      {
        affectedSopClassUid: uid,
        requestedSopClassUid: uid,
        messageId: u16,
        messageIdBeingRespondedTo: u16,
        moveDestination: aeTitle,
        priority: fc.constantFrom(0, 1, 2),
        commandDataSetType: u16,
        status: u16,
        offendingElement: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3 }),
        errorComment: text(64),
        errorId: u16,
        affectedSopInstanceUid: uid,
        requestedSopInstanceUid: uid,
        numberOfRemainingSuboperations: u16,
        numberOfCompletedSuboperations: u16,
        numberOfFailedSuboperations: u16,
        numberOfWarningSuboperations: u16,
        moveOriginatorApplicationEntityTitle: aeTitle,
        moveOriginatorMessageId: u16,
      },
      { requiredKeys: ["commandDataSetType"] },
    ),
  )
  .map(([commandField, fields]) => ({ ...fields, commandField }))
  .filter((cmd) => missingCommandFields(cmd).length === 0);

function onlyDecodeErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof PduDecodeError)) throw err;
    assert.match(err.code, /^ERR_DICOM_/);
    assert.ok(Number.isInteger(err.offset) && err.offset >= 0);
  }
}

/**
 * Whatever decodes can be put back on the wire unchanged: an acceptor echoes the request's fields into its
 * A-ASSOCIATE-AC, and an encoder that throws on them once killed the process. AE titles are the one exception the
 * decoder leaves to its caller (the acceptor answers A-ASSOCIATE-RJ "AE title not recognized" rather than A-ABORT).
 */
function reencodes(b: Uint8Array): void {
  let p: Pdu;
  try {
    p = decodePdu(b);
  } catch (err) {
    if (err instanceof PduDecodeError) return;
    throw err;
  }
  if ((p.type === PduType.AAssociateRq || p.type === PduType.AAssociateAc) && (aeTitleProblem(p.calledAeTitle) ?? aeTitleProblem(p.callingAeTitle)) !== undefined) {
    return;
  }
  assert.deepEqual(plain(decodePdu(encodePdu(p))), plain(p));
}

/** Byte values at the edges of every rule the decoder applies (zero, even, control, space, backslash, DEL, high bit). */
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x04, 0x10, 0x1f, 0x20, 0x30, 0x41, 0x5c, 0x7e, 0x7f, 0x80, 0xfe, 0xff];

describe("properties", () => {
  it("decodePdu(encodePdu(p)) equals p for any valid PDU", () => {
    fc.assert(
      fc.property(pdu, (p) => {
        assert.deepEqual(plain(decodePdu(encodePdu(p))), plain(p));
      }),
      RUNS,
    );
  });

  it("decodeCommand(encodeCommand(c)) equals c for any valid command", () => {
    fc.assert(
      fc.property(command, (c) => {
        const bytes = encodeCommand(c);
        assert.equal(bytes.length % 2, 0, "every value is padded to even length");
        assert.deepEqual(decodeCommand(bytes), c);
      }),
      RUNS,
    );
  });

  it("random bytes only ever give a PDU or a PduDecodeError", () => {
    const withHeader = fc.tuple(fc.integer({ min: 1, max: 7 }), bytes(300)).map(([type, body]) => {
      const b = Buffer.alloc(6 + body.length);
      b[0] = type;
      b.writeUInt32BE(body.length, 2);
      b.set(body, 6);
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(bytes(300), withHeader), (b) => {
        onlyDecodeErrors(() => decodePdu(b));
        reencodes(b);
      }),
      { numRuns: 1000 },
    );
  });

  it("mutations of valid PDUs only ever give a PDU or a PduDecodeError", () => {
    const mutated = fc
      .tuple(pdu, fc.array(fc.tuple(fc.nat(), byte), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()), fc.boolean())
      .map(([p, flips, cut, fixLength]) => {
        let b = Buffer.from(encodePdu(p));
        for (const [pos, value] of flips) b[pos % b.length] = value;
        if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
        // Keep the PDU-length consistent half the time so mutations reach the item parsers.
        if (fixLength && b.length >= 6) b.writeUInt32BE(b.length - 6, 2);
        return b;
      });
    fc.assert(
      fc.property(mutated, (b) => {
        onlyDecodeErrors(() => decodePdu(b));
        reencodes(b);
      }),
      { numRuns: 5000 },
    );
  });

  it("random and mutated command sets only ever give a command or a PduDecodeError", () => {
    const mutated = fc.tuple(command, fc.array(fc.tuple(fc.nat(), byte), { maxLength: 4 }), fc.nat()).map(([c, flips, cut]) => {
      const b = Buffer.from(encodeCommand(c));
      for (const [pos, value] of flips) b[pos % b.length] = value;
      return b.subarray(0, cut % (b.length + 1));
    });
    fc.assert(
      fc.property(fc.oneof(bytes(200), mutated), (b) => {
        onlyDecodeErrors(() => decodeCommand(b));
        // A response echoes the request's values: whatever decodes as a complete known command encodes again.
        let c: DimseCommand;
        try {
          c = decodeCommand(b);
        } catch {
          return;
        }
        if (!isKnownCommandField(c.commandField) || missingCommandFields(c).length > 0) return;
        assert.deepEqual(decodeCommand(encodeCommand(c)), c);
      }),
      { numRuns: 1000 },
    );
  });

  it("the framer fed random bytes in random chunks only ever throws PduDecodeError", () => {
    fc.assert(
      fc.property(fc.array(bytes(64), { maxLength: 20 }), (chunks) => {
        const framer = new PduFramer({ maxPDataLength: 4096, maxOtherLength: 4096 });
        onlyDecodeErrors(() => {
          for (const c of chunks) for (const p of framer.push(Buffer.from(c))) decodePdu(p);
        });
      }),
      RUNS,
    );
  });

  it("every one-byte change of the captured vectors decodes to something that re-encodes, or is refused", () => {
    // Exhaustive rather than random: the fields that once crashed the acceptor (an even presentation context id, a
    // NUL in an AE title) are single bytes that random flips rarely hit while the rest stays well-formed.
    const dir = new URL("./vectors/", import.meta.url);
    let decoded = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const vector = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as { fields: ReadonlyArray<{ hex: string }> };
      const original = Buffer.from(vector.fields.map((f) => f.hex).join(""), "hex");
      for (let pos = 0; pos < original.length; pos++) {
        const was = original[pos] ?? 0;
        for (const value of new Set([...EDGE_BYTES, was ^ 1, (was + 1) & 0xff, (was + 0xff) & 0xff])) {
          const b = Buffer.from(original);
          b[pos] = value;
          onlyDecodeErrors(() => decodePdu(b));
          reencodes(b);
          decoded++;
        }
      }
    }
    assert.ok(decoded > 10_000, `${decoded} variants tried`);
  });
});
