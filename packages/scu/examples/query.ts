import { readFileSync } from "node:fs";
import { find, identifierText, move } from "@dicomtls/scu";

// A PACS reached over DICOM TLS (PACS_* and TLS_* from the environment; the defaults are Orthanc's).
const env = process.env;
const pem = (name: string): string => readFileSync(env[name] ?? `${name.toLowerCase()}.pem`, "utf8");
const peer = {
  host: env["PACS_HOST"] ?? "127.0.0.1",
  port: Number(env["PACS_PORT"] ?? 4242),
  callingAeTitle: "DICOMTLS",
  calledAeTitle: env["PACS_AET"] ?? "ORTHANC",
  tls: { ca: pem("TLS_CA"), cert: pem("TLS_CERT"), key: pem("TLS_KEY") },
};

// Studies of patients named DOE..., from 2020 on: matches arrive one by one, none is held back.
const query = find({ ...peer, level: "STUDY", keys: { PatientName: "DOE*", StudyDate: "20200101-", StudyInstanceUID: "" } });
const studies: string[] = [];
for await (const match of query) {
  studies.push(identifierText(match.identifier, "StudyInstanceUID"));
  console.log(identifierText(match.identifier, "StudyDate"), identifierText(match.identifier, "PatientName"));
}
console.log(`${(await query.result()).statusName}: ${studies.length} studies`);

// Have the PACS send the first one to STORESCP (an AE it knows), with the counts as they come.
const first = studies[0];
if (first !== undefined) {
  const op = move({ ...peer, destination: env["MOVE_DESTINATION"] ?? "STORESCP", level: "STUDY", keys: { StudyInstanceUID: first } });
  for await (const p of op) console.log(`${p.completed} sent, ${p.remaining ?? "?"} to go`);
  const r = await op.result();
  console.log(`${r.statusName}: ${r.completed} completed, ${r.failed} failed [${r.failedSopInstanceUids.join(", ")}]`);
}
