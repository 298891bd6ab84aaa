/**
 * The status page in Debian's headless Chromium (driven by playwright-core, no downloaded browser): while a
 * `storescu +tls` transfer runs it shows that association with its TLS version and the peer's certificate subject,
 * then the refusal of an untrusted client with its reason. No console error, no CSP violation (and the CSP is shown to
 * be enforced), and a screenshot in the test output folder (tmp/test-output/, ignored by git).
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { writeCert } from "@dicomtls/test-pki";
import { dcmtkEnv, repoRoot, requireTool, startProcess, stopAll, tempDir, writePart10File, type TrackedProcess } from "@dicomtls/test-peers";
import { assertEchoRefused, echoscu, waitForTlsRefusal } from "./helpers.js";
import { startHttpNode, type HttpNode } from "./http-support.js";
import { writePki, type NodeFiles } from "./store-support.js";

const CHROMIUM = "/usr/bin/chromium";

/** The few DOM members used in page functions (this package's TypeScript has no DOM types). */
interface PageDocument {
  addEventListener(type: "securitypolicyviolation", fn: (e: { violatedDirective: string }) => void, options: { once: boolean }): void;
  createElement(tag: "script"): { textContent: string };
  body: { append(node: unknown): void };
}
for (const tool of ["echoscu", "storescu"]) requireTool(tool);
assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run \`bash scripts/setup-peers.sh\` (Debian's chromium package)`);
const tmp = tempDir("dicomtls-status-page-");
const OUTPUT = join(repoRoot, "tmp", "test-output");
/** One small instance sent this many times with new UIDs (+II): the association stays open for seconds. */
const REPEAT = 3000;

let browser: BrowserContext | undefined;
after(async () => {
  await browser?.close();
  await stopAll();
  tmp.remove();
});

describe("the status page in headless Chromium", () => {
  let files: NodeFiles;
  let node: HttpNode;
  let page: Page;
  let storescu: TrackedProcess;
  const problems: string[] = [];

  before(async () => {
    files = await writePki(tmp.path);
    node = await startHttpNode(tmp.path, "node.json", files, join(tmp.path, "storage"));
    // A new empty profile (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "dicomtls-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1400, height: 1000 },
    });
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // Runs before the page's own script, outside its CSP: every violation becomes a console error above.
    // (Page code is given as text: this package's TypeScript has no DOM types.)
    await page.addInitScript({ content: 'document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));' });
    const res = await page.goto(`${node.base}/`);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()["content-security-policy"]?.startsWith("default-src 'self'"), true);
    await page.locator("#live", { hasText: "live" }).waitFor({ timeout: 15_000 });
  });
  after(() => node.server.stop());

  test("while storescu +tls runs: the association with its TLS version and the peer's certificate subject", async () => {
    const src = join(tmp.path, "src");
    mkdirSync(src);
    const one = await writePart10File(join(src, "small.dcm"), { seed: 4242, rows: 64, columns: 64, sequences: false });
    storescu = await startProcess(
      "storescu",
      ["-aet", "STORESCU", "-aec", "DICOMTLS", "+tls", files.clientKey, files.clientCert, "+cf", files.caFile, "--repeat", String(REPEAT), "+II", "127.0.0.1", String(node.server.port), one.path],
      { env: dcmtkEnv() },
    );
    const row = page.locator("#associations tbody tr", { hasText: "STORESCU" });
    await row.waitFor({ timeout: 20_000 });
    const text = await row.innerText();
    assert.match(text, /TLSv1\.[23]/, text);
    // The test PKI's client certificate (store-support: createTestPki({ name: "store-" })).
    assert.match(text, /CN=store-[^\n]*client/i, text);
    assert.match(text, /127\.0\.0\.1:\d+/, text);
    // The transfer was still running when the page showed it.
    assert.equal(storescu.child.exitCode, null, "storescu ended before the page showed its association: raise REPEAT");
    // The chart and counters move while it runs.
    // (Locators, not waitForFunction: the page's CSP forbids the eval it would need, and that is the point.)
    await page.locator("#stored", { hasText: /^[1-9]\d*$/ }).waitFor({ timeout: 20_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, "status-page-transfer.png"), fullPage: true });
    assert.equal(await storescu.exited, 0, storescu.output());
    await row.waitFor({ state: "detached", timeout: 20_000 });
  });

  test("an untrusted client: the refusal with its reason appears", async () => {
    const stranger = writeCert(tmp.path, "other-ca", await files.pki.variants.otherCa());
    const r = await echoscu(["-aet", "STRANGER", "127.0.0.1", String(node.server.port), "+tls", stranger.keyFile, stranger.chainFile, "+cf", files.caFile]);
    assertEchoRefused(r);
    const logged = await waitForTlsRefusal(node.server, /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    const row = page.locator("#refusals tbody tr", { hasText: String(logged["reason"]) });
    await row.waitFor({ timeout: 15_000 });
    const text = await row.innerText();
    assert.match(text, /tls-peer/, text);
    assert.match(text, /other-ca/i, text);
    assert.match(text, /127\.0\.0\.1:\d+/, text);
    // The stored count of the transfer is on the page too.
    assert.equal(await page.locator("#stored").innerText(), String(REPEAT));
    await page.screenshot({ path: join(OUTPUT, "status-page.png"), fullPage: true });
    assert.ok(existsSync(join(OUTPUT, "status-page.png")));
  });

  test("no console error and no CSP violation; the CSP is enforced (an inline script is blocked)", async () => {
    assert.deepEqual(problems, []);
    const directive = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const doc = (globalThis as unknown as { document: PageDocument }).document;
          doc.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
          const s = doc.createElement("script");
          s.textContent = "document.title = 'inline ran'";
          doc.body.append(s);
        }),
    );
    assert.match(String(directive), /^script-src/);
    assert.notEqual(await page.title(), "inline ran");
  });
});
