import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, HubError } from '../../src/models/hub-client.js';
import { formatModelRef, ModelRefError, parseModelRef } from '../../src/models/model-ref.js';
import { resolvePypiWheel } from '../../src/models/pypi-client.js';
import { contentOf, FakeHub } from './support/fake-hub.js';

let hub: FakeHub;
let commit: string;

beforeAll(async () => {
  hub = await FakeHub.start();
  commit = hub.addRepo('acme/open', {
    'config.json': contentOf(Buffer.from('{"model_type":"llama"}')),
    'weights/model.safetensors': contentOf(Buffer.alloc(20_000, 1)),
  }).commit;
  hub.addRepo('acme/gated', { 'config.json': contentOf(Buffer.from('{}')) }, { gated: true });
  hub.addWheel('pkg', '1.0.0', 'pkg-1.0.0-py3-none-any.whl', contentOf(Buffer.from('wheel')));
});
afterAll(() => hub.close());

describe('HubClient', () => {
  it('lists files with sizes, git oids and LFS sha256, following pagination', async () => {
    hub.treePageSize = 1;
    try {
      const client = new HubClient({ baseUrl: hub.baseUrl });
      const files = await client.listFiles('acme/open');
      expect(files.map((f) => f.path).sort()).toEqual(['config.json', 'weights/model.safetensors']);
      const weights = files.find((f) => f.path === 'weights/model.safetensors')!;
      expect(weights.size).toBe(20_000);
      expect(weights.lfsSha256).toBe(contentOf(Buffer.alloc(20_000, 1)).sha256);
      expect(files.find((f) => f.path === 'config.json')!.lfsSha256).toBeUndefined();
      expect(hub.requests.filter((r) => r.path.endsWith('/tree/main')).length).toBeGreaterThan(2);
    } finally {
      hub.treePageSize = 100;
    }
  });

  it('resolves a revision to its commit and builds resolve URLs', async () => {
    const client = new HubClient({ baseUrl: `${hub.baseUrl}/` });
    expect(await client.getCommit('acme/open', 'main')).toBe(commit);
    expect(client.resolveUrl('acme/open', 'weights/model.safetensors', commit)).toBe(
      `${hub.baseUrl}/acme/open/resolve/${commit}/weights/model.safetensors`,
    );
  });

  it('says to set HF_TOKEN for a gated repo without a token, and works with one', async () => {
    const anonymous = new HubClient({ baseUrl: hub.baseUrl });
    const error = await anonymous.listFiles('acme/gated').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).kind).toBe('unauthorized');
    expect((error as HubError).status).toBe(401);
    expect((error as Error).message).toContain('set HF_TOKEN');
    expect((error as Error).message).toContain(`${hub.baseUrl}/api/models/acme/gated/tree/main`);

    const withToken = new HubClient({ baseUrl: hub.baseUrl, token: hub.token });
    expect((await withToken.listFiles('acme/gated')).map((f) => f.path)).toEqual(['config.json']);
    expect(hub.requests.at(-1)!.authorization).toBe(`Bearer ${hub.token}`);
  });

  it('reports a missing repo as not found, naming the URL', async () => {
    const error = await new HubClient({ baseUrl: hub.baseUrl }).getCommit('acme/nope').catch((e: unknown) => e);
    expect((error as HubError).kind).toBe('not_found');
    expect((error as Error).message).toMatch(/404 .*acme\/nope.*no such repo\/file/);
  });

  it('reports an unreachable hub as a network error', async () => {
    const error = await new HubClient({ baseUrl: 'http://127.0.0.1:1' }).getCommit('a/b').catch((e: unknown) => e);
    expect((error as HubError).kind).toBe('network');
  });
});

describe('resolvePypiWheel', () => {
  it('reads the per-version JSON API', async () => {
    const wheel = await resolvePypiWheel('pkg', '1.0.0', { baseUrl: hub.baseUrl });
    expect(wheel.filename).toBe('pkg-1.0.0-py3-none-any.whl');
    expect(wheel.sha256).toBe(contentOf(Buffer.from('wheel')).sha256);
  });

  it('falls back to the project JSON when the per-version one is 404', async () => {
    hub.pypiVersionApi = false;
    try {
      const wheel = await resolvePypiWheel('pkg', '1.0.0', { baseUrl: hub.baseUrl });
      expect(wheel.url).toBe(`${hub.baseUrl}/files/pkg-1.0.0-py3-none-any.whl`);
    } finally {
      hub.pypiVersionApi = true;
    }
  });

  it('fails clearly for an unknown version', async () => {
    await expect(resolvePypiWheel('pkg', '9.9', { baseUrl: hub.baseUrl })).rejects.toThrow(/no release 9\.9/);
  });
});

describe('parseModelRef', () => {
  it('parses every reference form', () => {
    expect(parseModelRef('hf:org/repo')).toEqual({ kind: 'hf-repo', repo: 'org/repo', revision: 'main' });
    expect(parseModelRef('hf:org/repo@v1.0')).toEqual({ kind: 'hf-repo', repo: 'org/repo', revision: 'v1.0' });
    expect(parseModelRef('hf:org/repo/sub/model.Q4_1.gguf')).toEqual({
      kind: 'hf-file',
      repo: 'org/repo',
      revision: 'main',
      path: 'sub/model.Q4_1.gguf',
    });
    expect(parseModelRef('hf:org/repo@abc/m.gguf')).toMatchObject({ revision: 'abc', path: 'm.gguf' });
    expect(parseModelRef('https://example.com/x/m%20q.gguf?download=1')).toEqual({
      kind: 'url',
      url: 'https://example.com/x/m%20q.gguf?download=1',
      fileName: 'm q.gguf',
    });
    expect(parseModelRef('smollm2-135m-instruct-q4_1')).toEqual({
      kind: 'catalog',
      name: 'smollm2-135m-instruct-q4_1',
    });
  });

  it('round-trips through formatModelRef', () => {
    for (const text of ['hf:org/repo', 'hf:org/repo@dev', 'hf:org/repo/a/b.gguf', 'name-1.5b']) {
      expect(formatModelRef(parseModelRef(text))).toBe(text);
    }
  });

  it('rejects malformed references', () => {
    for (const bad of ['', 'hf:org', 'hf:org/repo/../x.gguf', 'hf:/repo', 's3://bucket/x', 'org/repo', 'a b']) {
      expect(() => parseModelRef(bad)).toThrow(ModelRefError);
    }
  });
});
