import { InvalidArgumentError, Option, type Command } from "commander";
import { isDicomTlsProfile, PROFILE_NAMES, type DicomTlsProfile } from "@dicomtls/tls-context";
import type { ClientTlsFlags } from "./tls-client.js";

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** What a command registration gets: output, environment, and a way to set the exit code. */
export interface CommandContext {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly setExitCode: (code: number) => void;
}

/** Adds one command (or group) to the program. Each lives in commands/<name>.ts. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`${name}: expected a whole number of at least 1, got "${value}"`);
    return n;
  };
}

export function profileOption(): Option {
  return new Option("--profile <name>", `PS3.15 TLS profile (${PROFILE_NAMES.join(", ")})`).argParser((v): DicomTlsProfile => {
    if (!isDicomTlsProfile(v)) throw new InvalidArgumentError(`unknown profile "${v}"; expected one of ${PROFILE_NAMES.join(", ")}`);
    return v;
  });
}

/** The TLS flags, named as DCMTK users know them (+tls KEY CERT, --anonymous-tls, +cf FILE). */
export function addTlsOptions(cmd: Command): Command {
  return cmd
    .option("--key <file>", "own private key (PEM): DICOM TLS with a client certificate (DCMTK +tls KEY CERT)")
    .option("--cert <file>", "own certificate (PEM, or PKCS#12 with the key inside)")
    .option("--password <text>", "password of an encrypted key or PKCS#12 file (prefer DICOMTLS_KEY_PASSWORD in the environment)")
    .option("--anonymous-tls", "DICOM TLS without a client certificate (the server is still verified)")
    .option("--trusted <file>", "certificates to trust for the server, PEM (DCMTK +cf FILE)")
    .option("--server-name <name>", "check the server certificate against this name instead of HOST")
    .option("--no-server-name-check", "do not check the server certificate's name (its chain is still verified)")
    .addOption(profileOption());
}

export interface RawTlsFlags {
  key?: string;
  cert?: string;
  password?: string;
  anonymousTls?: boolean;
  trusted?: string;
  serverName?: string;
  serverNameCheck?: boolean;
  profile?: DicomTlsProfile;
}

export function tlsFlags(o: RawTlsFlags, env: NodeJS.ProcessEnv): ClientTlsFlags {
  return {
    key: o.key,
    cert: o.cert,
    password: o.password ?? env["DICOMTLS_KEY_PASSWORD"],
    anonymousTls: o.anonymousTls,
    trusted: o.trusted,
    profile: o.profile,
    serverName: o.serverNameCheck === false ? false : o.serverName,
  };
}

