import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import type {
  AsynchronousOperationsWindow,
  RoleSelection,
  SopClassCommonExtendedNegotiation,
  SopClassExtendedNegotiation,
  UnknownSubItem,
  UserIdentityAc,
  UserIdentityRq,
  UserInformation,
} from "../types.js";
import { ItemType } from "../types.js";
import {
  ASYNCHRONOUS_OPERATIONS_WINDOW_ITEM_LENGTH,
  readAsynchronousOperationsWindowItem,
  writeAsynchronousOperationsWindowItem,
} from "./asynchronous-operations-window.js";
import { implementationClassUidItemLength, readImplementationClassUidItem, writeImplementationClassUidItem } from "./implementation-class-uid.js";
import {
  implementationVersionNameItemLength,
  readImplementationVersionNameItem,
  writeImplementationVersionNameItem,
} from "./implementation-version-name.js";
import { ITEM_HEADER_LENGTH, readItems, writeItemHeader } from "./item-header.js";
import { MAXIMUM_LENGTH_ITEM_LENGTH, readMaximumLengthItem, writeMaximumLengthItem } from "./maximum-length.js";
import { readScpScuRoleSelectionItem, scpScuRoleSelectionItemLength, writeScpScuRoleSelectionItem } from "./scp-scu-role-selection.js";
import {
  readSopClassCommonExtendedNegotiationItem,
  sopClassCommonExtendedNegotiationItemLength,
  writeSopClassCommonExtendedNegotiationItem,
} from "./sop-class-common-extended-negotiation.js";
import {
  readSopClassExtendedNegotiationItem,
  sopClassExtendedNegotiationItemLength,
  writeSopClassExtendedNegotiationItem,
} from "./sop-class-extended-negotiation.js";
import { unknownSubItemLength, writeUnknownSubItem } from "./unknown-sub-item.js";
import { readUserIdentityAcItem, userIdentityAcItemLength, writeUserIdentityAcItem } from "./user-identity-ac.js";
import { readUserIdentityRqItem, userIdentityRqItemLength, writeUserIdentityRqItem } from "./user-identity-rq.js";

/**
 * PS3.8 Annex D.1 + PS3.7 Annex D.3.3: the user information item. Sub-items are written in item-type order
 * (0x51 first, as D.1 requires; unknown ones last); an empty implementation class UID is left out.
 */
export function userInformationItemLength(v: UserInformation): number {
  return ITEM_HEADER_LENGTH + valueLength(v);
}

function sum<T>(items: readonly T[] | undefined, length: (item: T) => number): number {
  let n = 0;
  for (const item of items ?? []) n += length(item);
  return n;
}

function valueLength(v: UserInformation): number {
  return (
    MAXIMUM_LENGTH_ITEM_LENGTH +
    (v.implementationClassUid === "" ? 0 : implementationClassUidItemLength(v.implementationClassUid)) +
    (v.asynchronousOperationsWindow ? ASYNCHRONOUS_OPERATIONS_WINDOW_ITEM_LENGTH : 0) +
    sum(v.roleSelections, scpScuRoleSelectionItemLength) +
    (v.implementationVersionName === undefined ? 0 : implementationVersionNameItemLength(v.implementationVersionName)) +
    sum(v.sopClassExtendedNegotiations, sopClassExtendedNegotiationItemLength) +
    sum(v.sopClassCommonExtendedNegotiations, sopClassCommonExtendedNegotiationItemLength) +
    (v.userIdentityRq ? userIdentityRqItemLength(v.userIdentityRq) : 0) +
    (v.userIdentityAc ? userIdentityAcItemLength(v.userIdentityAc) : 0) +
    sum(v.unknownSubItems, unknownSubItemLength)
  );
}

export function writeUserInformationItem(w: ByteWriter, v: UserInformation): void {
  writeItemHeader(w, ItemType.UserInformation, valueLength(v));
  writeMaximumLengthItem(w, v.maxLength);
  if (v.implementationClassUid !== "") writeImplementationClassUidItem(w, v.implementationClassUid);
  if (v.asynchronousOperationsWindow) writeAsynchronousOperationsWindowItem(w, v.asynchronousOperationsWindow);
  for (const item of v.roleSelections ?? []) writeScpScuRoleSelectionItem(w, item);
  if (v.implementationVersionName !== undefined) writeImplementationVersionNameItem(w, v.implementationVersionName);
  for (const item of v.sopClassExtendedNegotiations ?? []) writeSopClassExtendedNegotiationItem(w, item);
  for (const item of v.sopClassCommonExtendedNegotiations ?? []) writeSopClassCommonExtendedNegotiationItem(w, item);
  if (v.userIdentityRq) writeUserIdentityRqItem(w, v.userIdentityRq);
  if (v.userIdentityAc) writeUserIdentityAcItem(w, v.userIdentityAc);
  for (const item of v.unknownSubItems ?? []) writeUnknownSubItem(w, item);
}

export function readUserInformationItem(value: ByteReader, itemStart: number): UserInformation {
  let maxLength: number | undefined;
  let implementationClassUid: string | undefined;
  let implementationVersionName: string | undefined;
  let asynchronousOperationsWindow: AsynchronousOperationsWindow | undefined;
  let userIdentityRq: UserIdentityRq | undefined;
  let userIdentityAc: UserIdentityAc | undefined;
  const roleSelections: RoleSelection[] = [];
  const sopClassExtendedNegotiations: SopClassExtendedNegotiation[] = [];
  const sopClassCommonExtendedNegotiations: SopClassCommonExtendedNegotiation[] = [];
  const unknownSubItems: UnknownSubItem[] = [];

  const once = <T>(seen: T | undefined, name: string, start: number): void => {
    if (seen !== undefined) value.fail(`user information holds a second ${name} sub-item`, start);
  };

  readItems(value, "user information", (itemType, sub, start) => {
    switch (itemType) {
      case ItemType.MaximumLength:
        once(maxLength, "maximum length", start);
        maxLength = readMaximumLengthItem(sub);
        break;
      case ItemType.ImplementationClassUid:
        once(implementationClassUid, "implementation class UID", start);
        implementationClassUid = readImplementationClassUidItem(sub);
        break;
      case ItemType.ImplementationVersionName:
        once(implementationVersionName, "implementation version name", start);
        implementationVersionName = readImplementationVersionNameItem(sub);
        break;
      case ItemType.AsynchronousOperationsWindow:
        once(asynchronousOperationsWindow, "asynchronous operations window", start);
        asynchronousOperationsWindow = readAsynchronousOperationsWindowItem(sub);
        break;
      case ItemType.ScpScuRoleSelection:
        roleSelections.push(readScpScuRoleSelectionItem(sub));
        break;
      case ItemType.SopClassExtendedNegotiation:
        sopClassExtendedNegotiations.push(readSopClassExtendedNegotiationItem(sub));
        break;
      case ItemType.SopClassCommonExtendedNegotiation:
        sopClassCommonExtendedNegotiations.push(readSopClassCommonExtendedNegotiationItem(sub));
        break;
      case ItemType.UserIdentityRq:
        once(userIdentityRq, "user identity", start);
        userIdentityRq = readUserIdentityRqItem(sub);
        break;
      case ItemType.UserIdentityAc:
        once(userIdentityAc, "user identity server response", start);
        userIdentityAc = readUserIdentityAcItem(sub);
        break;
      default:
        unknownSubItems.push({ itemType, data: sub.take(sub.remaining, "unknown sub-item") });
    }
  });
  if (maxLength === undefined) value.fail("user information has no maximum length sub-item (PS3.8 Annex D.1 makes it mandatory)", itemStart);

  return {
    maxLength,
    implementationClassUid: implementationClassUid ?? "",
    ...(implementationVersionName !== undefined && { implementationVersionName }),
    ...(asynchronousOperationsWindow && { asynchronousOperationsWindow }),
    ...(roleSelections.length > 0 && { roleSelections }),
    ...(sopClassExtendedNegotiations.length > 0 && { sopClassExtendedNegotiations }),
    ...(sopClassCommonExtendedNegotiations.length > 0 && { sopClassCommonExtendedNegotiations }),
    ...(userIdentityRq && { userIdentityRq }),
    ...(userIdentityAc && { userIdentityAc }),
    ...(unknownSubItems.length > 0 && { unknownSubItems }),
  };
}
