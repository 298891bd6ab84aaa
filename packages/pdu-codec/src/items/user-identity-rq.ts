import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { UserIdentityRq, UserIdentityTypeCode } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3.7.1, Table D.3-14: type (1), positive-response-requested (1), primary and secondary fields. */
export function userIdentityRqItemLength(v: UserIdentityRq): number {
  return ITEM_HEADER_LENGTH + 2 + 2 + v.primaryField.length + 2 + v.secondaryField.length;
}

export function writeUserIdentityRqItem(w: ByteWriter, v: UserIdentityRq): void {
  if (v.primaryField.length > 0xffff || v.secondaryField.length > 0xffff) {
    throw new PduEncodeError("user identity primary and secondary fields hold at most 65535 bytes each");
  }
  writeItemHeader(w, ItemType.UserIdentityRq, userIdentityRqItemLength(v) - ITEM_HEADER_LENGTH);
  w.u8(v.type);
  w.u8(v.positiveResponseRequested ? 1 : 0);
  w.u16(v.primaryField.length);
  w.bytes(v.primaryField);
  w.u16(v.secondaryField.length);
  w.bytes(v.secondaryField);
}

export function readUserIdentityRqItem(value: ByteReader): UserIdentityRq {
  // The type is kept as sent: the association layer answers an unknown type, not the codec.
  const type = value.u8("user-identity-type") as UserIdentityTypeCode;
  const positiveResponseRequested = value.u8("positive-response-requested") === 1;
  const primaryField = value.take(value.u16("primary-field-length"), "user identity primary field");
  const secondaryField = value.take(value.u16("secondary-field-length"), "user identity secondary field");
  if (value.remaining !== 0) value.fail(`user identity sub-item has ${value.remaining} bytes after the secondary field`);
  return { type, positiveResponseRequested, primaryField, secondaryField };
}
