import { formatByteSize, formatDuration } from 'autobyteus';
import type { Command } from 'commander';
import type { ConfigKey } from '../config/config-keys.js';
import { formatModelSettings } from '../config/model-settings.js';
import { loadServerConfig, maskSecret } from '../config/server-config.js';
import type { GlobalOptions } from './cli-context.js';
import { printJson, printTable } from './output.js';

/** A value as `config check` shows it: secrets masked, lists comma-joined, durations and sizes with units. */
function showValue(key: ConfigKey, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (key.secret) return maskSecret(String(value));
  if (key.type === 'duration') return formatDuration(value as number);
  if (key.type === 'bytes') return formatByteSize(value as number);
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * `config check`: the effective configuration, secrets masked, with where each value came from, then the
 * per-model settings from config.toml.
 */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('configuration');
  config
    .command('check')
    .description('validate the configuration and print the effective values with their sources')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const loaded = loadServerConfig({ configPath: command.optsWithGlobals<GlobalOptions>().config });
      const rows = loaded.entries.map((e) => ({
        key: e.key.env,
        value: showValue(e.key, e.value),
        source: e.source ?? 'unset',
      }));
      if (options.json) {
        printJson({
          configFile: { path: loaded.configPath, found: loaded.configFileFound },
          dotenv: { path: loaded.dotenvPath, found: loaded.dotenvFound },
          home: loaded.home,
          values: rows,
          models: loaded.models,
          warnings: loaded.warnings,
        });
        return;
      }
      console.log(`config file: ${loaded.configPath}${loaded.configFileFound ? '' : ' (not found; defaults apply)'}`);
      console.log(`.env:        ${loaded.dotenvPath}${loaded.dotenvFound ? '' : ' (not found)'}`);
      console.log(`home:        ${loaded.home}\n`);
      printTable(
        ['KEY', 'VALUE', 'SOURCE'],
        rows.map((r) => [r.key, r.value, r.source]),
      );
      const models = Object.entries(loaded.models);
      if (models.length) {
        console.log('\nper-model settings (config.toml [models."name"]):');
        printTable(
          ['MODEL', 'SETTINGS'],
          models.map(([name, settings]) => [name, formatModelSettings(settings)]),
        );
      }
      for (const warning of loaded.warnings) console.log(`warning: ${warning}`);
      console.log('\nconfiguration OK');
    });
}
