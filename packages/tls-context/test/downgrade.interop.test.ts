// Matrix cases 14-20: protocol and cipher downgrade attempts by a real peer (openssl s_client) against our options.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeCert, type WrittenCert } from "@dicomtls/test-pki";
import { requireTool, runProcess, stopAll } from "@dicomtls/test-peers";
import { loadTlsContext, type DicomTlsSettings, type TlsContext } from "../src/index.js";
import { pkiOnDisk, serve, verdict, type HandshakeOutcome, type PkiOnDisk } from "./helpers.js";

interface SClientResult extends HandshakeOutcome {
  protocol: string | undefined;
  cipher: string | undefined;
  output: string;
}

describe("downgrade attempts with openssl s_client (cases 14-20)", () => {
  let d: PkiOnDisk;
  let client: WrittenCert;
  let rsaSettings: DicomTlsSettings;

  /** Run s_client with args against a server built from ctx; return the server's verdict and what s_client negotiated. */
  async function sClient(ctx: TlsContext, args: string[]): Promise<SClientResult> {
    let output = "";
    const outcome = await serve(ctx, async (port) => {
      const r = await runProcess(
        "openssl",
        ["s_client", "-connect", `127.0.0.1:${port}`, "-brief", "-CAfile", d.settings.trustedCertificatesFile!, "-cert", client.certFile, "-key", client.keyFile, ...args],
        { input: "", timeoutMs: 10_000 },
      );
      output = r.output;
    });
    return {
      ...outcome,
      output,
      protocol: /Protocol version: (\S+)/.exec(output)?.[1],
      cipher: /Ciphersuite: (\S+)/.exec(output)?.[1],
    };
  }

  before(async () => {
    requireTool("openssl");
    d = await pkiOnDisk();
    client = writeCert(d.dir, "client", d.pki.client);
    // An RSA server certificate, so that static-RSA and ECDHE-RSA suites are even possible.
    const rsa = writeCert(d.dir, "rsa-server", await d.pki.issue({ key: "rsa-2048" }));
    rsaSettings = { ...d.settings, certificateFile: rsa.chainFile, privateKeyFile: rsa.keyFile };
  });
  after(async () => {
    await stopAll();
    d.remove();
  });

  test("B.12 (default): TLS 1.0, 1.1 and every non-ECDHE-AEAD TLS 1.2 suite are refused; TLS 1.3 is negotiated", async () => {
    const ctx = await loadTlsContext(rsaSettings);
    const refused: Array<[string, string[]]> = [
      ["#14 TLS 1.0", ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]],
      ["#14 TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]],
      ["#15 AES128-SHA", ["-tls1_2", "-cipher", "AES128-SHA"]],
      ["#16 ECDHE-RSA-AES128-SHA256", ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"]],
      ["#17 AES128-GCM-SHA256", ["-tls1_2", "-cipher", "AES128-GCM-SHA256"]],
      ["#18 NULL-SHA", ["-tls1_2", "-cipher", "NULL-SHA@SECLEVEL=0"]],
      ["#19 ECDHE-RSA-CHACHA20-POLY1305", ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]],
    ];
    for (const [name, args] of refused) {
      const r = await sClient(ctx, args);
      assert.match(verdict(r), /^HANDSHAKE:ERR_SSL_(UNSUPPORTED_PROTOCOL|NO_SHARED_CIPHER)$/, `${name}: ${verdict(r)}\n${r.output}`);
      assert.equal(r.protocol, undefined, name);
    }
    const v13 = await sClient(ctx, []);
    assert.equal(verdict(v13), "OK", v13.output);
    assert.equal(v13.protocol, "TLSv1.3");
    assert.equal(v13.cipher, "TLS_AES_256_GCM_SHA384");
    const v12 = await sClient(ctx, ["-tls1_2"]);
    assert.equal(verdict(v12), "OK");
    assert.equal(v12.cipher, "ECDHE-RSA-AES256-GCM-SHA384", "the server's order wins");
  });

  test("#19 B.13 accepts ECDHE-RSA-CHACHA20-POLY1305 on TLS 1.2", async () => {
    const ctx = await loadTlsContext({ ...rsaSettings, profile: "bcp195-rfc8996-modified" });
    const r = await sClient(ctx, ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]);
    assert.equal(verdict(r), "OK", r.output);
    assert.equal(r.cipher, "ECDHE-RSA-CHACHA20-POLY1305");
  });

  test("#14/#15 legacy B.9 profile (Orthanc parity): TLS 1.0 and 1.1 with AES128-SHA work, NULL-SHA still does not", async () => {
    const ctx = await loadTlsContext({ ...rsaSettings, profile: "bcp195" });
    assert.ok(ctx.warnings.some((w) => w.code === "LEGACY_PROTOCOLS"));
    const t10 = await sClient(ctx, ["-tls1", "-cipher", "AES128-SHA@SECLEVEL=0"]);
    assert.equal(verdict(t10), "OK", t10.output);
    assert.equal(t10.protocol, "TLSv1");
    assert.equal(t10.cipher, "AES128-SHA");
    const t11 = await sClient(ctx, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert.equal(t11.protocol, "TLSv1.1");
    const nul = await sClient(ctx, ["-tls1_2", "-cipher", "NULL-SHA@SECLEVEL=0"]);
    assert.equal(verdict(nul), "HANDSHAKE:ERR_SSL_NO_SHARED_CIPHER");
  });

  test("Orthanc DicomTlsMinimumProtocolVersion=5 refuses TLS 1.2; =4 with DicomTlsCiphersAccepted [AES128-SHA] allows exactly that", async () => {
    const only13 = await loadTlsContext({ ...rsaSettings, minimumProtocolVersion: 5 });
    assert.equal(verdict(await sClient(only13, ["-tls1_2"])), "HANDSHAKE:ERR_SSL_UNSUPPORTED_PROTOCOL");
    assert.equal((await sClient(only13, [])).protocol, "TLSv1.3");
    const listed = await loadTlsContext({ ...rsaSettings, minimumProtocolVersion: 4, ciphersAccepted: ["AES128-SHA"] });
    const r = await sClient(listed, ["-tls1_2", "-cipher", "AES128-SHA"]);
    assert.equal(verdict(r), "OK", r.output);
    assert.equal(r.cipher, "AES128-SHA");
    assert.equal(verdict(await sClient(listed, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])), "HANDSHAKE:ERR_SSL_NO_SHARED_CIPHER");
  });
});
