import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../../src/io/http-get.js';
import { receivedChunks } from '../../src/io/received-chunks.js';

// A body announced at 10 000 bytes of which 1 000 are sent before the server drops the connection.
const SENT = 1000;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '10000' });
    res.write(Buffer.alloc(SENT, 7), () => res.socket?.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cut`;
});
afterAll(() => {
  server.close();
});

describe('receivedChunks', () => {
  it('hands over the bytes that arrived before the connection was cut, then throws the cut', async () => {
    const { response } = await httpGet(url);
    // Nothing read until node has torn the response down: the bytes sit in its buffer, as they do
    // when a reader is busy writing to disk at the moment of the cut.
    const closed = new Promise((resolve) => response.once('close', resolve));
    response.on('error', () => undefined);
    await closed;
    expect(response.destroyed).toBe(true);
    let got = 0;
    const error = await (async () => {
      for await (const chunk of receivedChunks(response)) got += chunk.length;
    })().catch((e: unknown) => e);
    expect(got).toBe(SENT);
    expect((error as Error).message).toBe('aborted');
  });

  it('passes a complete body through unchanged', async () => {
    const whole = createServer((_req, res) => res.end(Buffer.alloc(300_000, 1)));
    whole.listen(0, '127.0.0.1');
    await once(whole, 'listening');
    try {
      const { response } = await httpGet(`http://127.0.0.1:${(whole.address() as AddressInfo).port}/`);
      let got = 0;
      for await (const chunk of receivedChunks(response)) got += chunk.length;
      expect(got).toBe(300_000);
    } finally {
      whole.close();
    }
  });
});
