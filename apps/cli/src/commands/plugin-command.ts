import { ConfigError, formatIssue } from "@dicomtls/config";
import { checkPlugins, type PluginCheck } from "@dicomtls/server";
import type { CliIo, RegisterCommand } from "../options.js";

/** Settings as one line of JSON (secrets are the plugin's business: its schema decides what it keeps). */
const settingsText = (settings: unknown): string => (settings === undefined ? "none" : JSON.stringify(settings));

function print(check: PluginCheck, io: CliIo): void {
  for (const w of check.warnings) io.err(`warning: ${w}`);
  if (check.plugins.length === 0) {
    io.out("no plugin listed in Plugins");
    return;
  }
  for (const p of check.plugins) {
    io.out(`${p.name} ${p.version} (${p.source})`);
    if (p.dependencies.length > 0) io.out(`  dependencies: ${p.dependencies.join(", ")}`);
    io.out(`  settings${p.settingsKey === undefined ? "" : ` (${p.settingsKey})`}: ${settingsText(p.settings)}`);
    io.out(`  hooks: ${p.hooks.length === 0 ? "none" : p.hooks.join(", ")}`);
    if (p.services.length > 0) io.out(`  services: ${p.services.join(", ")}`);
  }
}

/** `plugin check CONFIG`: exit 0 when every plugin loads, validates and registers; 1 with the reasons otherwise. */
export async function runPluginCheck(configPath: string, options: { readonly json: boolean }, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let check: PluginCheck;
  try {
    check = await checkPlugins(configPath, { env });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`dicomtls: the configuration ${configPath} is not valid:`);
      for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
      return 1;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_DICOM_PLUGIN")) {
      io.err(`dicomtls: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
  if (options.json) io.out(JSON.stringify(check));
  else print(check, io);
  return 0;
}

/** The `plugin` group: `plugin check CONFIG` loads the configuration's plugins without opening any port. */
export const registerPlugin: RegisterCommand = (program, { io, env, setExitCode }) => {
  const plugin = program.command("plugin").description("the plugins of a configuration (its Plugins key)");
  plugin
    .command("check")
    .description("load each plugin of Plugins, validate its settings section and run its register without opening any port; print each plugin, its version, settings and hooks")
    .argument("<config>", "configuration file or folder")
    .option("--json", "print one JSON object ({ plugins, warnings }) instead of text")
    .action(async (path: string, o: { json?: boolean }) => {
      setExitCode(await runPluginCheck(path, { json: o.json === true }, env, io));
    });
};
