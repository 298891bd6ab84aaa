import { ConfigError, formatIssue, loadConfig } from "@dicomtls/config";
import { RouterQueue, ROUTER_SETTINGS_KEY, queueFileOf, routerSettings } from "@dicomtls/plugin-router";
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { CliIo, RegisterCommand } from "../options.js";

/** The router queue of CONFIG (its Router section, StorageDirectory), or undefined after printing why not. */
async function openQueue(configPath: string, env: NodeJS.ProcessEnv, io: CliIo): Promise<RouterQueue | undefined> {
  try {
    const loaded = await loadConfig(configPath, { env });
    const section = loaded.checkSection(ROUTER_SETTINGS_KEY, routerSettings);
    if (!section.ok) {
      io.err(`dicomtls: the ${ROUTER_SETTINGS_KEY} section of ${configPath} is not valid:`);
      for (const issue of section.issues) io.err(`  ${formatIssue(issue)}`);
      return undefined;
    }
    const target = resolve(configPath);
    const configDirectory = statSync(target).isDirectory() ? target : dirname(target);
    const file = queueFileOf(section.value, loaded.config.storageDirectory, configDirectory);
    if (!existsSync(file)) {
      io.err(`dicomtls: no router queue at ${file} (the router plugin has not run with this configuration)`);
      return undefined;
    }
    return new RouterQueue(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`dicomtls: the configuration ${configPath} is not valid:`);
    for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
    return undefined;
  }
}

export async function runRouterStatus(configPath: string, options: { readonly json: boolean }, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const queue = await openQueue(configPath, env, io);
  if (queue === undefined) return 1;
  try {
    const status = queue.status();
    if (options.json) {
      io.out(JSON.stringify({ queue: queue.file, destinations: status }));
      return 0;
    }
    if (status.length === 0) io.out(`queue ${queue.file}: empty`);
    for (const d of status) {
      const oldest = d.oldestMs === null ? "" : `, oldest waiting since ${new Date(d.oldestMs).toISOString()}`;
      io.out(`${d.destination}: ${d.queued} waiting, ${d.dead} dead letter${d.dead === 1 ? "" : "s"}${oldest}`);
      for (const f of d.failures) io.out(`  ${f.state === "dead" ? "dead" : "retry"} ${f.sopInstanceUid} after ${f.attempts} attempt${f.attempts === 1 ? "" : "s"}: ${f.error}`);
    }
    return 0;
  } finally {
    queue.close();
  }
}

export async function runRouterRetry(configPath: string, destination: string | undefined, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const queue = await openQueue(configPath, env, io);
  if (queue === undefined) return 1;
  try {
    const n = queue.retry(destination, Date.now());
    io.out(`${n} dead letter${n === 1 ? "" : "s"}${destination === undefined ? "" : ` of ${destination}`} back in the queue (a running node sends them within seconds)`);
    return 0;
  } finally {
    queue.close();
  }
}

/** The `router` group: the router plugin's queue, read and changed beside a running node (SQLite WAL). */
export const registerRouter: RegisterCommand = (program, { io, env, setExitCode }) => {
  const router = program.command("router").description("the router plugin's forwarding queue (Router section)");
  router
    .command("status")
    .description("queue depth and dead letters per destination, and the last failures with their reasons")
    .argument("<config>", "configuration file or folder")
    .option("--json", "print one JSON object instead of text")
    .action(async (path: string, o: { json?: boolean }) => setExitCode(await runRouterStatus(path, { json: o.json === true }, env, io)));
  router
    .command("retry")
    .description("put dead letters (of DEST, or all) back in the queue")
    .argument("<config>", "configuration file or folder")
    .argument("[dest]", "a DicomModalities name")
    .action(async (path: string, dest: string | undefined) => setExitCode(await runRouterRetry(path, dest, env, io)));
};
