import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { checkAscii, readAsciiValue } from "../binary/text.js";
import type { RoleSelection } from "../types.js";
import { ItemType } from "../types.js";
import { ITEM_HEADER_LENGTH, writeItemHeader } from "./item-header.js";

/** PS3.7 Annex D.3.3.4, Table D.3-9: UID-length (2), SOP class UID, SCU-role (1), SCP-role (1). */
export function scpScuRoleSelectionItemLength(v: RoleSelection): number {
  return ITEM_HEADER_LENGTH + 2 + v.sopClassUid.length + 2;
}

export function writeScpScuRoleSelectionItem(w: ByteWriter, v: RoleSelection): void {
  checkAscii(v.sopClassUid, "role selection SOP class UID", 64);
  writeItemHeader(w, ItemType.ScpScuRoleSelection, 2 + v.sopClassUid.length + 2);
  w.u16(v.sopClassUid.length);
  w.ascii(v.sopClassUid);
  w.u8(v.scuRole ? 1 : 0);
  w.u8(v.scpRole ? 1 : 0);
}

export function readScpScuRoleSelectionItem(value: ByteReader): RoleSelection {
  const uidLength = value.u16("role selection UID-length");
  const sopClassUid = readAsciiValue(value, uidLength, "role selection SOP class UID");
  const scuRole = value.u8("SCU-role") !== 0;
  const scpRole = value.u8("SCP-role") !== 0;
  if (value.remaining !== 0) value.fail(`role selection sub-item has ${value.remaining} bytes after the SCP-role field`);
  return { sopClassUid, scuRole, scpRole };
}
