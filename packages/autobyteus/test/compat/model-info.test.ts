import { describe, expect, it } from 'vitest';
import { AmbiguousModelError } from '../../src/compat/compat-errors.js';
import { LLMModel as CompatModel } from '../../src/compat/llm-model.js';
import { compatModelIdentifier } from '../../src/compat/model-identifier.js';
import { toModelInfo } from '../../src/compat/model-info.js';
import { findModel, requireModel } from '../../src/compat/model-lookup.js';
import { LLMModel } from '../../src/llm/llm-model.js';
import { LLMProvider } from '../../src/llm/llm-provider.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import { UnknownModelError } from '../../src/registry/llm-factory.js';

const llama = (hostUrl: string, name = 'SmolLM2-135M-Instruct') =>
  new LLMModel({
    name,
    value: name,
    provider: LLMProvider.LLAMA_CPP,
    runtime: LLMRuntime.LLAMA_CPP,
    hostUrl,
    defaultConfig: { contextWindow: 1024, trainedContextWindow: 8192, quantization: 'Q4_1' },
  });

describe('the name:runtime@host identifier rule', () => {
  it('leaves out a default port and keeps any other', () => {
    expect(compatModelIdentifier('m', LLMRuntime.LLAMA_CPP, 'https://example.com')).toBe('m:llama_cpp@example.com');
    expect(compatModelIdentifier('m', LLMRuntime.LLAMA_CPP, 'https://example.com:443')).toBe('m:llama_cpp@example.com');
    expect(compatModelIdentifier('m', LLMRuntime.MLX, 'http://example.com:80')).toBe('m:mlx@example.com');
    expect(compatModelIdentifier('m', LLMRuntime.LLAMA_CPP, 'http://localhost:8080')).toBe(
      'm:llama_cpp@localhost:8080',
    );
    expect(compatModelIdentifier('m', LLMRuntime.OLLAMA, 'http://[::1]:11434')).toBe('m:ollama@[::1]:11434');
    // https on 80 is not its default port: kept.
    expect(compatModelIdentifier('m', LLMRuntime.LLAMA_CPP, 'https://example.com:80')).toBe(
      'm:llama_cpp@example.com:80',
    );
  });

  it('differs from our identifier only where the port is a default one', () => {
    const secure = llama('https://example.com');
    expect(secure.modelIdentifier).toBe('SmolLM2-135M-Instruct:llama_cpp@example.com:443');
    expect(toModelInfo(secure).model_identifier).toBe('SmolLM2-135M-Instruct:llama_cpp@example.com');
    const local = llama('http://127.0.0.1:8080');
    expect(toModelInfo(local).model_identifier).toBe(local.modelIdentifier);
  });

  it('finds a model by either identifier or by a name only one host serves', () => {
    const a = llama('https://example.com');
    const b = llama('http://127.0.0.1:8080', 'Qwen3-0.6B');
    const models = [a, b];
    expect(findModel(models, 'SmolLM2-135M-Instruct:llama_cpp@example.com:443')).toBe(a);
    expect(findModel(models, 'SmolLM2-135M-Instruct:llama_cpp@example.com')).toBe(a);
    expect(findModel(models, 'Qwen3-0.6B')).toBe(b);
    expect(findModel(models, 'nope')).toBeUndefined();
  });

  it('refuses a name two hosts serve, and names the choices', () => {
    const models = [llama('http://10.0.0.1:8080'), llama('http://10.0.0.2:8080')];
    const error = (() => {
      try {
        findModel(models, 'SmolLM2-135M-Instruct');
      } catch (e) {
        return e;
      }
    })() as AmbiguousModelError;
    expect(error).toBeInstanceOf(AmbiguousModelError);
    expect(error.message).toContain('SmolLM2-135M-Instruct:llama_cpp@10.0.0.1:8080');
    expect(error.message).toContain('SmolLM2-135M-Instruct:llama_cpp@10.0.0.2:8080');
  });

  it('an unknown identifier lists the compat identifiers', () => {
    const error = (() => {
      try {
        requireModel([llama('https://example.com')], 'SmolLM2-135M-Instruct:llama_cpp@other');
      } catch (e) {
        return e;
      }
    })() as UnknownModelError;
    expect(error).toBeInstanceOf(UnknownModelError);
    expect(error.message).toContain('SmolLM2-135M-Instruct:llama_cpp@example.com?');
  });
});

describe('ModelInfo', () => {
  it('has every autobyteus-ts field, snake_case, from a llama.cpp model', () => {
    expect(toModelInfo(llama('http://127.0.0.1:8080'))).toStrictEqual({
      model_identifier: 'SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:8080',
      display_name: 'SmolLM2-135M-Instruct',
      value: 'SmolLM2-135M-Instruct',
      canonical_name: 'smollm2-135m-instruct',
      provider_id: 'LLAMA_CPP',
      provider_name: 'llama.cpp',
      provider_type: 'LLAMA_CPP',
      runtime: 'llama_cpp',
      host_url: 'http://127.0.0.1:8080',
      config_schema: undefined,
      max_context_tokens: 8192,
      active_context_tokens: 1024,
      max_input_tokens: null,
      max_output_tokens: null,
    });
  });

  it('uses the served window for both sizes when no trained size is known, null when none', () => {
    const mlx = new LLMModel({
      name: 'mlx-community/Qwen3-0.6B-4bit',
      value: 'mlx-community/Qwen3-0.6B-4bit',
      provider: LLMProvider.MLX,
      runtime: LLMRuntime.MLX,
      hostUrl: 'http://127.0.0.1:8001',
      defaultConfig: { contextWindow: 40960 },
    });
    expect(toModelInfo(mlx)).toMatchObject({
      provider_name: 'MLX',
      runtime: 'mlx',
      max_context_tokens: 40960,
      active_context_tokens: 40960,
    });
    const ollama = new LLMModel({
      name: 'llama3:8b',
      value: 'llama3:8b',
      provider: LLMProvider.OLLAMA,
      runtime: LLMRuntime.OLLAMA,
      hostUrl: 'http://localhost:11434',
    });
    expect(toModelInfo(ollama)).toMatchObject({
      model_identifier: 'llama3:8b:ollama@localhost:11434',
      provider_name: 'Ollama',
      max_context_tokens: null,
      active_context_tokens: null,
    });
  });

  it('the LLMModel view carries the same identifier and sizes', () => {
    const view = new CompatModel(llama('https://example.com'));
    expect(view.modelIdentifier).toBe('SmolLM2-135M-Instruct:llama_cpp@example.com');
    expect(view.toModelInfo().model_identifier).toBe(view.modelIdentifier);
    expect(view).toMatchObject({ maxContextTokens: 8192, activeContextTokens: 1024, providerName: 'llama.cpp' });
  });
});
