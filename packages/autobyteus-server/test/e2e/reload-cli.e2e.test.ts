import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, tempHome } from '../support/server-process.js';

// `reload` talks to a running server over HTTP: what it says when that server is absent, is not
// ours, or refuses it. (The happy path against the real server is in user-commands.e2e.)
let stub: Server | undefined;
afterEach(() => {
  stub?.close();
  stub = undefined;
});

async function serveOnce(status: number, contentType: string, body: string): Promise<string> {
  stub = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => stub!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
}

describe('autobyteus-server reload', () => {
  it('no server: says none answers and how to start one', async () => {
    const result = await runCli(['reload', '--server', 'http://127.0.0.1:9'], cleanEnv(tempHome()));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no server answers at http://127.0.0.1:9; start it with `autobyteus-server serve`');
  });

  it('something else on the port (HTML): says it is not a reload result', async () => {
    const url = await serveOnce(200, 'text/html', '<html>hello</html>');
    const result = await runCli(['reload', '--server', url], cleanEnv(tempHome()));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${url} answered HTTP 200 without a reload result`);
  });

  it('a refusal: the status and the server message', async () => {
    const url = await serveOnce(401, 'application/json', JSON.stringify({ error: { message: 'missing token' } }));
    const result = await runCli(['reload', '--server', url], cleanEnv(tempHome()));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('reload failed (HTTP 401): missing token');
  });
});
