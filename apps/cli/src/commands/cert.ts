import type { Command } from "commander";
import type { RegisterCommand } from "../options.js";
import { attachCertCheck } from "./cert-check.js";
import { writeDevPki } from "./dev-pki.js";
import { attachTrustStore } from "./trust-store.js";

/** The `cert` group; other certificate subcommands attach to the returned command. */
export const registerCert: RegisterCommand = (program, ctx) => {
  const { io } = ctx;
  const cert: Command = program.command("cert").description("certificates: a development PKI, a certificate doctor, a Java trust store");
  cert
    .command("dev-pki")
    .description("write a development PKI (CA, node certificate for localhost/127.0.0.1/::1, client certificate) into DIR")
    .argument("<dir>")
    .option("--force", "replace an existing development PKI")
    .action(async (dir: string, o: { force?: boolean }) => {
      const files = await writeDevPki(dir, { force: o.force === true });
      io.out(`development PKI written to ${files.dir} (not for production: the CA key is there too)`);
      io.out(`  CA:     ${files.caCert}`);
      io.out(`  node:   ${files.nodeCert} + ${files.nodeKey}  (DicomTlsCertificate / DicomTlsPrivateKey)`);
      io.out(`  client: ${files.clientCert} + ${files.clientKey}`);
      io.out(`  trust:  ${files.caCert}  (DicomTlsTrustedCertificates, and +cf for DCMTK)`);
    });
  attachCertCheck(cert, ctx);
  attachTrustStore(cert, ctx);
};
