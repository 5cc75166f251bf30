import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { MAX_QUERY_DEPTH, MAX_ROOT_FIELDS } from '../../src/graphql/query-limits.js';
import { type RunningApp, startApp } from './graphql-app.js';
import { GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS, postGraphql, RELOAD_LLM_MODELS } from './web-documents.js';

const TOKEN = 'graphql-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let host: StubEngine;
let app: RunningApp;

beforeAll(async () => {
  host = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
  });
  app = await startApp({ configToml: `[llama_cpp]\nhosts = ["${host.url}"]\n`, apiToken: TOKEN });
});

afterAll(async () => {
  await app?.close();
  await host?.close();
});

const modelRequests = () => host.requests.filter((r) => r.path === '/v1/models').length;

describe('/graphql needs the API token like every route', () => {
  it('answers 401 without the token or with a wrong one, for POST and GET, and runs nothing', async () => {
    const before = modelRequests();
    const none = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: RELOAD_LLM_MODELS }),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await none.json()).error.code).toBe('invalid_api_key');
    const wrong = await postGraphql(app.url, RELOAD_LLM_MODELS, {}, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const get = await fetch(
      `${app.url}/graphql?query=${encodeURIComponent('{ availableAudioProvidersWithModels { models { name } } }')}`,
    );
    expect(get.status).toBe(401);
    expect(modelRequests()).toBe(before);
  });

  it('answers with the token', async () => {
    const { status, body } = await postGraphql(app.url, GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS, {}, AUTH);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });
});

describe('documents', () => {
  it('fail as a whole when they name one field the schema lacks: no data, nothing runs', async () => {
    const before = modelRequests();
    // The web app's operation with one extra field, beside a mutation that would probe the host.
    const extra = GET_AVAILABLE_LLM_PROVIDERS_WITH_MODELS.replace(
      'metadataProvenance',
      'metadataProvenance\n        pricing',
    );
    const { status, body } = await postGraphql(app.url, extra, {}, AUTH);
    expect(status).toBe(400);
    expect(body.data).toBeNull();
    expect(body.errors?.map((e) => e.message)).toEqual(['Cannot query field "pricing" on type "ModelDetail".']);
    const mixed = await postGraphql(
      app.url,
      'mutation { reloadLlmModels nope: reloadLlmProviderModels(providerId: "x") { id } }',
      {},
      AUTH,
    );
    expect(mixed.status).toBe(400);
    expect(mixed.body.data).toBeNull();
    expect(modelRequests()).toBe(before);
  });

  it('are refused beyond the top-level field limit before anything runs', async () => {
    const before = modelRequests();
    const aliases = Array.from({ length: MAX_ROOT_FIELDS + 1 }, (_, i) => `r${i}: reloadLlmModels`).join('\n');
    const { status, body } = await postGraphql(app.url, `mutation { ${aliases} }`, {}, AUTH);
    expect(status).toBe(400);
    expect(body.data).toBeNull();
    expect(body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      [`the document asks for more than ${MAX_ROOT_FIELDS} top-level fields`, 'QUERY_TOO_COMPLEX'],
    ]);
    expect(modelRequests()).toBe(before);
  });

  it('are refused beyond the depth limit; the standard introspection query fits', async () => {
    const introspection = await postGraphql(app.url, getIntrospectionQuery(), {}, AUTH);
    expect(introspection.status).toBe(200);
    expect(introspection.body.errors).toBeUndefined();
    const data = introspection.body.data as { __schema: { types: Array<{ name: string }> } };
    const schema = data.__schema;
    const types = schema.types.map((t) => t.name);
    expect(types).toEqual(expect.arrayContaining(['ProviderWithModels', 'LlmProviderObject', 'ModelDetail']));

    let nested = 'name';
    for (let i = 0; i < MAX_QUERY_DEPTH; i++) nested = `ofType { ${nested} }`;
    const deep = await postGraphql(
      app.url,
      `{ __type(name: "ModelDetail") { fields { type { ${nested} } } } }`,
      {},
      AUTH,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.data).toBeNull();
    expect(deep.body.errors?.[0]?.message).toMatch(/exceeds the query depth limit of 16/);
  });

  it('run queries over GET; mutations over GET are refused with 405 and do not run', async () => {
    const query = encodeURIComponent('query { availableVideoProvidersWithModels { provider { id } } }');
    const get = await fetch(`${app.url}/graphql?query=${query}`, { headers: AUTH });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { availableVideoProvidersWithModels: [] } });

    const before = modelRequests();
    const mutation = encodeURIComponent(RELOAD_LLM_MODELS);
    const refused = await fetch(`${app.url}/graphql?query=${mutation}`, { headers: AUTH });
    expect(refused.status).toBe(405);
    const body = (await refused.json()) as { errors: Array<{ message: string }> };
    expect(body.errors.map((e) => e.message)).toEqual(['Operation cannot be performed via a GET request']);
    expect(modelRequests()).toBe(before);
  });

  it('refuse bodies over 64 KiB, malformed JSON and syntax errors with GraphQL errors', async () => {
    const big = await postGraphql(
      app.url,
      `{ availableVideoProvidersWithModels { models { name } } } #${'x'.repeat(70_000)}`,
      {},
      AUTH,
    );
    expect(big.status).toBe(413);
    const bad = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(bad.status).toBe(400);
    const syntax = await postGraphql(app.url, '{ availableLlmProvidersWithModels { ', {}, AUTH);
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.message).toMatch(/^Syntax Error/);
  });

  it('serves no GraphiQL page', async () => {
    const page = await fetch(`${app.url}/graphiql`, { headers: AUTH });
    expect(page.status).toBe(404);
  });
});
