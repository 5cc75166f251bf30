import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../graphql/graphql-app.js';

// A server without a token (loopback, none configured) against what web pages can send it: a
// cross-origin POST (no preflight needed for a form or a no-cors fetch) and a request whose Host is
// a DNS name re-bound to 127.0.0.1. Raw node:http, since fetch may not set Host.
const WEB_APP = 'http://localhost:3000';
let open: RunningApp;
let withToken: RunningApp;

beforeAll(async () => {
  open = await startApp({ configToml: '', env: { AUTOBYTEUS_CORS_ORIGINS: WEB_APP } });
  withToken = await startApp({ configToml: '', apiToken: 'browser-guard-token-0123456789' });
});

afterAll(async () => {
  await open?.close();
  await withToken?.close();
});

/** A state-changing admin call (rediscovery) with the given headers; status and parsed body. */
function reload(
  base: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { error: { code: string; message: string } } }> {
  const url = new URL(`${base}/api/models/reload`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a server without a token refuses what web pages send it', () => {
  it('refuses a POST from another origin, naming what to do', async () => {
    const refused = await reload(open.url, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('origin_not_allowed');
    expect(refused.body.error.message).toContain('AUTOBYTEUS_CORS_ORIGINS');
    // `null` (sandboxed frames, file: pages) is another origin too.
    expect((await reload(open.url, { origin: 'null' })).status).toBe(403);
  });

  it('refuses a Host that is not a loopback name (DNS re-binding), even from its own origin', async () => {
    const port = new URL(open.url).port;
    const rebound = await reload(open.url, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body.error.code).toBe('host_not_allowed');
    expect(rebound.body.error.message).toContain('AUTOBYTEUS_API_TOKEN');
  });

  it('lets through its own origin (the console), origins on the allow-list, and clients that send no Origin', async () => {
    expect((await reload(open.url, { origin: open.url })).status).toBe(200);
    const port = new URL(open.url).port;
    expect((await reload(open.url, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(
      200,
    );
    expect((await reload(open.url, { origin: WEB_APP })).status).toBe(200);
    expect((await reload(open.url, {})).status).toBe(200);
  });

  it('leaves a server with a token to the token check: a foreign origin without it gets 401', async () => {
    const refused = await reload(withToken.url, { origin: 'https://evil.example' });
    expect(refused.status).toBe(401);
  });
});
