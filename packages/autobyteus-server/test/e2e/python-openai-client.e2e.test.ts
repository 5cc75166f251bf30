import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MODEL, type ClientGateway, EMBED_MODEL, startClientGateway } from '../support/client-gateway.js';
import { type PythonClientTarget, runPythonClient } from '../support/python-client.js';

// The Python `openai` package from PyPI (the clients venv of the test set-up), as Python apps use
// it, through the gateway with a token: the scripts in ./python print JSON, asserted on here.
// The real llama-server serves chat, completions, embeddings (an instance of its own started with
// --embeddings) and responses itself; the real mlx_lm.server serves chat and completions, and the
// gateway translates responses to chat for it.
const TOKEN = 'python-client-test-token';
let gatewayUnderTest: ClientGateway;
let server: ClientGateway['server'];
let target: PythonClientTarget;
let mlxModel: string;

interface ChatStreamResult {
  text: string;
  models: string[];
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  chunks: number;
}
interface CompletionsResult {
  whole: { model: string; text: string; finish_reason: string | null };
  streamed: { models: string[]; text: string; finish_reason: string | null };
}
interface ResponsesResult {
  types: string[];
  text: string;
  final: { model: string; status: string; incomplete_reason: string | null; output_text: string } | null;
}
interface ErrorResult {
  raised: string | null;
  is_authentication_error: boolean;
  is_not_found_error: boolean;
  status: number;
  code: string | null;
  type: string | null;
  param: string | null;
  message: string;
  body: { message?: string } | null;
}

beforeAll(async () => {
  gatewayUnderTest = await startClientGateway(TOKEN);
  server = gatewayUnderTest.server;
  mlxModel = gatewayUnderTest.mlxModel;
  target = { baseURL: `${server.url}/v1`, apiKey: TOKEN };
}, 240_000);

afterAll(async () => {
  await gatewayUnderTest?.stop();
});

describe('the Python openai package through the gateway (real llama-server, real mlx_lm.server)', {
  timeout: 90_000,
}, () => {
  it('streams a chat from llama-server, every chunk under the requested name, with the usage chunk', async () => {
    const result = (await runPythonClient('chat_stream.py', [CHAT_MODEL], target)) as ChatStreamResult;
    expect(result.models).toEqual([CHAT_MODEL]);
    expect(result.text.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(result.finish_reason);
    expect(result.usage?.completion_tokens).toBeGreaterThan(0);
    expect(result.usage?.total_tokens).toBe(
      (result.usage?.prompt_tokens ?? 0) + (result.usage?.completion_tokens ?? 0),
    );
  });

  it('text completions from llama-server, whole and streamed', async () => {
    const result = (await runPythonClient('completions.py', [CHAT_MODEL], target)) as CompletionsResult;
    expect(result.whole.model).toBe(CHAT_MODEL);
    expect(result.whole.text.length).toBeGreaterThan(0);
    expect(result.streamed.models).toEqual([CHAT_MODEL]);
    expect(result.streamed.text.length).toBeGreaterThan(0);
    expect(result.streamed.finish_reason).toBe('length');
  });

  it('embeddings from the --embeddings instance, the default base64 request decoding to the float vectors', async () => {
    const result = (await runPythonClient('embeddings.py', [EMBED_MODEL], target)) as {
      model: string;
      count: number;
      dimensions: number[];
      float_dimensions: number[];
      largest_difference: number;
      prompt_tokens: number | null;
    };
    expect(result.model).toBe(EMBED_MODEL);
    expect(result.count).toBe(2);
    expect(result.dimensions[0]).toBeGreaterThan(100);
    expect(result.float_dimensions).toEqual(result.dimensions);
    // base64 carries float32; the float answer is the same numbers printed in decimal.
    expect(result.largest_difference).toBeLessThan(1e-5);
  });

  it('the Responses API, streamed, from llama-server', async () => {
    const result = (await runPythonClient('responses_stream.py', [CHAT_MODEL], target)) as ResponsesResult;
    expect(result.types).toEqual(expect.arrayContaining(['response.created', 'response.output_text.delta']));
    expect(result.types.at(-1)).toBe('response.completed');
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.final?.model).toBe(CHAT_MODEL);
    expect(result.final?.output_text).toBe(result.text);
  });

  it('streams a chat from mlx_lm.server', async () => {
    expect(mlxModel).toBeTruthy();
    const result = (await runPythonClient('chat_stream.py', [mlxModel], target)) as ChatStreamResult;
    expect(result.models).toEqual([mlxModel]);
    expect(result.text.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(result.finish_reason);
    expect(result.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('text completions from mlx_lm.server, whole and streamed', async () => {
    const result = (await runPythonClient('completions.py', [mlxModel], target)) as CompletionsResult;
    expect(result.whole.text.length).toBeGreaterThan(0);
    expect(result.streamed.text.length).toBeGreaterThan(0);
    expect(result.streamed.models).toEqual([mlxModel]);
  });

  it('the Responses API, streamed, from mlx_lm.server (the gateway translates it to chat)', async () => {
    const result = (await runPythonClient('responses_stream.py', [mlxModel], target)) as ResponsesResult;
    expect(result.types).toEqual(expect.arrayContaining(['response.created', 'response.output_text.delta']));
    // Cut by max_output_tokens, the answer ends as the OpenAI API ends it: incomplete, with the reason.
    const last = result.types.at(-1);
    if (last === 'response.incomplete') {
      expect(result.final).toMatchObject({ status: 'incomplete', incomplete_reason: 'max_output_tokens' });
    } else {
      expect(last).toBe('response.completed');
      expect(result.final?.status).toBe('completed');
    }
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.final?.model).toBe(mlxModel);
    expect(result.final?.output_text).toBe(result.text);
  });

  it('a wrong token raises openai.AuthenticationError carrying the gateway message', async () => {
    const result = (await runPythonClient('error_answer.py', [CHAT_MODEL], {
      ...target,
      apiKey: 'not-the-token',
    })) as ErrorResult;
    expect(result).toMatchObject({
      raised: 'AuthenticationError',
      is_authentication_error: true,
      status: 401,
      code: 'invalid_api_key',
      type: 'authentication_error',
    });
    expect(result.body?.message).toBe('missing or wrong bearer token (Authorization: Bearer <AUTOBYTEUS_API_TOKEN>)');
    expect(result.message).toContain('missing or wrong bearer token');
  });

  it('an unknown model raises openai.NotFoundError naming it', async () => {
    const result = (await runPythonClient('error_answer.py', ['no-such-model'], target)) as ErrorResult;
    expect(result).toMatchObject({
      raised: 'NotFoundError',
      is_not_found_error: true,
      status: 404,
      code: 'model_not_found',
      param: 'model',
    });
    expect(result.body?.message).toContain('The model "no-such-model" is not registered');
  });
});
