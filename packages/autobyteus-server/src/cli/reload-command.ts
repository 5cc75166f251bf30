import type { Command } from 'commander';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { printJson } from './output.js';

/** `reload`: asks the running server to rediscover its models. */
export function registerReloadCommand(program: Command): void {
  program
    .command('reload')
    .description('make the running server rediscover models (POST /api/models/reload)')
    .option('--runtime <runtime>', 'only this runtime (llama_cpp, mlx, lmstudio, ollama)')
    .option('--server <url>', 'server base URL (default from AUTOBYTEUS_HOST / AUTOBYTEUS_PORT)')
    .option('--json', 'print JSON')
    .action(async (options: { runtime?: string; server?: string; json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const v = config.values;
      const base =
        options.server ??
        `http://${v.AUTOBYTEUS_HOST === '0.0.0.0' ? '127.0.0.1' : v.AUTOBYTEUS_HOST}:${v.AUTOBYTEUS_PORT}`;
      const url = `${base.replace(/\/$/, '')}/api/models/reload${options.runtime ? `?runtime=${encodeURIComponent(options.runtime)}` : ''}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: v.AUTOBYTEUS_API_TOKEN ? { authorization: `Bearer ${v.AUTOBYTEUS_API_TOKEN}` } : {},
          signal: AbortSignal.timeout(60_000),
        });
      } catch {
        throw new Error(`no server answers at ${base}; start it with \`autobyteus-server serve\` or pass --server`);
      }
      const body = (await response.json()) as {
        added?: string[];
        removed?: string[];
        kept?: string[];
        error?: { message: string };
      };
      if (!response.ok)
        throw new Error(`reload failed (HTTP ${response.status}): ${body.error?.message ?? 'unknown error'}`);
      if (options.json) return printJson(body);
      console.log(
        `added ${body.added?.length ?? 0}, removed ${body.removed?.length ?? 0}, kept ${body.kept?.length ?? 0}`,
      );
      for (const id of body.added ?? []) console.log(`  + ${id}`);
      for (const id of body.removed ?? []) console.log(`  - ${id}`);
    });
}
