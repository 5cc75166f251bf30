import type { Command } from 'commander';
import { discovered } from './discovered.js';
import { printJson, printTable } from './output.js';

/** `health`: probes every configured host in-process, with the services the server uses. */
export function registerHealthCommand(program: Command): void {
  program
    .command('health')
    .description('probe every configured host and show its health')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { factory } = await discovered(command);
      const hosts = factory.getHostHealth();
      if (options.json) printJson(hosts);
      else
        printTable(
          ['RUNTIME', 'HOST', 'STATUS', 'LATENCY', 'MODELS', 'ERROR'],
          hosts.map((h) => [h.runtime, h.hostUrl, h.status, `${h.latencyMs} ms`, h.modelCount, h.error]),
        );
      await factory.close();
      if (hosts.some((h) => h.status !== 'up')) process.exitCode = 1;
    });
}
