import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { openAIError } from '../http/openai-error.js';

/** Where the console is served; `/` redirects here. */
export const CONSOLE_PATH = '/ui';

/**
 * Every file the console consists of, by the name it is served under (`/ui/<name>`). A fixed list:
 * the URL only ever selects one of these routes, it never becomes a path. Kept in step with
 * `console/` by test/console/console-assets.test.ts.
 */
export const CONSOLE_ASSETS: readonly string[] = [
  'console.css',
  'main.js',
  'api-client.js',
  'token-prompt.js',
  'dom.js',
  'read-json.js',
  'format.js',
  'sse-reader.js',
  'prometheus-text.js',
  'sparkline.js',
  'hosts-panel.js',
  'models-panel.js',
  'job-view.js',
  'engines-panel.js',
  'pulls-panel.js',
  'metrics-panel.js',
  'chat-panel.js',
];

/**
 * No inline script or style, nothing from another origin; API calls go to this server only. The
 * page is never framed (its buttons load and unload models).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The built console (dist/console/web), next to this module once compiled. */
const DEFAULT_ASSET_DIR = join(import.meta.dirname, 'web');

function contentType(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
}

export interface ConsoleOptions {
  /** Folder of the built assets (tests may point elsewhere). */
  assetDir?: string;
}

/**
 * `GET /ui` (the page), `GET /ui/<asset>` for each name in {@link CONSOLE_ASSETS}, and `GET /` → `/ui`.
 * These routes are public: they hold no data, only the page's code; every API call the page makes
 * carries the bearer token like any other client. Files are read once, at registration.
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): void {
  const dir = options.assetDir ?? DEFAULT_ASSET_DIR;
  const read = (name: string): Buffer | undefined => {
    try {
      return readFileSync(join(dir, name));
    } catch {
      return undefined;
    }
  };
  const send = (reply: FastifyReply, name: string, body: Buffer | undefined) => {
    if (!body) {
      return reply
        .code(503)
        .send(openAIError(`console asset ${name} is not built (npm run build)`, 'server_error', 'console_not_built'));
    }
    return reply
      .header('content-type', contentType(name))
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(body);
  };
  const page = read('index.html');
  const serve = (path: string, name: string, body: Buffer | undefined) =>
    app.get(path, { config: { public: true } }, async (_request, reply) => send(reply, name, body));
  serve(CONSOLE_PATH, 'index.html', page);
  serve(`${CONSOLE_PATH}/`, 'index.html', page);
  for (const name of CONSOLE_ASSETS) serve(`${CONSOLE_PATH}/${name}`, name, read(name));
  app.get('/', { config: { public: true } }, async (_request, reply) => reply.redirect(CONSOLE_PATH, 302));
}
