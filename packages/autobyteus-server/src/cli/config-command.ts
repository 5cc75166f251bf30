import type { Command } from 'commander';
import { loadServerConfig, maskSecret } from '../config/server-config.js';
import type { GlobalOptions } from './cli-context.js';
import { printJson, printTable } from './output.js';

/** `config check`: the effective configuration, secrets masked, with where each value came from. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('configuration');
  config
    .command('check')
    .description('validate the configuration and print the effective values with their sources')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const loaded = loadServerConfig({ configPath: command.optsWithGlobals<GlobalOptions>().config });
      const show = (value: unknown, secret: boolean) => {
        if (value === undefined) return undefined;
        if (secret) return maskSecret(String(value));
        return Array.isArray(value) ? value.join(',') : String(value);
      };
      const rows = loaded.entries.map((e) => ({
        key: e.key.env,
        value: show(e.value, 'secret' in e.key && e.key.secret === true),
        source: e.source ?? 'unset',
      }));
      if (options.json) {
        printJson({
          configFile: { path: loaded.configPath, found: loaded.configFileFound },
          dotenv: { path: loaded.dotenvPath, found: loaded.dotenvFound },
          home: loaded.home,
          values: rows,
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
      for (const warning of loaded.warnings) console.log(`warning: ${warning}`);
      console.log('\nconfiguration OK');
    });
}
