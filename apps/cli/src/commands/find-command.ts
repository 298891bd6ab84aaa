import { InvalidArgumentError, type Command } from "commander";
import type { DecodedIdentifier, IdentifierValue } from "@dicomtls/dataset";
import { find, type FindMatch, type QueryConnectionOptions, type QueryModel } from "@dicomtls/scu";
import { UsageError } from "../errors.js";
import type { CliIo, RawTlsFlags, RegisterCommand } from "../options.js";
import { addTlsOptions, positiveInt, tlsFlags } from "../options.js";
import type { ClientTlsFlags } from "../tls-client.js";
import { resolveTarget, type Target } from "./echo.js";

/** `-k KEY=VALUE` (DCMTK's spelling): split at the first "="; no "=" or nothing after it is a return key. */
export function parseKey(arg: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = arg.indexOf("=");
  const key = (eq < 0 ? arg : arg.slice(0, eq)).trim();
  if (key === "") throw new InvalidArgumentError(`-k ${JSON.stringify(arg)}: expected KEY=VALUE or KEY (a keyword like PatientName, or a tag like 0010,0010)`);
  return [...previous, [key, eq < 0 ? "" : arg.slice(eq + 1)]];
}

function modelOption(value: string): QueryModel {
  const v = value.toLowerCase();
  if (v !== "study" && v !== "patient") throw new InvalidArgumentError(`--model: expected study or patient, got "${value}"`);
  return v;
}

/** The options find and move share: target, AE titles, level, model, keys, timeout, config, TLS. */
export function addQueryOptions(cmd: Command, timeoutDefault: number): Command {
  return addTlsOptions(
    cmd
      .argument("<target...>", "HOST PORT, or MODALITY with --config")
      .option("--aet <title>", "calling AE title", "DICOMTLS")
      .option("--call <title>", "called AE title", "ANY-SCP")
      .option("--level <level>", "QueryRetrieveLevel: PATIENT (patient model only), STUDY, SERIES or IMAGE", "STUDY")
      .option("--model <model>", "information model: study (Study Root) or patient (Patient Root)", modelOption, "study" as QueryModel)
      // -k as in DCMTK's findscu/movescu; the long name is not --key, which is the TLS private key here.
      .option("-k, --query-key <key=value>", "a query key: PatientName=DOE*, StudyDate=20240101-, StudyInstanceUID (return key); repeat", parseKey, [])
      .option("--timeout <seconds>", "connect, association and per-response timeout", positiveInt("--timeout"), timeoutDefault)
      .option("--config <file>", "Orthanc-style configuration: take the modality's address, AE titles and TLS from it"),
  );
}

export interface QueryFlags extends ClientTlsFlags {
  readonly aet: string;
  readonly call: string;
  readonly level: string;
  readonly model: QueryModel;
  readonly queryKey: ReadonlyArray<readonly [string, string]>;
  readonly timeout: number;
  readonly config?: string | undefined;
}

export type RawQueryFlags = RawTlsFlags & Omit<QueryFlags, keyof ClientTlsFlags>;

export function queryFlags(o: RawQueryFlags, env: NodeJS.ProcessEnv): QueryFlags {
  return { ...tlsFlags(o, env), aet: o.aet, call: o.call, level: o.level, model: o.model, queryKey: o.queryKey, timeout: o.timeout, config: o.config };
}

/** Connection options of the scu calls, from the resolved target. */
export function connection(target: Target): QueryConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    callingAeTitle: target.callingAeTitle,
    calledAeTitle: target.calledAeTitle,
    ...(target.tls !== undefined && { tls: target.tls }),
    timeouts: { connectMs: target.timeoutMs, associateMs: target.timeoutMs, dimseMs: target.timeoutMs },
  };
}

/** Ctrl-C sends C-CANCEL (a second one exits as usual). */
export function cancelOnInterrupt(controller: AbortController): () => void {
  const onSignal = (): void => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  return () => process.removeListener("SIGINT", onSignal);
}

function cell(values: readonly IdentifierValue[] | undefined): string {
  if (values === undefined) return "";
  return values.map((v) => (typeof v === "object" ? `(${Object.keys(v).length} attributes)` : String(v))).join("\\");
}

/** Rows held back to size the columns; later rows stream with those widths (a long value just sticks out). */
const SIZING_ROWS = 100;

/** A text table printed as rows arrive, after the first SIZING_ROWS fixed the column widths. */
class StreamingTable {
  readonly #out: (line: string) => void;
  #columns: string[] | undefined;
  #widths: number[] = [];
  #held: DecodedIdentifier[] = [];
  #flushed = false;

  constructor(out: (line: string) => void, columns: readonly string[]) {
    this.#out = out;
    if (columns.length > 0) this.#columns = [...columns];
  }

  add(identifier: DecodedIdentifier): void {
    this.#columns ??= Object.keys(identifier).filter((k) => k !== "SpecificCharacterSet" && k !== "QueryRetrieveLevel" && k !== "RetrieveAETitle");
    if (this.#flushed) this.#row(identifier);
    else if (this.#held.push(identifier) >= SIZING_ROWS) this.flush();
  }

  flush(): void {
    if (this.#flushed) return;
    this.#flushed = true;
    const columns = this.#columns ?? [];
    if (columns.length === 0) return;
    this.#widths = columns.map((c) => Math.max(c.length, ...this.#held.map((m) => cell(m[c]).length)));
    this.#out(columns.map((c, i) => c.padEnd(this.#widths[i] ?? 0)).join("  ").trimEnd());
    this.#out(this.#widths.map((w) => "-".repeat(w)).join("  "));
    for (const m of this.#held.splice(0)) this.#row(m);
  }

  #row(m: DecodedIdentifier): void {
    this.#out((this.#columns ?? []).map((c, i) => cell(m[c]).padEnd(this.#widths[i] ?? 0)).join("  ").trimEnd());
  }
}

/** C-FIND: the matches as a table (columns = the -k keys), or with --json one JSON object per match per line. */
export async function runFind(args: readonly string[], flags: QueryFlags & { json: boolean }, io: CliIo): Promise<number> {
  const target = await resolveTarget(args, { ...flags, repeat: 1 });
  const controller = new AbortController();
  const query = find({ ...connection(target), model: flags.model, level: flags.level, keys: flags.queryKey, signal: controller.signal });
  const table = flags.json ? undefined : new StreamingTable(io.out, flags.queryKey.map(([k]) => k));
  const stop = cancelOnInterrupt(controller);
  let count = 0;
  try {
    for await (const m of query as AsyncIterable<FindMatch>) {
      count += 1;
      if (table === undefined) io.out(JSON.stringify(m.identifier));
      else table.add(m.identifier);
    }
  } finally {
    stop();
    table?.flush();
  }
  const result = await query.result();
  const summary = `find on ${target.label}: ${count} match${count === 1 ? "" : "es"} at ${result.level} level (${result.statusName}) over ${target.tls === undefined ? "plain TCP" : "DICOM TLS"}`;
  // With --json stdout carries only the matches.
  if (flags.json) io.err(summary);
  else io.out(summary);
  return result.cancelled ? 1 : 0;
}

export const registerFind: RegisterCommand = (program, { io, env, setExitCode }) => {
  addQueryOptions(
    program.command("find").description("C-FIND a DICOM node: `find HOST PORT --level STUDY -k PatientName=DOE* -k StudyInstanceUID`, or `find --config CONFIG MODALITY ...`"),
    30,
  )
    .option("--json", "one JSON object per match per line (keyword -> array of values), for scripts")
    .action(async (target: string[], o: RawQueryFlags & { json?: boolean }) => {
      if (o.queryKey.length === 0) throw new UsageError("give at least one -k KEY=VALUE or -k KEY (a return key), e.g. -k PatientName=DOE* -k StudyInstanceUID");
      setExitCode(await runFind(target, { ...queryFlags(o, env), json: o.json === true }, io));
    });
};
