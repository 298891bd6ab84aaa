import { CommandField, Status, VERIFICATION_SOP_CLASS, cEchoRsp } from "@dicomtls/pdu-codec";
import { statusResponse } from "./responses.js";
import type { ServiceHandler } from "./types.js";

export { VERIFICATION_SOP_CLASS };

/** PS3.4 Annex A: the Verification Service Class answers C-ECHO with Success; anything else is not an operation of it. */
export const verificationHandler: ServiceHandler = (message) => {
  if (message.command.commandField !== CommandField.CEchoRq) {
    return { command: statusResponse(message.command, Status.UnrecognizedOperation) };
  }
  return { command: cEchoRsp(message.command, Status.Success) };
};
