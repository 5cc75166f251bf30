import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import {
  GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS,
  postGraphql,
  RELOAD_LLM_MODELS,
  RELOAD_LLM_PROVIDER_MODELS,
} from '../graphql/web-documents.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The built server as a child process, as autobyteus-web would meet it: a token, a CORS allow-list
// with the web app's origin, a configured llama.cpp host (a stub replaying recorded answers) and a
// managed llama.cpp whose one GGUF is on disk (never loaded here: listing reads the disk).
const TOKEN = 'graphql-e2e-token-0123456789abcdef';
const WEB_ORIGIN = 'http://localhost:3000';
const LOCAL_ID = 'smollm2-e2e';
let host: StubEngine;
let server: ServerProcess;

type Listing = Array<{ provider: Record<string, unknown>; models: Array<Record<string, unknown>> }>;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  host = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
  });
  const home = tempHome(`
[server]
port = 0
health_interval_ms = 0
[llama_cpp]
hosts = ["${host.url}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`);
  const ggufDir = join(home, 'models', 'gguf');
  mkdirSync(ggufDir, { recursive: true });
  symlinkSync(smolLmGguf(), join(ggufDir, `${LOCAL_ID}.gguf`));
  server = await startServerProcess(home, [], {
    AUTOBYTEUS_API_TOKEN: TOKEN,
    AUTOBYTEUS_CORS_ORIGINS: WEB_ORIGIN,
    LLAMACPP_MANAGED: 'true',
    LLAMACPP_BINARY_PATH: llamaServerBinary(),
    LLAMACPP_MANAGED_PORT: String(await managedPortClearOf(host.port)),
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await host?.close();
});

/**
 * A free port for the managed engine whose span (it and the 199 above, docs/ports.md) leaves out
 * the stub host's port: a configured loopback host inside that span is taken for one of our own
 * engines and not listed.
 */
async function managedPortClearOf(hostPort: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (hostPort < port || hostPort > port + 199) return port;
  }
}

describe('/graphql on the running server', () => {
  it("answers autobyteus-web's GetAvailableLLMProvidersWithModels: the configured host and the server's own models", async () => {
    const { status, body } = await postGraphql(
      server.url,
      GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS,
      { runtimeKind: 'autobyteus' },
      auth,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const data = body.data as Record<string, Listing>;
    expect(data.availableAudioProvidersWithModels).toEqual([]);
    expect(data.availableImageProvidersWithModels).toEqual([]);
    expect(data.availableVideoProvidersWithModels).toEqual([]);
    const listing = data.availableLlmProvidersWithModels as Listing;
    // Sorted by provider name, as autobyteus-server-ts sorts.
    expect(listing.map((p) => p.provider.id)).toEqual(['local:llama_cpp', `llama_cpp@${host.url}`]);

    const [local, configured] = listing;
    expect(configured?.provider).toMatchObject({ status: 'READY', baseUrl: host.url, credentialStatus: null });
    expect(configured?.models.map((m) => [m.modelIdentifier, m.maxContextTokens, m.metadataProvenance])).toEqual([
      [`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${host.port}`, 8192, 'LIVE'],
    ]);

    expect(local?.provider).toEqual({
      __typename: 'LlmProviderObject',
      id: 'local:llama_cpp',
      name: 'llama-server on this server (on demand)',
      providerType: 'LLAMA_CPP',
      isCustom: false,
      baseUrl: null,
      credentialStatus: null,
      status: 'READY',
      statusMessage: '1 models on disk, 0 loaded; each loads on its first request',
    });
    // The trained context comes from the GGUF header on disk.
    expect(local?.models).toEqual([
      {
        __typename: 'ModelDetail',
        modelIdentifier: LOCAL_ID,
        name: LOCAL_ID,
        description: 'on disk; loads on its first request',
        value: LOCAL_ID,
        canonicalName: LOCAL_ID,
        providerId: 'local:llama_cpp',
        providerName: 'llama-server on this server (on demand)',
        providerType: 'LLAMA_CPP',
        runtime: 'llama_cpp',
        hostUrl: null,
        configSchema: null,
        maxContextTokens: 8192,
        activeContextTokens: null,
        maxInputTokens: null,
        maxOutputTokens: null,
        metadataProvenance: 'LIVE',
      },
    ]);
  });

  it('answers 401 without the token, and a document naming a missing field fails as a whole', async () => {
    const none = await postGraphql(server.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS);
    expect(none.status).toBe(401);
    const extra = GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS.replace('statusMessage', 'statusMessage\n        vaultPath');
    const failed = await postGraphql(server.url, extra, {}, auth);
    expect(failed.status).toBe(400);
    expect(failed.body.data).toBeNull();
    expect(failed.body.errors?.map((e) => e.message)).toContain(
      'Cannot query field "vaultPath" on type "LlmProviderObject".',
    );
  });

  it('reloads: all hosts, the configured host, the local provider', async () => {
    const before = host.requests.filter((r) => r.path === '/v1/models').length;
    const all = await postGraphql(server.url, RELOAD_LLM_MODELS, { runtimeKind: 'autobyteus' }, auth);
    expect(all.body.data?.reloadLlmModels).toBe(
      "Models reloaded successfully: 1 models on 1 hosts (1 up) and 1 models of this server's own; 0 added, 0 removed.",
    );
    expect(host.requests.filter((r) => r.path === '/v1/models').length).toBeGreaterThan(before);
    const one = await postGraphql(
      server.url,
      RELOAD_LLM_PROVIDER_MODELS,
      { providerId: `llama_cpp@${host.url}` },
      auth,
    );
    expect(one.body.data?.reloadLlmProviderModels).toBe(
      `Reloaded 1 models for provider llama_cpp@${host.url} successfully.`,
    );
    const local = await postGraphql(server.url, RELOAD_LLM_PROVIDER_MODELS, { providerId: 'local:llama_cpp' }, auth);
    expect(local.body.data?.reloadLlmProviderModels).toBe(
      'Reloaded 1 models for provider local:llama_cpp successfully.',
    );
  });

  it("lets the web app's origin through CORS: preflight without a token, the request with it", async () => {
    const preflight = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: WEB_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    const actual = await postGraphql(server.url, RELOAD_LLM_MODELS, {}, { ...auth, origin: WEB_ORIGIN });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    const other = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:4000', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(401);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is listed in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`, { headers: auth })).json()) as { paths: object };
    expect(Object.keys(doc.paths)).toContain('/graphql');
  });
});
