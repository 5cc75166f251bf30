import { describe, expect, it } from 'vitest';
import type { LogFormat } from '../../src/logging/log-format.js';
import { createServerLogger, serializeRequest } from '../../src/logging/server-logger.js';

const SECRET = 'sk-SECRET-TOKEN-9d41';
const PROMPT = 'PROMPT-TEXT-a7c2';

/** A logger of the given format writing into a string. */
function capture(format: LogFormat, logPrompts = false) {
  const lines: string[] = [];
  const logger = createServerLogger({
    level: 'debug',
    logPrompts,
    format,
    destination: { write: (text: string) => void lines.push(text) },
  });
  return { logger, text: () => lines.join('') };
}

/** Every kind of record that can carry a secret or a prompt, as the server logs them. */
function logEverything(logger: ReturnType<typeof capture>['logger']): void {
  logger.info({ apiKey: SECRET, token: SECRET }, 'keys');
  logger.info({ upstream: { apiKey: SECRET, token: SECRET } }, 'nested keys');
  logger.info({ headers: { authorization: `Bearer ${SECRET}` } }, 'headers');
  logger.info({ req: { headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET } } }, 'request headers');
  logger.info({ messages: [{ role: 'user', content: PROMPT }], prompt: PROMPT }, 'prompt fields');
  logger.info({ request: { body: PROMPT, content: PROMPT, completion: PROMPT } }, 'nested prompt fields');
  logger.info({ req: serializeRequest({ method: 'GET', url: `/v1/models?api_key=${SECRET}` }) }, 'incoming request');
}

describe('redaction holds in both log formats', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`${format}: secrets and prompt text never appear, the records do`, () => {
      const { logger, text } = capture(format);
      logEverything(logger);
      const out = text();
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain(PROMPT);
      expect(out).toContain('[redacted]');
      for (const message of ['keys', 'nested keys', 'headers', 'prompt fields', 'incoming request']) {
        expect(out).toContain(message);
      }
      expect(out).toContain('/v1/models?api_key=[redacted]');
    });
  }

  it('LOG_PROMPTS=true shows prompt text, in both formats, and still hides the secrets', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, text } = capture(format, true);
      logEverything(logger);
      expect(text()).toContain(PROMPT);
      expect(text()).not.toContain(SECRET);
    }
  });
});

describe('the pretty format', () => {
  it('prints one readable line per record: level, source, message, key=value fields; no JSON', () => {
    const { logger, text } = capture('pretty');
    logger.child({ engine: 'llama-cpp' }).info({ enginePid: 4242, port: 18000 }, 'engine ready');
    logger.info({ url: 'http://127.0.0.1:8765', auth: 'none (loopback)' }, 'autobyteus-server listening');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: \[llama-cpp\] engine ready enginePid=4242 port=18000$/,
    );
    expect(lines[1]).toMatch(
      /INFO: autobyteus-server listening url=http:\/\/127\.0\.0\.1:8765 auth="none \(loopback\)"$/,
    );
    for (const line of lines) expect(line.trimStart().startsWith('{')).toBe(false);
    // No colour codes unless asked for (a file or pipe forced to pretty).
    expect(text()).not.toContain('\u001b[');
  });

  it('shows control characters from engine or client text escaped, never raw', () => {
    const { logger, text } = capture('pretty');
    logger.debug({ stream: 'stderr' }, 'engine says \u001b]0;owned\u0007 hi');
    expect(text()).not.toContain('\u001b');
    expect(text()).not.toContain('\u0007');
    expect(text()).toContain('engine says \\u001b]0;owned\\u0007 hi');
  });

  it('shows the request line and status of request records', () => {
    const { logger, text } = capture('pretty');
    logger.info({ reqId: 'req-1', req: { method: 'GET', url: '/v1/models' } }, 'incoming request');
    logger.info({ reqId: 'req-1', res: { statusCode: 200 }, responseTime: 3.25 }, 'request completed');
    expect(text()).toContain('incoming request reqId=req-1 req=GET /v1/models');
    expect(text()).toContain('request completed reqId=req-1 res=200 responseTime=3.3ms');
  });

  it('shows the message of a logged error (the stack stays in the JSON format)', () => {
    const { logger, text } = capture('pretty');
    logger.warn({ err: new Error('engine exited with code 1') }, 'engine failed');
    expect(text()).toMatch(/WARN: engine failed err="engine exited with code 1"\n$/);
  });
});
