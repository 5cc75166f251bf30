import { afterEach, describe, expect, it } from 'vitest';
import { AmbiguousModelError } from '../../src/compat/compat-errors.js';
import { LLMFactory } from '../../src/compat/llm-factory.js';
import { LocalEngineLLM } from '../../src/compat/local-engine-llm.js';
import { LLMProvider } from '../../src/llm/llm-provider.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import { UnknownModelError } from '../../src/registry/llm-factory.js';
import type { StubEngine } from '../support/stub-engine.js';
import { closeFactories, startLlamaHost, useFactoryFor } from './llama-host.js';

const hosts: StubEngine[] = [];
afterEach(async () => {
  await closeFactories();
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});
async function host() {
  const started = await startLlamaHost();
  hosts.push(started);
  return started;
}

describe('the static LLMFactory over recorded llama-server answers', () => {
  it('discovers once and lists snake_case ModelInfo with the name:runtime@host identifier', async () => {
    const llama = await host();
    const factory = useFactoryFor(llama);
    expect(LLMFactory.instance()).toBe(factory);
    await Promise.all([LLMFactory.ensureInitialized(), LLMFactory.ensureInitialized()]);
    const models = await LLMFactory.listAvailableModels();
    expect(llama.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
    expect(models).toHaveLength(1);
    expect(models[0]).toStrictEqual({
      model_identifier: `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${llama.port}`,
      display_name: 'SmolLM2-135M-Instruct',
      value: 'SmolLM2-135M-Instruct',
      canonical_name: 'smollm2-135m-instruct',
      provider_id: 'LLAMA_CPP',
      provider_name: 'llama.cpp',
      provider_type: LLMProvider.LLAMA_CPP,
      runtime: 'llama_cpp',
      host_url: llama.url,
      config_schema: undefined,
      max_context_tokens: 8192,
      active_context_tokens: 2048,
      max_input_tokens: null,
      max_output_tokens: null,
    });
    expect(await LLMFactory.listModelsByRuntime(LLMRuntime.LLAMA_CPP)).toHaveLength(1);
    expect(await LLMFactory.listModelsByRuntime(LLMRuntime.MLX)).toHaveLength(0);
    expect(await LLMFactory.listModelsByProvider(LLMProvider.LLAMA_CPP)).toHaveLength(1);
    expect(await LLMFactory.listModelsByProvider(LLMProvider.OLLAMA)).toHaveLength(0);
  });

  it('answers provider and canonical name by identifier, provider also by unique name', async () => {
    const llama = await host();
    useFactoryFor(llama);
    const id = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${llama.port}`;
    expect(await LLMFactory.getProvider(id)).toBe(LLMProvider.LLAMA_CPP);
    expect(await LLMFactory.getProvider('SmolLM2-135M-Instruct')).toBe(LLMProvider.LLAMA_CPP);
    expect(await LLMFactory.getProvider('unknown-model')).toBeNull();
    expect(await LLMFactory.getCanonicalName(id)).toBe('smollm2-135m-instruct');
    expect(await LLMFactory.getCanonicalName('unknown-model')).toBeNull();
  });

  it('createLLM takes the identifier or a unique name and merges the config over the defaults', async () => {
    const llama = await host();
    useFactoryFor(llama);
    const id = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${llama.port}`;
    const llm = await LLMFactory.createLLM(id, { maxTokens: 12, temperature: 0 });
    expect(llm).toBeInstanceOf(LocalEngineLLM);
    expect(llm.model.modelIdentifier).toBe(id);
    expect(llm.model.provider).toBe(LLMProvider.LLAMA_CPP);
    expect(llm.model.activeContextTokens).toBe(2048);
    expect(llm.config).toMatchObject({ maxTokens: 12, temperature: 0, tokenLimit: 2048 });
    expect((await LLMFactory.createLLM('SmolLM2-135M-Instruct')).model.modelIdentifier).toBe(id);
    const unknown = await LLMFactory.createLLM('SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:1').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownModelError);
    expect((unknown as Error).message).toContain(id);
  });

  it('a name two hosts serve must be given as an identifier', async () => {
    const [a, b] = [await host(), await host()];
    useFactoryFor(a, b);
    const error = await LLMFactory.createLLM('SmolLM2-135M-Instruct').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousModelError);
    expect((error as Error).message).toContain(`@127.0.0.1:${a.port}`);
    expect((error as Error).message).toContain(`@127.0.0.1:${b.port}`);
    await expect(LLMFactory.getProvider('SmolLM2-135M-Instruct')).rejects.toBeInstanceOf(AmbiguousModelError);
    const one = await LLMFactory.createLLM(`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${b.port}`);
    expect(one.model.hostUrl).toBe(b.url);
  });

  it('reloadModels probes that provider again and counts its models; other providers are left alone', async () => {
    const llama = await host();
    useFactoryFor(llama);
    await LLMFactory.ensureInitialized();
    expect(await LLMFactory.reloadModels(LLMProvider.LLAMA_CPP)).toBe(1);
    expect(llama.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
    expect(await LLMFactory.reloadModels(LLMProvider.OPENAI)).toBe(0);
    expect(llama.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2);
  });

  it('a host that went down keeps its last good model through reinitialize', async () => {
    const llama = await host();
    useFactoryFor(llama);
    await LLMFactory.ensureInitialized();
    await llama.close();
    await LLMFactory.reinitialize();
    const [info] = await LLMFactory.listAvailableModels();
    expect(info?.model_identifier).toBe(`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${llama.port}`);
    expect(LLMFactory.instance().getHostHealth()[0]?.status).toBe('down');
  });
});
