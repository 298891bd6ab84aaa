import { readFileSync } from "node:fs";
import { get } from "@dicomtls/scu";

// A PACS reached over DICOM TLS (PACS_* and TLS_* from the environment; the defaults are Orthanc's).
const env = process.env;
const pem = (name: string): string => readFileSync(env[name] ?? `${name.toLowerCase()}.pem`, "utf8");

// Retrieve one study on this association: each instance comes as a C-STORE sub-operation, handed to onInstance.
const op = get({
  host: env["PACS_HOST"] ?? "127.0.0.1",
  port: Number(env["PACS_PORT"] ?? 4242),
  callingAeTitle: "DICOMTLS",
  calledAeTitle: env["PACS_AET"] ?? "ORTHANC",
  tls: { ca: pem("TLS_CA"), cert: pem("TLS_CERT"), key: pem("TLS_KEY") },
  level: "STUDY",
  keys: { StudyInstanceUID: env["STUDY_UID"] ?? "1.2.3" },
  onInstance: async (instance) => {
    let bytes = 0;
    for await (const chunk of instance.dataset) bytes += chunk.length; // or write it somewhere, with its File Meta
    console.log(`${instance.sopInstanceUid}: ${bytes} bytes in ${instance.transferSyntaxUid}`);
  },
});
for await (const p of op) console.log(`${p.completed} received, ${p.remaining ?? "?"} to go`);
const r = await op.result();
console.log(`${r.statusName}: ${r.completed} completed, ${r.failed} failed, ${r.received} kept`);
