import type { ServerResponse } from 'node:http';
import { printable } from './untrusted-text.js';

/** How often a client waiting for a model load gets a comment line. */
export const LOADING_COMMENT_INTERVAL_MS = 2_000;

/**
 * Starts an SSE response for a client whose model is still loading and keeps it alive with comment
 * lines (`: loading <model> (3 s)`), which OpenAI clients and EventSource ignore. Returns a stop
 * function; the stream itself continues on `res`.
 */
export function startLoadingComments(
  res: ServerResponse,
  options: { model: string; headers: Record<string, string>; intervalMs?: number },
): () => void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...options.headers,
  });
  const started = Date.now();
  const say = () =>
    res.write(`: loading ${printable(options.model, 200)} (${Math.round((Date.now() - started) / 1000)} s)\n\n`);
  say();
  const timer = setInterval(say, options.intervalMs ?? LOADING_COMMENT_INTERVAL_MS);
  return () => clearInterval(timer);
}
