import { mkdirSync, openSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// A streamed request whose model fails to load gets its 200 and `: loading` comments first, so the
// failure comes as an event on the stream: each endpoint's own official client must raise it with
// the gateway's message (real llama-server, a real GGUF cut short in the models folder).
const BROKEN = 'Broken-Model';
const GOOD = 'SmolLM2-135M-Instruct.Q4_1';
const LOAD_FAILED = `llama-server could not load the model "${BROKEN}"`;
/** llama-server's own reason for the cut file, relayed after the model's name. */
const CAUSE = 'model is corrupted or incomplete';

describe('errors on a started stream are in the endpoint’s protocol (real llama-server, a corrupt GGUF)', () => {
  let server: ServerProcess;
  let anthropic: Anthropic;
  let openai: OpenAI;

  /** The raw SSE text of a streamed request to `path`. */
  async function rawStream(path: string, body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return response.text();
  }

  beforeAll(async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const folder = join(home, 'models', 'gguf');
    mkdirSync(folder, { recursive: true });
    symlinkSync(smolLmGguf(), join(folder, `${GOOD}.gguf`));
    // The header and the tensor table are intact; the weights are cut off.
    const broken = Buffer.alloc(2 << 20);
    readSync(openSync(smolLmGguf(), 'r'), broken, 0, broken.length, 0);
    writeFileSync(join(folder, `${BROKEN}.gguf`), broken);
    server = await startServerProcess(
      home,
      [],
      {
        AUTOBYTEUS_PORT: '0',
        LLAMACPP_MANAGED: 'true',
        LLAMACPP_BINARY_PATH: llamaServerBinary(),
        LLAMACPP_MANAGED_PORT: String(await freePort()),
        AUTOBYTEUS_KEEP_ALIVE: '-1',
      },
      'serve',
      120_000,
    );
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('Anthropic Messages: the SDK raises the load failure from an `event: error`', async () => {
    const stream = anthropic.messages.stream({
      model: BROKEN,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'Say hi.' }],
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    // Raised from the event on the 200 stream, not from a status line.
    expect(apiError.status).toBeUndefined();
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(apiError.apiMessage).toContain(LOAD_FAILED);
    expect(apiError.apiMessage).toContain(CAUSE);

    const raw = await rawStream('/v1/messages', {
      model: BROKEN,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'Say hi.' }],
    });
    expect(raw.startsWith(`: loading ${BROKEN}`)).toBe(true);
    expect(raw).toMatch(/\nevent: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"/);
  }, 120_000);

  it('Anthropic Messages: an engine 4xx while the model loads comes as `event: error` too (prompt over the context)', async () => {
    // The first request for this model: it loads (comments), then llama-server refuses the prompt.
    const stream = anthropic.messages.stream({
      model: GOOD,
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hello '.repeat(10_000) }],
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    // Raised from the event on the 200 stream, not from a status line.
    expect(apiError.status).toBeUndefined();
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.apiMessage).toContain('exceeds the available context size');
  }, 120_000);

  it('OpenAI Responses: the SDK raises the load failure from the Responses `error` event', async () => {
    const events: string[] = [];
    const error = await (async () => {
      for await (const event of await openai.responses.create({ model: BROKEN, input: 'Say hi.', stream: true })) {
        events.push(event.type);
      }
    })().catch((e: unknown) => e);
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain(LOAD_FAILED);
    expect((error as Error).message).toContain(CAUSE);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model_load_failed');
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();

    const helper = await openai.responses
      .stream({ model: BROKEN, input: 'Say hi.' })
      .finalResponse()
      .catch((e: unknown) => e);
    expect(helper).toBeInstanceOf(OpenAI.APIError);
    expect((helper as Error).message).toContain(LOAD_FAILED);

    const raw = await rawStream('/v1/responses', { model: BROKEN, input: 'Say hi.' });
    expect(raw.startsWith(`: loading ${BROKEN}`)).toBe(true);
    const [, data] = /\nevent: error\ndata: (.*)\n\n$/.exec(raw) ?? [];
    expect(JSON.parse(data ?? '{}')).toMatchObject({
      type: 'error',
      code: 'model_load_failed',
      message: expect.stringContaining(LOAD_FAILED),
      param: 'model',
      sequence_number: 0,
    });
  }, 120_000);

  it('chat completions keep the OpenAI error event, which the openai SDK raises', async () => {
    const error = await (async () => {
      for await (const _chunk of await openai.chat.completions.create({
        model: BROKEN,
        messages: [{ role: 'user', content: 'Say hi.' }],
        stream: true,
      })) {
        // No chunk comes before the error.
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain(LOAD_FAILED);
    expect((error as Error).message).toContain(CAUSE);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model_load_failed');
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();

    const raw = await rawStream('/v1/chat/completions', {
      model: BROKEN,
      messages: [{ role: 'user', content: 'Say hi.' }],
    });
    expect(raw.startsWith(`: loading ${BROKEN}`)).toBe(true);
    expect(raw).not.toContain('event:');
    const [, data] = /\ndata: (.*)\n\n$/.exec(raw) ?? [];
    expect(JSON.parse(data ?? '{}')).toMatchObject({
      error: { code: 'model_load_failed', message: expect.stringContaining(LOAD_FAILED) },
    });
  }, 120_000);
});
