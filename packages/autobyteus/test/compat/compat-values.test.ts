import { describe, expect, it } from 'vitest';
import { InvalidToolsError } from '../../src/compat/compat-errors.js';
import { LLMConfig, toCoreConfig } from '../../src/compat/llm-config.js';
import { parseRequestKwargs } from '../../src/compat/request-kwargs.js';
import { LLMUserMessage } from '../../src/compat/user-message.js';
import { LLMModel } from '../../src/llm/llm-model.js';
import { LLMProvider } from '../../src/llm/llm-provider.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';

const model = new LLMModel({
  name: 'm',
  value: 'm',
  provider: LLMProvider.LLAMA_CPP,
  runtime: LLMRuntime.LLAMA_CPP,
  hostUrl: 'http://127.0.0.1:8080',
});

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('LLMConfig', () => {
  it("has autobyteus-ts's defaults and sends only what the engine understands", () => {
    const config = new LLMConfig();
    expect(config).toMatchObject({ temperature: 0.7, systemMessage: 'You are a helpful assistant.', maxTokens: null });
    expect(toCoreConfig(config)).toStrictEqual({ temperature: 0.7 });
    const full = new LLMConfig({
      temperature: 0,
      maxTokens: 32,
      topP: 0.9,
      stopSequences: ['\n'],
      frequencyPenalty: 0.1,
      presencePenalty: 0.2,
      tokenLimit: 4096,
      extraParams: { top_k: 40 },
    });
    expect(toCoreConfig(full)).toStrictEqual({
      temperature: 0,
      maxTokens: 32,
      topP: 0.9,
      stop: ['\n'],
      frequencyPenalty: 0.1,
      presencePenalty: 0.2,
      extraParams: { top_k: 40 },
    });
  });

  it('mergeWith takes every set field, merges extra params, and accepts a plain object', () => {
    const base = new LLMConfig({ tokenLimit: 1024, extraParams: { top_k: 40 } });
    base.mergeWith({ maxTokens: 16, temperature: 0.1, extraParams: { min_p: 0.05 }, topP: null });
    expect(base).toMatchObject({ tokenLimit: 1024, maxTokens: 16, temperature: 0.1, topP: null });
    expect(base.extraParams).toStrictEqual({ top_k: 40, min_p: 0.05 });
    const copy = base.clone();
    copy.extraParams.top_k = 1;
    expect(base.extraParams.top_k).toBe(40);
  });
});

describe('LLMUserMessage', () => {
  it('keeps text and media and refuses an empty or mistyped message', () => {
    const message = new LLMUserMessage({ content: 'hi', image_urls: ['a.png'] });
    expect(message.toDict()).toStrictEqual({ content: 'hi', image_urls: ['a.png'] });
    expect(() => new LLMUserMessage({ content: '' })).toThrow(/either content or at least one media URL/);
    expect(() => new LLMUserMessage({ content: 'x', image_urls: [1 as unknown as string] })).toThrow(/image_urls/);
    expect(() => new LLMUserMessage({ content: 42 as unknown as string })).toThrow(/content/);
  });
});

describe('kwargs of a call', () => {
  it('takes tools and tool_choice, passes other fields, drops bookkeeping keys', () => {
    const parsed = parseRequestKwargs(
      {
        tools: [weather],
        tool_choice: 'required',
        logicalConversationId: 'agent-1',
        top_k: 20,
        model: 'x',
        seed: null,
      },
      model,
    );
    expect(parsed.tools).toStrictEqual([weather]);
    expect(parsed.toolChoice).toBe('required');
    expect(parsed.extraFields).toStrictEqual({ top_k: 20 });
  });

  it('ignores tool_choice without tools, as autobyteus-ts does', () => {
    expect(parseRequestKwargs({ tool_choice: 'required' }, model)).toStrictEqual({ extraFields: {} });
  });

  it('refuses tools that are not OpenAI function tools, naming the host', () => {
    const error = (() => {
      try {
        parseRequestKwargs({ tools: [{ name: 'get_weather' }] }, model);
      } catch (e) {
        return e;
      }
    })() as InvalidToolsError;
    expect(error).toBeInstanceOf(InvalidToolsError);
    expect(error.message).toContain('llama_cpp http://127.0.0.1:8080 POST /v1/chat/completions');
    expect(error.message).toContain('kwargs.tools');
    expect(() => parseRequestKwargs({ tools: [weather], tool_choice: 'sometimes' }, model)).toThrow(InvalidToolsError);
  });
});
