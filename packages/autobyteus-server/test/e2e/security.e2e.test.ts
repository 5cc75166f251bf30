import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http.js';
import { cleanEnv, runCli, startServerProcess, tempHome } from '../support/server-process.js';

const QUIET = '[server]\nport = 0\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';

describe('security defaults', () => {
  it('refuses to bind a non-loopback address without ALLOW_REMOTE', async () => {
    const home = tempHome(QUIET);
    const result = await runCli(['serve', '--host', '0.0.0.0'], cleanEnv(home));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0');
    expect(result.stderr).toContain('ALLOW_REMOTE=true');
  });

  it('with ALLOW_REMOTE it generates a token once (0600), shows it once and demands it', async () => {
    const home = tempHome(QUIET);
    const server = await startServerProcess(home, ['--host', '0.0.0.0'], { ALLOW_REMOTE: 'true' });
    try {
      const tokenFile = join(home, 'api-token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const token = /Generated API token[^\n]*\n\s+(\S+)/.exec(server.output())?.[1];
      expect(token).toBeTruthy();
      const port = new URL(server.url).port;
      const base = `http://127.0.0.1:${port}`;
      for (const path of ['/api/health', '/api/models', '/v1/models']) {
        const denied = await fetch(`${base}${path}`);
        expect(denied.status, path).toBe(401);
        expect((await denied.json()).error.type).toBe('authentication_error');
        const wrong = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer wrong' } });
        expect(wrong.status, path).toBe(401);
        const allowed = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(allowed.status, path).toBe(200);
      }
      const denied = await fetch(`${base}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(denied.status).toBe(401);
      // The targets the fault-injection run got through with (request-target.e2e covers the family).
      for (const line of [
        'GET /%761/models',
        'GET /%61pi/engines',
        'POST /%761/chat/completions',
        'POST /%61pi/models/reload',
        'GET http://x/v1/models',
      ]) {
        const raw = await rawRequest(
          Number(port),
          `${line} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json`,
          '{}',
        );
        expect(raw.status, line).toBe(401);
      }
    } finally {
      await server.stop();
    }
    // Second start: the stored token is reused and not shown again.
    const again = await startServerProcess(home, ['--host', '0.0.0.0'], { ALLOW_REMOTE: 'true' });
    await again.stop();
    expect(again.output()).not.toContain('Generated API token');
  });

  it('a configured token is required even on loopback, and never logged', async () => {
    const home = tempHome(QUIET);
    const secret = 'configured-token-abc-123456';
    const server = await startServerProcess(home, [], { AUTOBYTEUS_API_TOKEN: secret, LOG_LEVEL: 'debug' });
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(401);
      expect((await fetch(`${server.url}/api/health`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(
        200,
      );
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toContain(secret);
  });
});
