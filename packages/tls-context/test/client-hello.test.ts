/** The ClientHello parser against hellos captured from real clients, and its refusal to throw on anything else. */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { describeClientHello, parseClientHello, profilesAccepting } from "../src/client-hello.js";

interface Vector {
  name: string;
  source: string;
  hex: string;
  expect: { legacyVersion: string; supportedVersions: string[]; offeredVersions: string[]; cipherSuites?: string[]; serverName?: string; acceptedBy: string[] };
}
const { vectors } = JSON.parse(readFileSync(new URL("./vectors/client-hello.json", import.meta.url), "utf8")) as { vectors: Vector[] };

describe("parseClientHello: captured hellos", () => {
  for (const v of vectors) {
    test(v.name, () => {
      const hello = parseClientHello(Buffer.from(v.hex, "hex"));
      assert.ok(hello, "parsed");
      assert.equal(hello.legacyVersion, v.expect.legacyVersion);
      assert.deepEqual(hello.supportedVersions, v.expect.supportedVersions);
      assert.deepEqual(hello.offeredVersions, v.expect.offeredVersions);
      if (v.expect.cipherSuites !== undefined) assert.deepEqual(hello.cipherSuites, v.expect.cipherSuites);
      if (v.expect.serverName !== undefined) assert.equal(hello.serverName, v.expect.serverName);
      assert.equal(hello.truncated, false);
      assert.deepEqual(profilesAccepting(hello), v.expect.acceptedBy);
    });
  }

  test("dcm4che's default hello: the record names the suite and the one profile that accepts it", () => {
    const java = vectors.find((v) => v.name.startsWith("Java 17 JSSE as dcm4che 5 storescu --tls "))!;
    const text = describeClientHello(parseClientHello(Buffer.from(java.hex, "hex"))!);
    assert.equal(text, 'the client offered TLSv1.2 with TLS_RSA_WITH_AES_128_CBC_SHA; the "bcp195" profile would accept it');
  });

  test("with the node's key type: ECDSA suites need an EC key, static RSA an RSA (not RSA-PSS) key; TLS 1.3 needs neither", () => {
    const byName = (prefix: string): ReturnType<typeof parseClientHello> => parseClientHello(Buffer.from(vectors.find((v) => v.name.startsWith(prefix))!.hex, "hex"));
    const ecdsa = byName("openssl s_client, TLS 1.2 with ECDHE-ECDSA")!;
    assert.deepEqual(profilesAccepting(ecdsa, { keyType: "rsa" }), []);
    assert.deepEqual(profilesAccepting(ecdsa, { keyType: "ec" }), ["bcp195-rfc8996", "bcp195-rfc8996-modified", "bcp195-nd", "bcp195"]);
    const staticRsa = byName("openssl s_client, TLS 1.2 with AES128-SHA")!;
    assert.deepEqual(profilesAccepting(staticRsa, { keyType: "rsa" }), ["bcp195"]);
    assert.deepEqual(profilesAccepting(staticRsa, { keyType: "rsa-pss" }), []);
    assert.deepEqual(profilesAccepting(staticRsa, { keyType: "ec" }), []);
    assert.match(describeClientHello(staticRsa, []), /no PS3\.15 profile accepts it$/);
    assert.match(describeClientHello(ecdsa, profilesAccepting(ecdsa, { keyType: "rsa" }), "rsa"), /no PS3\.15 profile accepts it with this node's rsa key$/);
    const tls13 = byName("Java 17 JSSE as dcm4che 5 storescu --tls13")!;
    assert.equal(profilesAccepting(tls13, { keyType: "ec" }).length, 4);
  });

  test("a hello cut anywhere still parses what is there, flagged truncated, never throws", () => {
    for (const v of vectors) {
      const bytes = Buffer.from(v.hex, "hex");
      for (let n = 0; n < bytes.length; n++) {
        const hello = parseClientHello(bytes.subarray(0, n));
        if (n < 11) assert.equal(hello, undefined, `${v.name} cut at ${n}`);
        else assert.equal(hello?.truncated, true, `${v.name} cut at ${n}`);
      }
    }
  });
});

describe("parseClientHello: not a ClientHello", () => {
  test("plain DICOM (A-ASSOCIATE-RQ), an HTTP request, an empty buffer, a TLS alert: undefined", () => {
    assert.equal(parseClientHello(Buffer.from("01000000004c0001", "hex")), undefined);
    assert.equal(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n\r\n")), undefined);
    assert.equal(parseClientHello(Buffer.alloc(0)), undefined);
    assert.equal(parseClientHello(Buffer.from("15030300020228", "hex")), undefined);
  });

  test("lengths that lie (larger than the data, or zero) never throw", () => {
    const java = Buffer.from(vectors[1]!.hex, "hex");
    // Cipher-suite list length claiming 0xffff bytes.
    const lying = Buffer.from(java);
    lying.writeUInt16BE(0xffff, 5 + 4 + 2 + 32 + 1 + lying[5 + 4 + 2 + 32]!);
    assert.doesNotThrow(() => parseClientHello(lying));
    const zero = Buffer.from(java);
    zero.writeUInt16BE(0, 3);
    assert.doesNotThrow(() => parseClientHello(zero));
  });

  test("10,000 random mutations of captured hellos never throw", () => {
    let seed = 0x9e3779b9;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(vectors[i % vectors.length]!.hex, "hex");
      for (let k = 0; k < 1 + rnd(8); k++) bytes[rnd(bytes.length)] = rnd(256);
      bytes[0] = 0x16;
      bytes[5] = 0x01;
      assert.doesNotThrow(() => {
        const hello = parseClientHello(bytes);
        if (hello !== undefined) describeClientHello(hello);
      });
    }
  });
});
