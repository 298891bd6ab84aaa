export { Rng } from "./rng.js";
export { makeCase, mutate, afterAcceptance, Stages, type FuzzCase, type Stage, type TransportKind } from "./cases.js";
export { runCase, echo, type Endpoint, type CaseOutcome } from "./client.js";
export { startTarget, type FuzzTarget, type TargetOptions } from "./target.js";
export { runFuzz, formatReport, type FuzzOptions, type FuzzReport, type FuzzCrash } from "./run.js";
export * as templates from "./templates.js";
