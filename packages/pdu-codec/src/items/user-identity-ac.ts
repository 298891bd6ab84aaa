import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { PduEncodeError } from "../errors.js";
import type { UserIdentityAc } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3.7.2, Table D.3-15: server-response-length (2), server-response. */
export function userIdentityAcItemLength(v: UserIdentityAc): number {
  return ITEM_HEADER_LENGTH + 2 + v.serverResponse.length;
}

export function writeUserIdentityAcItem(w: ByteWriter, v: UserIdentityAc): void {
  if (v.serverResponse.length > 0xffff - 2) throw new PduEncodeError("user identity server response holds at most 65533 bytes");
  writeItemHeader(w, ItemType.UserIdentityAc, 2 + v.serverResponse.length);
  w.u16(v.serverResponse.length);
  w.bytes(v.serverResponse);
}

export function readUserIdentityAcItem(value: ByteReader): UserIdentityAc {
  const serverResponse = value.take(value.u16("server-response-length"), "user identity server response");
  if (value.remaining !== 0) value.fail(`user identity AC sub-item has ${value.remaining} bytes after the server response`);
  return { serverResponse };
}
