export { makeDevPki, pkiPath, type DevPki } from "./pki.js";
export { startStorescp, startDicomTls, writeServerConfig, waitListening, type StorescpOptions, type DicomTlsOptions, type RunningPeer } from "./peers.js";
export { formatTable, printTable, ms, ratio } from "./table.js";
export { timed, timedRun, median } from "./timing.js";
export { processCpuSeconds, cpuDuring, reapedChildrenCpuSeconds, selfCpuSeconds, threadCpuSeconds, formatThreadCpu } from "./proc-cpu.js";
export { selfTimes, summarizeProfiles } from "./cpu-profile.js";
export { profilerEnv } from "./profiler-env.js";
