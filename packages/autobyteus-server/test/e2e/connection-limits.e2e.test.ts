import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { closedByServer, parseResponse } from '../support/raw-http.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// Socket-level limits of the server process, with its default settings: idle connections are
// closed, a long silent stream is not, and an oversized upload gets a readable 413.
let engine: StubEngine;
let server: ServerProcess;
let port: number;
let modelId: string;
/** Releases the held chat stream (see the stream test). */
let release: () => void = () => {};
let held: Promise<void> = Promise.resolve();
let heldRequestArrived: () => void = () => {};

beforeAll(async () => {
  const stream = replay(loadFixture('llama-cpp', 'chat-stream'));
  engine = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
    'POST /v1/chat/completions': async (req, res, body) => {
      // The engine "thinks" silently until the test lets it answer.
      heldRequestArrived();
      await held;
      await stream(req, res, body);
    },
  });
  const home = tempHome(
    `[server]\nport = 0\n[llama_cpp]\nhosts = ["${engine.url}"]\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`,
  );
  server = await startServerProcess(home);
  port = Number(new URL(server.url).port);
  modelId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  release();
  await server?.stop();
  await engine?.close();
});

describe('idle connections', () => {
  it('a connection that never sends a request is closed by the server', async () => {
    const socket = connect(port, '127.0.0.1');
    expect(await closedByServer(socket)).toBe('');
  }, 60_000);

  it('a keep-alive connection is closed after its response, and the timeout is advertised', async () => {
    const socket = connect(port, '127.0.0.1');
    const received = closedByServer(socket);
    socket.write('GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    const response = parseResponse(await received);
    expect(response.status).toBe(200);
    expect(response.headers['keep-alive']).toMatch(/^timeout=\d+$/);
  }, 60_000);

  it('a stream whose engine stays silent outlives idle connections opened after it', async () => {
    held = new Promise((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      heldRequestArrived = resolve;
    });
    const streaming = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: modelId, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    await arrived;
    // Opened later than the stream's connection: were the stream bounded like an idle socket, it
    // would be cut first.
    await closedByServer(connect(port, '127.0.0.1'));
    release();
    const response = await streaming;
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data: [DONE]');
  }, 60_000);
});

describe('oversized uploads', () => {
  const size = 11 * 1024 * 1024;

  /** Sends an 11 MB body over a raw socket, writing while the server answers, and reads the answer. */
  const upload = () =>
    new Promise<{ text: string; error?: string }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let error: string | undefined;
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        error = e.code;
      });
      socket.on('close', () => resolve({ text, error }));
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
      );
      socket.end(Buffer.alloc(size, 0x20));
    });

  it('an 11 MB body gets a readable 413 with connection: close, every time', async () => {
    for (let i = 0; i < 6; i++) {
      const { text, error } = await upload();
      expect(text.slice(0, 40), `attempt ${i} (socket error ${error})`).toMatch(/^HTTP\/1\.1 413 /);
      const response = parseResponse(text);
      expect(response.headers.connection).toBe('close');
      expect(JSON.parse(response.body).error.message).toContain('larger than');
      expect(error, `attempt ${i}`).toBeUndefined();
    }
  }, 120_000);

  it('fetch sees the 413 too, and the server keeps serving', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(size, 0x20),
      });
      expect(response.status).toBe(413);
      expect((await response.json()).error.type).toBe('request_too_large');
    }
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  }, 120_000);
});

describe('AUTOBYTEUS_KEEP_ALIVE_TIMEOUT_MS', () => {
  it('sets how long an idle keep-alive connection is kept, and the advertised timeout', async () => {
    const home = tempHome(
      '[server]\nport = 0\nkeep_alive_timeout_ms = 2000\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n',
    );
    const short = await startServerProcess(home);
    try {
      const socket = connect(Number(new URL(short.url).port), '127.0.0.1');
      const received = closedByServer(socket);
      socket.write('GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      const response = parseResponse(await received);
      expect(response.status).toBe(200);
      expect(response.headers['keep-alive']).toBe('timeout=2');
    } finally {
      await short.stop();
    }
  }, 60_000);
});
