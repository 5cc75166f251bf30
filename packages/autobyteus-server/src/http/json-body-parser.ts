import type { FastifyInstance } from 'fastify';

/**
 * Deepest object/array nesting a request body may have. OpenAI requests, tool schemas included,
 * stay far below it; deeper values overflow the stack of JSON.stringify and structuredClone later.
 */
export const MAX_JSON_DEPTH = 100;

/** A body refused before parsing; the error handler turns it into a 400 naming the problem. */
export class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
  readonly statusCode = 400;
  readonly code = 'json_too_deep';
  constructor(readonly limit: number) {
    super(`request body nests JSON objects/arrays deeper than ${limit} levels`);
  }
}

/** True when `text` nests `{`/`[` more than `limit` deep outside strings: one pass, no allocation. */
export function jsonDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * Replaces the JSON body parser with one that refuses over-deep bodies before parsing and then
 * parses as Fastify does by default (prototype-poisoning keys refused).
 */
export function registerJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDeeperThan(text, maxDepth)) {
      done(new JsonTooDeepError(maxDepth), undefined);
      return;
    }
    parse(request, text, done);
  });
}
