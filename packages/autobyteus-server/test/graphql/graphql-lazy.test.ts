import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { type RunningApp, startApp } from './graphql-app.js';
import { postGraphql, RELOAD_LLM_MODELS } from './web-documents.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Modules a file imports at load time: static `import`/`export … from`, not `import type`, not `import()`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'([^']+)';/gms)) {
    if (!match[1] && match[2]) specifiers.push(match[2]);
  }
  return specifiers;
}

/** Every package and source file reached from `entry` through static imports. */
function loadGraph(entry: string): { packages: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else packages.add(specifier);
    }
  }
  return { packages, files };
}

describe('the GraphQL stack loads on the first /graphql request', () => {
  it('is not imported when the server starts: no static import path reaches graphql', () => {
    const { packages, files } = loadGraph(join(SRC, 'cli/main.ts'));
    expect(files).toContain(join(SRC, 'graphql/register-graphql.ts'));
    expect(files).not.toContain(join(SRC, 'graphql/graphql-executor.ts'));
    expect([...packages].filter((name) => name === 'graphql' || name.startsWith('graphql/'))).toEqual([]);
  });
});

describe('/graphql before and after the stack is loaded', () => {
  const TOKEN = 'graphql-lazy-token-0123456789';
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

  it('refuses an oversized first request in GraphQL shape, then answers the next one', async () => {
    const big = await postGraphql(app.url, `{ __typename } #${'x'.repeat(70_000)}`, {}, AUTH);
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ data: null, errors: [{ message: 'request body larger than 65536 bytes' }] });
    const small = await postGraphql(app.url, '{ __typename }', {}, AUTH);
    expect(small).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('refuses too deep documents with QUERY_TOO_COMPLEX, naming the operation', async () => {
    const nested = `${'ofType { '.repeat(16)}name${' }'.repeat(16)}`;
    const deep = await postGraphql(
      app.url,
      `query Deep { __type(name: "ModelDetail") { fields { type { ${nested} } } } }`,
      {},
      AUTH,
    );
    expect(deep.status).toBe(400);
    expect(deep.body).toEqual({
      data: null,
      errors: [
        {
          message: 'operation "Deep": query depth 20 exceeds the query depth limit of 16',
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        },
      ],
    });
  });

  it('runs no mutation over HEAD either', async () => {
    const before = modelRequests();
    const head = await fetch(`${app.url}/graphql?query=${encodeURIComponent(RELOAD_LLM_MODELS)}`, {
      method: 'HEAD',
      headers: AUTH,
    });
    expect(head.status).toBe(405);
    expect(modelRequests()).toBe(before);
  });

  it('refuses GET variables that are not a JSON object, naming the problem', async () => {
    const query = encodeURIComponent(
      'query Q($k: String) { availableLlmProvidersWithModels(runtimeKind: $k) { provider { id } } }',
    );
    const bad = await fetch(`${app.url}/graphql?query=${query}&variables=${encodeURIComponent('{nope')}`, {
      headers: AUTH,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ data: null, errors: [{ message: 'variables is not valid JSON' }] });
    const list = await fetch(`${app.url}/graphql?query=${query}&variables=${encodeURIComponent('[1]')}`, {
      headers: AUTH,
    });
    expect(list.status).toBe(400);
    const body = (await list.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]?.message).toMatch(/^not a GraphQL request: querystring\.variables: /);
  });
});
