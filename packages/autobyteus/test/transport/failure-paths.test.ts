import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpClient } from '../../src/transport/http-client.js';
import {
  ContextOverflowError,
  EngineConnectionError,
  EngineLoadingError,
  EngineProtocolError,
  EngineTimeoutError,
  EngineUnauthorizedError,
  RequestAbortedError,
  StreamInterruptedError,
} from '../../src/transport/llm-errors.js';
import { OpenAICompatibleTransport } from '../../src/transport/openai-compatible-transport.js';
import { loadFixture } from '../support/fixtures.js';
import {
  garbage,
  hangBeforeHeaders,
  partialStream,
  queuedFor,
  replay,
  resetConnection,
  respond,
  type StubEngine,
  startStubEngine,
} from '../support/stub-engine.js';
import { caught, collect, helloBody, transportFor } from './test-transport.js';

let stub: StubEngine | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const CHAT = 'POST /v1/chat/completions';
const streamOnce = (url: string) => collect(transportFor(url).stream(helloBody(true)));

describe('engine error answers become typed errors', () => {
  it('400 context overflow (recorded) names host, model, sizes and the engine message', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'context-overflow-stream')) });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(ContextOverflowError);
    const overflow = error as ContextOverflowError;
    expect(overflow.status).toBe(400);
    expect(overflow.promptTokens).toBe(2097);
    expect(overflow.contextWindow).toBe(256);
    expect(overflow.host).toBe(stub.url);
    expect(overflow.model).toBe('SmolLM2-135M-Instruct');
    expect(overflow.message).toContain('exceeds the available context size');
    expect(overflow.message).toContain(stub.url);
  });

  it('401 (recorded) says the key is wrong', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'unauthorized-chat-wrong-key')) });
    const error = await caught(() => transportFor(stub!.url).complete(helloBody(false)));
    expect(error).toBeInstanceOf(EngineUnauthorizedError);
    expect((error as EngineUnauthorizedError).engineMessage).toBe('Invalid API Key');
    expect(error.message).toMatch(/API key/);
  });

  it('503 while loading (recorded) is a loading error', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'loading-chat')) });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineLoadingError);
    expect((error as EngineLoadingError).engineMessage).toBe('Loading model');
  });

  it('an MLX-style string error body keeps the engine message', async () => {
    stub = await startStubEngine({
      [CHAT]: respond(404, 'application/json', '{"error":"Model does/not-exist not found"}'),
    });
    const error = await caught(() => transportFor(stub!.url, 'mlx').complete(helloBody(false)));
    expect(error.message).toContain('Model does/not-exist not found');
    expect((error as StreamInterruptedError).status).toBe(404);
  });

  it('an error event mid-stream ends the stream with the engine message', async () => {
    const fixture = loadFixture('llama-cpp', 'chat-stream');
    stub = await startStubEngine({
      [CHAT]: async (req, res, body) => {
        await partialStream(fixture, 3, 'hang')(req, res, body);
        res.end('data: {"error":{"code":500,"message":"slot crashed","type":"server_error"}}\n\n');
      },
    });
    const chunks: unknown[] = [];
    const error = await caught(async () => {
      for await (const chunk of transportFor(stub!.url).stream(helloBody(true))) chunks.push(chunk);
    });
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).engineMessage).toBe('slot crashed');
    expect(chunks.length).toBeGreaterThan(0);
  });

  it('a stream that ends without [DONE] is interrupted, not complete', async () => {
    stub = await startStubEngine({ [CHAT]: partialStream(loadFixture('llama-cpp', 'chat-stream'), 4, 'end') });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.message).toContain('[DONE]');
  });
});

describe('misbehaving hosts', () => {
  it('a host that accepts and never answers costs the queue timeout', async () => {
    stub = await startStubEngine({ [CHAT]: hangBeforeHeaders });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect((error as EngineTimeoutError).phase).toBe('queue');
    expect(error.message).toMatch(/did not start answering within 1500 ms/);
  });

  describe('waiting for a free slot is not silence', () => {
    // Idle bound shorter than the wait for a slot; queue bound longer.
    const patient = new HttpClient({ connectTimeoutMs: 1000, queueTimeoutMs: 5000, idleTimeoutMs: 300 });
    const patientTransport = (url: string) =>
      new OpenAICompatibleTransport({ runtime: 'llama_cpp', baseUrl: url, http: patient, requestTimeoutMs: 10_000 });

    it('a request queued longer than the idle timeout still gets its answer', async () => {
      stub = await startStubEngine({ [CHAT]: queuedFor(1200, loadFixture('llama-cpp', 'chat-stream')) });
      const chunks = await collect(patientTransport(stub.url).stream(helloBody(true)));
      expect(chunks.at(-1)?.isComplete).toBe(true);
      expect(chunks.map((c) => c.content ?? '').join('')).not.toBe('');
    });

    it('a non-streamed request queued longer than the idle timeout still gets its answer', async () => {
      stub = await startStubEngine({ [CHAT]: queuedFor(1200, loadFixture('llama-cpp', 'chat')) });
      const answer = await patientTransport(stub.url).complete(helloBody(false));
      expect(answer.content).not.toBe('');
    });

    it('silence after the engine started answering is still an idle timeout', async () => {
      stub = await startStubEngine({ [CHAT]: partialStream(loadFixture('llama-cpp', 'chat-stream'), 3, 'hang') });
      const error = await caught(() => collect(patientTransport(stub!.url).stream(helloBody(true))));
      expect((error as EngineTimeoutError).phase).toBe('idle');
      expect(error.message).toMatch(/no data from the engine within 300 ms/);
    });
  });

  it('a stream that goes silent mid-way hits the idle timeout', async () => {
    stub = await startStubEngine({ [CHAT]: partialStream(loadFixture('llama-cpp', 'chat-stream'), 3, 'hang') });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect(error.message).toMatch(/no data from the engine within 1500 ms/);
  });

  it('the overall timeout bounds a slow trickle', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'chat-stream'), { eventDelayMs: 100 }) });
    const transport = transportFor(stub.url, 'llama_cpp', { requestTimeoutMs: 300 });
    const error = await caught(() => collect(transport.stream(helloBody(true))));
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect((error as EngineTimeoutError).phase).toBe('total');
  });

  it('a connection cut mid-stream is a stream interruption', async () => {
    stub = await startStubEngine({ [CHAT]: partialStream(loadFixture('llama-cpp', 'chat-stream'), 3, 'destroy') });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(StreamInterruptedError);
  });

  it('a reset connection before any answer is a connection error', async () => {
    stub = await startStubEngine({ [CHAT]: resetConnection });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineConnectionError);
  });

  it('a refused port is a connection error with a hint', async () => {
    const closed = await startStubEngine({});
    const url = closed.url;
    await closed.close();
    const error = await caught(() => streamOnce(url));
    expect(error).toBeInstanceOf(EngineConnectionError);
    expect(error.message).toMatch(/connection refused.*is the engine running/);
  });

  it('an HTML page instead of an event stream is a protocol error', async () => {
    stub = await startStubEngine({ [CHAT]: respond(200, 'text/html', '<html><body>Welcome to nginx!</body></html>') });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineProtocolError);
    expect(error.message).toMatch(/expected an event stream, got text\/html: <html><body>Welcome to nginx/);
  });

  it('invalid JSON in an event is a protocol error', async () => {
    stub = await startStubEngine({
      [CHAT]: respond(200, 'text/event-stream', 'data: {"choices": [\n\ndata: [DONE]\n\n'),
    });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineProtocolError);
    expect(error.message).toContain('invalid JSON in stream event');
  });

  it('a chunk of the wrong shape is a protocol error naming the field', async () => {
    stub = await startStubEngine({
      [CHAT]: respond(200, 'text/event-stream', 'data: {"choices":[{"delta":{"content":42}}]}\n\ndata: [DONE]\n\n'),
    });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineProtocolError);
    expect(error.message).toMatch(/choices\.0\.delta\.content/);
  });

  it('10 MB of garbage as an event stream is refused without buffering it all', async () => {
    stub = await startStubEngine({ [CHAT]: garbage(10 * 1024 * 1024, 'text/event-stream') });
    const error = await caught(() => streamOnce(stub!.url));
    expect(error).toBeInstanceOf(EngineProtocolError);
    expect(error.message).toMatch(/malformed event stream/);
  });

  it('10 MB of garbage as a JSON answer is refused at the size bound', async () => {
    stub = await startStubEngine({ [CHAT]: garbage(10 * 1024 * 1024) });
    const error = await caught(() => transportFor(stub!.url).complete(helloBody(false)));
    expect(error).toBeInstanceOf(EngineProtocolError);
    expect(error.message).toMatch(/larger than/);
  });
});

describe('abort', () => {
  it('aborting mid-stream stops the stream and closes the connection', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'chat-stream'), { eventDelayMs: 50 }) });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const error = await caught(async () => {
      for await (const chunk of transportFor(stub!.url).stream(helloBody(true), controller.signal)) {
        seen.push(chunk);
        if (seen.length === 2) controller.abort();
      }
    });
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(seen).toHaveLength(2);
    await vi.waitFor(() => expect(stub?.openSockets()).toBe(0), { timeout: 5000 });
  });

  it('breaking out of the loop closes the connection too', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'chat-stream'), { eventDelayMs: 50 }) });
    for await (const chunk of transportFor(stub.url).stream(helloBody(true))) {
      if (chunk.content) break;
    }
    await vi.waitFor(() => expect(stub?.openSockets()).toBe(0), { timeout: 5000 });
  });

  it('an already aborted signal never sends', async () => {
    stub = await startStubEngine({ [CHAT]: replay(loadFixture('llama-cpp', 'chat')) });
    const error = await caught(() => transportFor(stub!.url).complete(helloBody(false), AbortSignal.abort()));
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(stub.requests).toHaveLength(0);
  });
});
