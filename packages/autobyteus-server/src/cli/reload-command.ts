import type { Command } from 'commander';
import { z } from 'zod';
import { getText, type TextResponse } from '../io/http-get.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { printJson } from './output.js';

/** The answer of `POST /api/models/reload` (or an OpenAI-style error). */
const reloadAnswer = z.object({
  added: z.array(z.string()).optional(),
  removed: z.array(z.string()).optional(),
  kept: z.array(z.string()).optional(),
  error: z.object({ message: z.string() }).optional(),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

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
      let response: TextResponse;
      try {
        response = await getText(url, {
          method: 'POST',
          headers: v.AUTOBYTEUS_API_TOKEN ? { authorization: `Bearer ${v.AUTOBYTEUS_API_TOKEN}` } : {},
          timeoutMs: 60_000,
          maxRedirects: 0,
        });
      } catch {
        throw new Error(`no server answers at ${base}; start it with \`autobyteus-server serve\` or pass --server`);
      }
      const parsed = reloadAnswer.safeParse(parseJson(response.text));
      if (!parsed.success) {
        throw new Error(`${base} answered HTTP ${response.status} without a reload result: is it autobyteus-server?`);
      }
      const body = parsed.data;
      if (response.status !== 200) {
        throw new Error(`reload failed (HTTP ${response.status}): ${body.error?.message ?? 'unknown error'}`);
      }
      if (options.json) return printJson(body);
      console.log(
        `added ${body.added?.length ?? 0}, removed ${body.removed?.length ?? 0}, kept ${body.kept?.length ?? 0}`,
      );
      for (const id of body.added ?? []) console.log(`  + ${id}`);
      for (const id of body.removed ?? []) console.log(`  - ${id}`);
    });
}
