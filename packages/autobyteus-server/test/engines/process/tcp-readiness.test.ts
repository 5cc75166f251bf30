import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../autobyteus/test/support/real-engines.js';
import { tcpReadiness } from '../../../src/engines/process/readiness-probe.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const context = (url: string, signal: AbortSignal) => ({
  url,
  signal,
  adopted: false,
  waitForLine: () => new Promise<string>(() => undefined),
});

describe('tcpReadiness (engines without HTTP: the llama.cpp RPC server)', () => {
  it('resolves once the port accepts a connection, which it closes without sending a byte', async () => {
    const port = await freePort();
    const received: Buffer[] = [];
    let connections = 0;
    const ready = tcpReadiness({ intervalMs: 10 }).waitUntilReady(
      context(`http://127.0.0.1:${port}`, new AbortController().signal),
    );
    let settled = false;
    void ready.then(() => {
      settled = true;
    });
    // Nothing listens yet: the probe keeps trying.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    const closed = new Promise<void>((resolve) => {
      server = createServer((socket) => {
        connections++;
        socket.on('data', (chunk) => received.push(chunk));
        socket.on('close', () => resolve());
      }).listen(port, '127.0.0.1');
    });
    await ready;
    await closed;
    expect(connections).toBe(1);
    expect(Buffer.concat(received).length).toBe(0);
  });

  it('rejects when the start is aborted', async () => {
    const port = await freePort();
    const abort = new AbortController();
    const ready = tcpReadiness({ intervalMs: 10 }).waitUntilReady(context(`http://127.0.0.1:${port}`, abort.signal));
    abort.abort(new Error('stopped'));
    await expect(ready).rejects.toThrow('stopped');
  });
});
