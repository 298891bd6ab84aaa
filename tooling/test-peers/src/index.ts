export { freePort, waitListening } from "./ports.js";
export { startProcess, runProcess, stopAll, type TrackedProcess, type RunResult, type StartOptions } from "./process.js";
export { dcmtkEnv, requireTool } from "./dcmtk.js";
export { tempDir } from "./temp.js";
export * from "./dicom-files.js";
export * from "./apps.js";
export { startOrthanc, ORTHANC_BINARY, type OrthancOptions, type StartedOrthanc, type RestResponse } from "./orthanc.js";
export { startRsyslogTls, type RsyslogTlsOptions, type StartedRsyslog } from "./rsyslog.js";
export { compileDcmTlsProxy, startDcm4cheProxy, DCM_TLS_PROXY_SOURCE, type Dcm4cheProxyOptions, type StartedDcm4cheProxy } from "./java.js";
