import { afterEach, describe, expect, it } from 'vitest';
import { freePort, MLX_REPO_ID, mlxHubCache, mlxPython } from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// MLX the same way as llama.cpp: every complete MLX repo in the Hugging Face cache is listed and
// loads on its first request in its own mlx_lm.server (real, CPU build), and unloads when idle.
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

interface PsEntry {
  id: string;
  engine: string;
  pid?: number;
}

const ps = async (url: string) => ((await (await fetch(`${url}/api/ps`)).json()) as { models: PsEntry[] }).models;

describe('MLX models on demand (real mlx_lm.server)', () => {
  it('lists the cached repo, loads it on the first request, shows it in ps and unloads it after keep_alive', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n[llama_cpp]\nhosts = ""\n');
    server = await startServerProcess(
      home,
      [],
      {
        AUTOBYTEUS_PORT: '0',
        MLX_MANAGED: 'true',
        MLX_PYTHON_BIN: mlxPython(),
        MLX_MANAGED_PORT: String(await freePort()),
        HF_HUB_CACHE: mlxHubCache(),
        HF_HUB_OFFLINE: '1',
      },
      'serve',
      120_000,
    );
    const listed = (await (await fetch(`${server.url}/v1/models`)).json()).data as Array<{
      id: string;
      status?: { value: string };
    }>;
    expect(listed.find((m) => m.id === MLX_REPO_ID)?.status?.value).toBe('available');
    expect(await ps(server.url)).toEqual([]);

    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MLX_REPO_ID,
        messages: [{ role: 'user', content: 'Say hi.' }],
        max_tokens: 4,
        stream: true,
        keep_alive: '3s',
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith(`: loading ${MLX_REPO_ID}`)).toBe(true);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    const [loaded] = await ps(server.url);
    expect(loaded).toMatchObject({ id: MLX_REPO_ID, engine: 'mlx' });
    const pid = loaded?.pid as number;
    expect(alive(pid)).toBe(true);
    // The idle clock starts when the server has finished with the request (just after the client has the answer).
    const end = Date.now() + 60_000;
    while ((await ps(server.url)).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(await ps(server.url)).toEqual([]);
    // Unloading takes it out of ps first, then stops its engine.
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  }, 240_000);
});
