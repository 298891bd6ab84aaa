/**
 * The command line's contract (issue 2): success exits 0; a mistake in how it was called exits 2 with one line
 * saying what is wrong; --help exits 0; `cert dev-pki DIR` writes a PKI whose files a server configuration can use.
 */
import { strict as assert } from "node:assert";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { runCli, tempDir } from "@dicomtls/test-peers";
import { main } from "../src/index.js";

const tmp = tempDir("dicomtls-cli-");
after(() => tmp.remove());

/** Runs the CLI in-process, capturing its lines. */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(...l.split("\n")), err: (l) => err.push(...l.split("\n")) }, {});
  return { code, out, err };
}

describe("usage errors: exit 2, one line on stderr, nothing on stdout", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["echo without a target", ["echo"], /target/],
    ["echo with a port that is not a number", ["echo", "127.0.0.1", "notaport"], /PORT: expected an integer 1-65535, got "notaport"/],
    ["echo with a port out of range", ["echo", "127.0.0.1", "70000"], /PORT: expected an integer 1-65535/],
    ["echo with three positional arguments", ["echo", "a", "1", "extra"], /HOST PORT/],
    ["echo --repeat 0", ["echo", "--repeat", "0", "127.0.0.1", "104"], /--repeat: expected a whole number of at least 1, got "0"/],
    ["echo --key without --trusted", ["echo", "127.0.0.1", "104", "--key", "k.pem", "--cert", "c.pem"], /--trusted FILE/],
    ["echo --anonymous-tls with --key", ["echo", "127.0.0.1", "104", "--anonymous-tls", "--key", "k", "--trusted", "t"], /--anonymous-tls presents no certificate/],
    ["echo --profile unknown", ["echo", "--profile", "tls9", "127.0.0.1", "104"], /unknown profile "tls9"/],
    ["an unknown command", ["bogus"], /unknown command 'bogus'/],
    ["an unknown option", ["echo", "--frobnicate", "127.0.0.1", "104"], /unknown option '--frobnicate'/],
    ["cert dev-pki without DIR", ["cert", "dev-pki"], /dir/],
  ];
  for (const [name, argv, why] of cases) {
    test(name, async () => {
      const r = await cli(...argv);
      assert.equal(r.code, 2, r.err.join("\n"));
      const lines = r.err.filter((l) => l.trim() !== "");
      assert.equal(lines.length, 1, `one line, got:\n${r.err.join("\n")}`);
      assert.match(lines[0] ?? "", why);
      assert.match(lines[0] ?? "", /^dicomtls/, "the line says who speaks");
      assert.deepEqual(r.out, []);
    });
  }
});

describe("--help", () => {
  test("dicomtls --help: exit 0, lists the commands", async () => {
    const r = await cli("--help");
    assert.equal(r.code, 0);
    const text = r.out.join("\n");
    assert.match(text, /Usage: dicomtls/);
    assert.match(text, /\becho\b/);
    assert.match(text, /\bcert\b/);
    assert.deepEqual(r.err, []);
  });

  test("dicomtls find --help and move --help: -k query keys (not --key, the TLS key), --level, --model, --dest, --json", async () => {
    const find = await cli("find", "--help");
    assert.equal(find.code, 0);
    for (const flag of ["-k, --query-key", "--level", "--model", "--json", "--key <file>", "--trusted", "--config"]) assert.ok(find.out.join("\n").includes(flag), flag);
    const move = await cli("move", "--help");
    assert.equal(move.code, 0);
    for (const flag of ["--dest <aet>", "-k, --query-key", "--level"]) assert.ok(move.out.join("\n").includes(flag), flag);
  });

  test("find without -k and move without --dest are usage errors (exit 2)", async () => {
    const find = await cli("find", "127.0.0.1", "4242");
    assert.equal(find.code, 2);
    assert.match(find.err.join("\n"), /at least one -k/);
    const move = await cli("move", "127.0.0.1", "4242", "-k", "StudyInstanceUID=1.2.3");
    assert.equal(move.code, 2);
    assert.match(move.err.join("\n"), /--dest/);
  });

  test("dicomtls echo --help: exit 0, names the DCMTK-style TLS flags", async () => {
    const r = await cli("echo", "--help");
    assert.equal(r.code, 0);
    const text = r.out.join("\n");
    for (const flag of ["--aet", "--call", "--key", "--cert", "--anonymous-tls", "--trusted", "--repeat", "--config"]) assert.match(text, new RegExp(flag));
  });

  test("as a process: exit codes 0 and 2 reach the shell, the usage error is one line on stderr", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0, help.output);
    assert.match(help.stdout, /Usage: dicomtls/);
    const bad = await runCli(["echo", "127.0.0.1", "0"]);
    assert.equal(bad.code, 2, bad.output);
    assert.equal(bad.stdout, "");
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  });
});

describe("cert dev-pki DIR", () => {
  test("writes ca.crt, node.crt/key (localhost and 127.0.0.1), client.crt/key; the keys match; the node is issued by the CA", async () => {
    const dir = `${tmp.path}/pki`;
    const r = await cli("cert", "dev-pki", dir);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(r.out.join("\n"), /development PKI written to/);
    const ca = new X509Certificate(readFileSync(`${dir}/ca.crt`));
    const node = new X509Certificate(readFileSync(`${dir}/node.crt`));
    const client = new X509Certificate(readFileSync(`${dir}/client.crt`));
    assert.ok(ca.ca, "ca.crt is a CA");
    assert.ok(node.verify(ca.publicKey), "node.crt is signed by ca.crt");
    assert.ok(client.verify(ca.publicKey), "client.crt is signed by ca.crt");
    assert.ok(node.checkHost("localhost"), "node.crt names localhost");
    assert.ok(node.checkIP("127.0.0.1"), "node.crt names 127.0.0.1");
    assert.ok(node.checkPrivateKey(createPrivateKey(readFileSync(`${dir}/node.key`))), "node.key matches node.crt");
    assert.ok(client.checkPrivateKey(createPrivateKey(readFileSync(`${dir}/client.key`))), "client.key matches client.crt");
  });

  test("refuses to overwrite an existing PKI without --force (exit 1, one line naming the file), replaces it with --force", async () => {
    const dir = `${tmp.path}/twice`;
    assert.equal((await cli("cert", "dev-pki", dir)).code, 0);
    const first = readFileSync(`${dir}/node.crt`, "utf8");
    const again = await cli("cert", "dev-pki", dir);
    assert.equal(again.code, 1);
    assert.equal(again.err.length, 1, again.err.join("\n"));
    assert.match(again.err[0] ?? "", /node\.crt already exists; pass --force/);
    assert.equal(readFileSync(`${dir}/node.crt`, "utf8"), first, "left untouched");
    assert.equal((await cli("cert", "dev-pki", dir, "--force")).code, 0);
    assert.notEqual(readFileSync(`${dir}/node.crt`, "utf8"), first, "replaced");
  });
});
