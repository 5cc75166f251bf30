import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../../src/io/http-get.js';

let server: Server;
let url: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('httpGet', () => {
  it('with an already aborted signal rejects with its reason and opens no connection', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the caller');
    controller.abort(reason);
    const before = connections;
    await expect(httpGet(url, { signal: controller.signal })).rejects.toBe(reason);
    // A later request's connection is accepted after any the aborted call would have opened
    // (connections are accepted in the order they were made): it is the only one.
    const { response } = await httpGet(url, { headers: { connection: 'close' } });
    response.resume();
    await once(response, 'end');
    expect(connections).toBe(before + 1);
  });

  it('aborted when the whole body is in but unread: the body fails with the reason, nothing is thrown elsewhere', async () => {
    const controller = new AbortController();
    const { response } = await httpGet(url, { signal: controller.signal });
    // The short body came with the headers (a kept-alive response, complete but not read): node frees
    // such a socket for reuse as soon as the body is read to its end.
    expect(response.complete).toBe(true);
    const reason = new Error('cancelled by the caller');
    controller.abort(reason);
    const read = (async () => {
      for await (const _ of response);
    })();
    await expect(read).rejects.toBe(reason);
  });

  it('aborted just as the body is read to its end: nothing is thrown outside the caller', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const controller = new AbortController();
      const { response } = await httpGet(url, { signal: controller.signal });
      expect(response.complete).toBe(true);
      const socket = response.socket;
      response.on('error', () => undefined);
      // The last bytes taken: node ends the response on the next tick and then frees its socket for
      // keep-alive. An abort in between used to destroy that socket with the reason as an 'error'
      // that was emitted after node had taken its listener off: an uncaught exception.
      expect(response.read()?.toString()).toBe('ok');
      controller.abort(new Error('cancelled by the caller'));
      await new Promise((resolve) => socket.once('close', resolve));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
