import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  MLX_REPO_ID,
  mlxHubCache,
  mlxModelPath,
  mlxPython,
} from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// `MLX_MANAGED=true serve` with the real mlx_lm.server as the managed engine. mlx_lm.server prints
// request bodies (the prompt) and generated text only at --log-level DEBUG, so it is launched that
// way here (MLX_LAUNCH_COMMAND): the prompt then really reaches the engine's output, and the server
// must keep it out of its own log.
const MARKER = `MANAGED-MLX-MARKER-${process.pid}-9b2d`;
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serveManagedMlx(extra: Record<string, string> = {}): Promise<ServerProcess> {
  const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n[llama_cpp]\nhosts = ""\n');
  const python = mlxPython();
  return startServerProcess(
    home,
    [],
    {
      AUTOBYTEUS_PORT: '0',
      LOG_LEVEL: 'debug',
      MLX_MANAGED: 'true',
      MLX_PYTHON_BIN: python,
      MLX_DEFAULT_MODEL: mlxModelPath(),
      MLX_MANAGED_PORT: String(await freePort()),
      MLX_LAUNCH_COMMAND: `${python} -m mlx_lm.server --model {model} --host {host} --port {port} --log-level DEBUG`,
      HF_HUB_CACHE: mlxHubCache(),
      HF_HUB_OFFLINE: '1',
      ...extra,
    },
    'serve',
    240_000,
  );
}

/** One chat through the gateway to the managed MLX engine, carrying the marker. */
async function chatWithMarker(url: string): Promise<void> {
  const models = (await (await fetch(`${url}/v1/models`)).json()).data as Array<{ id: string }>;
  const mlx = models.find((m) => m.id === MLX_REPO_ID);
  expect(mlx, JSON.stringify(models)).toBeDefined();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: mlx?.id,
      messages: [{ role: 'user', content: `Repeat after me: ${MARKER}` }],
      max_tokens: 8,
    }),
  });
  expect(response.status).toBe(200);
  expect((await response.json()).choices[0].message.content.length).toBeGreaterThan(0);
}

/** The server's log lines (pino JSON) that came from the managed engine's output. */
function engineLines(output: string): string[] {
  return output.split('\n').filter((line) => line.includes('"engine":"mlx"'));
}

describe('MLX_MANAGED=true serve with the real mlx_lm.server', () => {
  it('serves a chat, and the prompt the DEBUG engine printed never reaches the server log', async () => {
    server = await serveManagedMlx();
    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    expect(engines.find((e: { runtime: string }) => e.runtime === 'mlx')).toMatchObject({
      managed: true,
      process: { state: 'ready' },
    });
    await chatWithMarker(server.url);
    // Stopping the server stops the engine: every line it printed has been logged by then.
    await server.stop();
    const output = server.output();
    expect(engineLines(output).length).toBeGreaterThan(0);
    expect(output).toContain('[redacted]');
    expect(output).not.toContain(MARKER);
  }, 300_000);

  it('with LOG_PROMPTS=true the same prompt is logged from the engine output (so the check above can fail)', async () => {
    server = await serveManagedMlx({ LOG_PROMPTS: 'true' });
    await chatWithMarker(server.url);
    await server.stop();
    expect(engineLines(server.output()).some((line) => line.includes(MARKER))).toBe(true);
  }, 300_000);
});
