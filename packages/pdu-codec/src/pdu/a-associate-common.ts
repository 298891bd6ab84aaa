import type { ByteReader } from "../binary/byte-reader.js";
import type { ByteWriter } from "../binary/byte-writer.js";
import { checkAeTitle, padAeTitle, trimAeTitle } from "../binary/text.js";
import { PduEncodeError } from "../errors.js";
import { applicationContextItemLength, readApplicationContextItem, writeApplicationContextItem } from "../items/application-context.js";
import { readItems } from "../items/item-header.js";
import { readUserInformationItem, userInformationItemLength, writeUserInformationItem } from "../items/user-information.js";
import type { UserInformation } from "../types.js";
import { ItemType } from "../types.js";
import { PDU_HEADER_LENGTH, pduTypeName, writePduHeader } from "./pdu-header.js";

/**
 * PS3.8 §9.3.2 (Table 9-11) and §9.3.3 (Table 9-17) share one layout: protocol-version (2), reserved (2),
 * called AE (16), calling AE (16), reserved (32), then the application context, presentation context and
 * user information items. The A-ASSOCIATE-AC's AE fields are "reserved" but DCMTK echoes the RQ's titles.
 */
export const A_ASSOCIATE_FIXED_LENGTH = 68;

export interface AssociateFields<P> {
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContextName: string;
  readonly presentationContexts: readonly P[];
  readonly userInformation: UserInformation;
}

export interface PresentationContextCodec<P> {
  readonly itemType: number;
  length(item: P): number;
  write(w: ByteWriter, item: P): void;
  read(value: ByteReader, itemStart: number): P;
}

export function associateBodyLength<P>(pdu: AssociateFields<P>, pc: PresentationContextCodec<P>): number {
  let n = A_ASSOCIATE_FIXED_LENGTH + applicationContextItemLength(pdu.applicationContextName) + userInformationItemLength(pdu.userInformation);
  for (const item of pdu.presentationContexts) n += pc.length(item);
  return n;
}

export function writeAssociate<P>(w: ByteWriter, type: number, bodyLength: number, pdu: AssociateFields<P>, pc: PresentationContextCodec<P>): void {
  checkAeTitle(pdu.calledAeTitle, "called AE title");
  checkAeTitle(pdu.callingAeTitle, "calling AE title");
  if (!Number.isInteger(pdu.protocolVersion) || pdu.protocolVersion < 0 || pdu.protocolVersion > 0xffff) {
    throw new PduEncodeError(`protocol version ${pdu.protocolVersion} must be a 16-bit value (PS3.8 uses 1)`);
  }
  writePduHeader(w, type, bodyLength);
  w.u16(pdu.protocolVersion);
  w.zeros(2);
  w.ascii(padAeTitle(pdu.calledAeTitle));
  w.ascii(padAeTitle(pdu.callingAeTitle));
  w.zeros(32);
  writeApplicationContextItem(w, pdu.applicationContextName);
  for (const item of pdu.presentationContexts) pc.write(w, item);
  writeUserInformationItem(w, pdu.userInformation);
}

export function readAssociate<P>(body: ByteReader, type: number, pc: PresentationContextCodec<P>): AssociateFields<P> {
  const what = pduTypeName(type);
  const protocolVersion = body.u16(`${what} protocol-version`);
  body.advance(2, `${what} reserved`);
  const calledAeTitle = trimAeTitle(body.latin1(16, `${what} called AE title`));
  const callingAeTitle = trimAeTitle(body.latin1(16, `${what} calling AE title`));
  body.advance(32, `${what} reserved`);
  let applicationContextName: string | undefined;
  let userInformation: UserInformation | undefined;
  const presentationContexts: P[] = [];
  readItems(body, what, (itemType, value, start) => {
    if (itemType === ItemType.ApplicationContext) {
      if (applicationContextName !== undefined) body.fail(`${what} has a second application context item`, start);
      applicationContextName = readApplicationContextItem(value);
    } else if (itemType === pc.itemType) {
      presentationContexts.push(pc.read(value, start));
    } else if (itemType === ItemType.UserInformation) {
      if (userInformation !== undefined) body.fail(`${what} has a second user information item`, start);
      userInformation = readUserInformationItem(value, start);
    } else {
      body.fail(`${what} holds an item of type 0x${itemType.toString(16)}, which does not belong there`, start);
    }
  });
  if (applicationContextName === undefined) body.fail(`${what} has no application context item`, PDU_HEADER_LENGTH);
  if (userInformation === undefined) body.fail(`${what} has no user information item`, PDU_HEADER_LENGTH);
  return { protocolVersion, calledAeTitle, callingAeTitle, applicationContextName, presentationContexts, userInformation };
}
