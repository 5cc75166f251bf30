import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { type RunningApp, startApp } from './graphql-app.js';
import {
  GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS,
  GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS_EARLIER,
  postGraphql,
  RELOAD_LLM_MODELS,
  RELOAD_LLM_PROVIDER_MODELS,
} from './web-documents.js';

// Three llama.cpp hosts: one replaying recorded answers, one that refuses us for want of a key,
// and an address nothing listens on.
let up: StubEngine;
let locked: StubEngine;
let downUrl: string;
let app: RunningApp;

beforeAll(async () => {
  up = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
  });
  locked = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'unauthorized-health-no-key')),
    '/v1/models': replay(loadFixture('llama-cpp', 'unauthorized-models-no-key')),
  });
  downUrl = `http://127.0.0.1:${await freePort()}`;
  app = await startApp({ configToml: `[llama_cpp]\nhosts = ["${up.url}", "${locked.url}", "${downUrl}"]\n` });
});

afterAll(async () => {
  await app?.close();
  await up?.close();
  await locked?.close();
});

type Listing = Array<{ provider: Record<string, unknown>; models: Array<Record<string, unknown>> }>;

function providerOf(listing: Listing, url: string) {
  const entry = listing.find((p) => p.provider.baseUrl === url);
  if (!entry) throw new Error(`no provider for ${url} in ${JSON.stringify(listing)}`);
  return entry;
}

const modelRequests = (host: StubEngine) => host.requests.filter((r) => r.path === '/v1/models').length;

describe("autobyteus-web's GetAvailableLLMProvidersWithModels", () => {
  it('answers the whole operation: a provider per host with its models, status from host health, empty media lists', async () => {
    const { status, body } = await postGraphql(app.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS, {
      runtimeKind: 'autobyteus',
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const data = body.data as Record<string, Listing>;
    expect(data.availableAudioProvidersWithModels).toEqual([]);
    expect(data.availableImageProvidersWithModels).toEqual([]);
    expect(data.availableVideoProvidersWithModels).toEqual([]);
    const listing = data.availableLlmProvidersWithModels as Listing;
    expect(listing).toHaveLength(3);
    // Sorted by name (the name carries the URL), as autobyteus-server-ts sorts.
    const names = listing.map((p) => p.provider.name as string);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));

    const served = providerOf(listing, up.url);
    const upId = `llama_cpp@${up.url}`;
    expect(served.provider).toEqual({
      __typename: 'LlmProviderObject',
      id: upId,
      name: `llama.cpp (llama-server) at ${up.url}`,
      providerType: 'LLAMA_CPP',
      isCustom: false,
      baseUrl: up.url,
      credentialStatus: null,
      status: 'READY',
      statusMessage: null,
    });
    // The recorded llama-server: n_ctx_train 8192 in /v1/models meta, n_ctx 2048, Q4_1, 135M parameters.
    expect(served.models).toEqual([
      {
        __typename: 'ModelDetail',
        modelIdentifier: `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${up.port}`,
        name: 'SmolLM2-135M-Instruct',
        description: 'Q4_1, 135M parameters',
        value: 'SmolLM2-135M-Instruct',
        canonicalName: 'smollm2-135m-instruct',
        providerId: upId,
        providerName: `llama.cpp (llama-server) at ${up.url}`,
        providerType: 'LLAMA_CPP',
        runtime: 'llama_cpp',
        hostUrl: up.url,
        configSchema: null,
        maxContextTokens: 8192,
        activeContextTokens: 2048,
        maxInputTokens: null,
        maxOutputTokens: null,
        metadataProvenance: 'LIVE',
      },
    ]);

    const refused = providerOf(listing, locked.url);
    expect(refused.models).toEqual([]);
    expect(refused.provider.status).toBe('ERROR');
    expect(refused.provider.statusMessage).toBe('host unauthorized: HTTP 401: unauthorized: Invalid API Key');
    // No key configured and the host wants one: the credential is missing, and kept in our configuration.
    expect(refused.provider.credentialStatus).toEqual({
      backendHealth: 'READY',
      storageState: 'MISSING',
      lifecycle: 'EXTERNALLY_MANAGED',
      instructionCode: null,
    });

    const down = providerOf(listing, downUrl);
    expect(down.models).toEqual([]);
    expect(down.provider.status).toBe('ERROR');
    expect(down.provider.statusMessage).toBe('host down: connection refused');
    expect(down.provider.credentialStatus).toBeNull();
  });

  it("answers an earlier web release's version of the operation (apiKeyConfigured, no video)", async () => {
    const { status, body } = await postGraphql(app.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS_EARLIER, {
      runtimeKind: null,
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const listing = (body.data as Record<string, Listing>).availableLlmProvidersWithModels as Listing;
    expect(listing.map((p) => p.provider.apiKeyConfigured)).toEqual([false, false, false]);
    expect(providerOf(listing, up.url).models.map((m) => m.modelIdentifier)).toEqual([
      `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${up.port}`,
    ]);
  });

  it('selects runtimes by runtimeKind: autobyteus or none = all, a runtime name = that one, other kinds = none', async () => {
    const count = async (runtimeKind: string | null) => {
      const { body } = await postGraphql(app.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS, { runtimeKind });
      expect(body.errors).toBeUndefined();
      return ((body.data as Record<string, Listing>).availableLlmProvidersWithModels as Listing).length;
    };
    expect(await count(null)).toBe(3);
    expect(await count('llama_cpp')).toBe(3);
    expect(await count('mlx')).toBe(0);
    // autobyteus-web's other agent runtimes bring their own models; this server has none for them.
    expect(await count('codex_app_server')).toBe(0);
    expect(await count('claude_agent_sdk')).toBe(0);
  });
});

describe('reload mutations', () => {
  it('reloadLlmModels probes every host again and says what it found', async () => {
    const before = modelRequests(up);
    const { status, body } = await postGraphql(app.url, RELOAD_LLM_MODELS, { runtimeKind: 'autobyteus' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.reloadLlmModels).toBe(
      'Models reloaded successfully: 1 models on 3 hosts (1 up); 0 added, 0 removed.',
    );
    expect(modelRequests(up)).toBeGreaterThan(before);
  });

  it('reloadLlmProviderModels re-probes a host and reports its models, or the error of a host that is not up', async () => {
    const before = modelRequests(up);
    const ok = await postGraphql(app.url, RELOAD_LLM_PROVIDER_MODELS, {
      providerId: `llama_cpp@${up.url}`,
      runtimeKind: 'autobyteus',
    });
    expect(ok.body.data?.reloadLlmProviderModels).toBe(
      `Reloaded 1 models for provider llama_cpp@${up.url} successfully.`,
    );
    expect(modelRequests(up)).toBeGreaterThan(before);

    // autobyteus-web shows an answer without "successfully" as the error.
    const down = await postGraphql(app.url, RELOAD_LLM_PROVIDER_MODELS, { providerId: `llama_cpp@${downUrl}` });
    expect(down.body.errors).toBeUndefined();
    expect(down.body.data?.reloadLlmProviderModels).toBe(
      `Error reloading models for provider llama_cpp@${downUrl}: host down: connection refused`,
    );
  });

  it('refuses a provider id that names no provider, and a provider outside the runtime kind, as GraphQL errors', async () => {
    const unknown = await postGraphql(app.url, RELOAD_LLM_PROVIDER_MODELS, { providerId: 'OPENAI' });
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toBeNull();
    expect(unknown.body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['no provider "OPENAI" (availableLlmProvidersWithModels lists the provider ids)', 'PROVIDER_NOT_FOUND'],
    ]);
    const elsewhere = await postGraphql(app.url, RELOAD_LLM_PROVIDER_MODELS, {
      providerId: `llama_cpp@${up.url}`,
      runtimeKind: 'codex_app_server',
    });
    expect(elsewhere.body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      [`provider llama_cpp@${up.url} is not available for runtime kind "codex_app_server"`, 'BAD_USER_INPUT'],
    ]);
    // Without a server-managed engine there are no local: providers either.
    const local = await postGraphql(app.url, RELOAD_LLM_PROVIDER_MODELS, { providerId: 'local:llama_cpp' });
    expect(local.body.errors?.[0]?.extensions?.code).toBe('PROVIDER_NOT_FOUND');
  });
});

describe('a host that stops answering', () => {
  it('is STALE_ERROR with its last good models after a reload, READY again once it answers', async () => {
    let answering = true;
    const health = replay(loadFixture('llama-cpp', 'health'));
    const flaky = await startStubEngine({
      '/health': (req, res, body) => (answering ? health(req, res, body) : res.destroy()),
      '/v1/models': replay(loadFixture('llama-cpp', 'models')),
      '/props': replay(loadFixture('llama-cpp', 'props')),
    });
    const own = await startApp({ configToml: `[llama_cpp]\nhosts = ["${flaky.url}"]\n` });
    try {
      const listing = async () => {
        const { body } = await postGraphql(own.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS);
        expect(body.errors).toBeUndefined();
        return (body.data as Record<string, Listing>).availableLlmProvidersWithModels as Listing;
      };
      expect((await listing())[0]?.provider.status).toBe('READY');
      answering = false;
      const reload = await postGraphql(own.url, RELOAD_LLM_MODELS);
      expect(reload.body.data?.reloadLlmModels).toBe(
        'Models reloaded successfully: 1 models on 1 hosts (0 up); 0 added, 0 removed.',
      );
      const [stale] = await listing();
      expect(stale?.provider.status).toBe('STALE_ERROR');
      expect(stale?.provider.statusMessage).toMatch(
        /^host down: .+; 1 models listed from its last answer or from disk$/,
      );
      expect(stale?.models.map((m) => [m.name, m.description])).toEqual([
        ['SmolLM2-135M-Instruct', 'Q4_1, 135M parameters, last listed by its host, which is not answering now'],
      ]);
      answering = true;
      await postGraphql(own.url, RELOAD_LLM_MODELS);
      expect((await listing())[0]?.provider.status).toBe('READY');
    } finally {
      await own.close();
      await flaky.close();
    }
  });
});
