import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelNotFoundError } from '../../src/transport/llm-errors.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../support/stub-engine.js';
import { caught, collect, helloBody, transportFor } from '../transport/test-transport.js';

// Recorded from a real mlx_lm.server (mlx-lm 0.32.2, CPU) serving the MLX conversion of SmolLM2.
let stub: StubEngine | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** A hub cache holding a copy of the recorded model's config files (no weights needed to read metadata). */
function fakeHubCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'hf-cache-'));
  const snapshot = join(cache, 'models--autobyteus-test--SmolLM2-135M-Instruct-mlx', 'snapshots', 'abc123');
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'mlx-model-config'), snapshot, { recursive: true });
  cpSync(join(import.meta.dirname, '..', 'fixtures', 'mlx-model-config', 'refs'), join(snapshot, '..', '..', 'refs'), {
    recursive: true,
  });
  return cache;
}

describe('MLX discovery (recorded mlx_lm.server answers)', () => {
  it('registers every listed id; metadata comes from the local config.json', async () => {
    stub = await startStubEngine({ '/v1/models': replay(loadFixture('mlx', 'models')) });
    const factory = factoryWith({ mlxHosts: stub.url, huggingFaceCacheDir: fakeHubCache() });
    await factory.ensureInitialized();
    const model = factory.getModel(`autobyteus-test/SmolLM2-135M-Instruct-mlx:mlx@127.0.0.1:${stub.port}`);
    expect(model?.availability).toBe('served');
    expect(model?.defaultConfig).toMatchObject({ contextWindow: 8192, quantization: '4bit-g32' });
    expect(model?.metadata.modelType).toBe('llama');
    // The --model entry is listed a second time by its snapshot path: one model, addressed by repo id.
    expect(factory.listAvailableModels()).toHaveLength(1);
    expect(model?.value).toBe('autobyteus-test/SmolLM2-135M-Instruct-mlx');
    expect(factory.getHostHealth()[0]).toMatchObject({ status: 'up', warnings: [] });
  });

  it('an empty 200 body (no hub cache on the engine side) means no models, not an error', async () => {
    stub = await startStubEngine({ '/v1/models': replay(loadFixture('mlx', 'models-empty-cache')) });
    const factory = factoryWith({ mlxHosts: stub.url });
    await factory.ensureInitialized();
    expect(factory.getHostHealth()[0]).toMatchObject({ status: 'up', modelCount: 0 });
  });

  it('a down host falls back to the hub cache: models available, not served', async () => {
    const down = await startStubEngine({});
    const url = down.url;
    await down.close();
    const factory = factoryWith({ mlxHosts: url, huggingFaceCacheDir: fakeHubCache() });
    await factory.ensureInitialized();
    const models = factory.listAvailableModels();
    expect(models.map((m) => [m.name, m.availability])).toEqual([
      ['autobyteus-test/SmolLM2-135M-Instruct-mlx', 'available'],
    ]);
    expect(factory.getHostHealth()[0]?.status).toBe('down');
  });
});

describe('MLX chat (recorded)', () => {
  it('streams through keep-alive comments; usage arrives in the final chunk', async () => {
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(loadFixture('mlx', 'chat-stream')) });
    const chunks = await collect(transportFor(stub.url, 'mlx').stream(helloBody(true)));
    expect(chunks.filter((c) => c.content).length).toBeGreaterThan(2);
    expect(chunks.at(-1)).toMatchObject({ isComplete: true, usage: { completionTokens: expect.any(Number) } });
  });

  it('an unknown model (404 with a string error) is a ModelNotFoundError carrying the engine message', async () => {
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(loadFixture('mlx', 'unknown-model-stream')) });
    const error = await caught(() => collect(transportFor(stub!.url, 'mlx').stream(helloBody(true))));
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as ModelNotFoundError).engineMessage).toContain('Cannot find an appropriate cached snapshot');
  });

  it('a 400 with a string error keeps the engine message', async () => {
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(loadFixture('mlx', 'bad-json')) });
    const error = await caught(() => transportFor(stub!.url, 'mlx').complete(helloBody(false)));
    expect(error.message).toContain('Invalid JSON in request body');
    expect((error as ModelNotFoundError).status).toBe(400);
  });
});
