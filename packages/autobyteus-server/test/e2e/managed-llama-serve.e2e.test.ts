import { afterEach, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// `LLAMACPP_MANAGED=true serve` with the real llama-server as the managed engine, run verbose (`-v`):
// this llama-server then prints each generated token (`next token: ... 'text'`) and the whole reply
// (`Parsed message: {"role":"assistant","content":"..."}`), though not the prompt. The reply is the
// text that must stay out of the server's log (and the prompt marker, should an engine print it).
const MARKER = `MANAGED-LLAMA-MARKER-${process.pid}-c41e`;
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function serveManagedLlama(extra: Record<string, string> = {}): Promise<ServerProcess> {
  const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
  return startServerProcess(
    home,
    [],
    {
      AUTOBYTEUS_PORT: '0',
      LOG_LEVEL: 'debug',
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
      LLAMACPP_MANAGED_PORT: String(await freePort()),
      LLAMACPP_EXTRA_ARGS: '-v',
      ...extra,
    },
    'serve',
    120_000,
  );
}

/** One chat through the gateway carrying the marker; returns the reply, which must be real text. */
async function chatWithMarker(url: string): Promise<string> {
  const models = (await (await fetch(`${url}/v1/models`)).json()).data as Array<{ id: string }>;
  expect(models.map((m) => m.id)).toContain('SmolLM2-135M-Instruct.Q4_1');
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: models[0]?.id,
      messages: [{ role: 'user', content: `Write one sentence about the sea. ${MARKER}` }],
      max_tokens: 24,
      temperature: 0,
    }),
  });
  expect(response.status).toBe(200);
  const reply = ((await response.json()).choices[0].message.content as string).trim();
  // Long enough that finding it in a log line is no accident.
  expect(reply.length).toBeGreaterThan(12);
  return reply;
}

/** The messages of the server's log lines (pino JSON) that came from the managed engine's output. */
function engineLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"engine":"llama-cpp"'))
    .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg ?? ''));
}

describe('LLAMACPP_MANAGED=true serve with the real llama-server', () => {
  it('serves a chat, and the reply the verbose engine printed never reaches the server log', async () => {
    server = await serveManagedLlama();
    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    expect(engines.find((e: { runtime: string }) => e.runtime === 'llama_cpp')).toMatchObject({
      managed: true,
      process: { state: 'ready' },
    });
    const reply = await chatWithMarker(server.url);
    // Stopping the server stops the engine: every line it printed has been logged by then.
    await server.stop();
    const output = server.output();
    const lines = engineLines(output);
    expect(lines.some((line) => /Parsed message: \[redacted\]/.test(line))).toBe(true);
    expect(lines.filter((line) => line.includes(reply))).toEqual([]);
    expect(output).not.toContain(MARKER);
  }, 180_000);

  it('with LOG_PROMPTS=true the same reply is logged from the engine output (so the check above can fail)', async () => {
    server = await serveManagedLlama({ LOG_PROMPTS: 'true' });
    const reply = await chatWithMarker(server.url);
    await server.stop();
    expect(engineLines(server.output()).some((line) => line.includes(`Parsed message: `) && line.includes(reply))).toBe(
      true,
    );
  }, 180_000);
});
