import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { llamaServerBinary, smolLmGguf } from '../../../../autobyteus/test/support/real-engines.js';
import {
  isProcessAlive,
  llamaCppReadiness,
  llamaServerCommand,
  ManagedLocalEngine,
} from '../../../src/engines/process/index.js';
import { captureLogger, freePort, processesMatching, tempStateDir, waitFor } from './support.js';

describe('ManagedLocalEngine with the real llama-server', () => {
  let engine: ManagedLocalEngine | undefined;
  afterAll(async () => {
    await engine?.stop();
  });

  it('starts, answers, is restarted after SIGKILL, and stops without leaving a process', async () => {
    // Throws (never skips) when the engine or model was not prepared.
    const binary = llamaServerBinary();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const command = llamaServerCommand({
      binary,
      modelPath: smolLmGguf(),
      hostUrl: url,
      allowRemote: false,
      extraArgs: ['-c', '1024', '-np', '1', '-t', '2', '--alias', 'SmolLM2-135M-Instruct'],
    });
    const captured = captureLogger('debug');
    engine = new ManagedLocalEngine({
      name: 'llama-cpp',
      command: command.argv,
      env: command.env,
      hostUrl: url,
      readiness: llamaCppReadiness({ timeoutMs: 60_000 }),
      logger: captured.logger,
      stateDir: tempStateDir(),
      restart: { maxRestarts: 5, baseDelayMs: 200, maxDelayMs: 2_000 },
      stopGraceMs: 5_000,
    });

    const ready = await engine.start();
    expect(ready).toMatchObject({ state: 'ready', port, restarts: 0, adopted: false });
    const firstPid = ready.pid!;
    expect(existsSync(engine.pidFilePath)).toBe(true);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 4 }),
    });
    expect(chat.status).toBe(200);
    const body = (await chat.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    // llama-server's own lines reached the logger at debug, under the engine's name; the load is
    // summed up at info.
    expect(captured.text()).toMatch(/"level":20,.*"engine":"llama-cpp".*llama_server: listening on/);
    expect(captured.text()).toMatch(
      /"level":30,.*"engine":"llama-cpp".*"msg":"SmolLM2-135M-Instruct\.Q4_1\.gguf loaded in /,
    );

    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => engine!.status().state === 'starting', 5_000, 'the crash to be noticed');
    await waitFor(() => engine!.status().state === 'ready', 60_000, 'llama-server to be ready again');
    const restarted = engine.status();
    expect(restarted.restarts).toBe(1);
    expect(restarted.lastError).toContain('was killed by SIGKILL');
    expect(restarted.pid).not.toBe(firstPid);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const secondPid = restarted.pid!;

    await engine.stop();
    expect(engine.status().state).toBe('stopped');
    expect(() => process.kill(secondPid, 0)).toThrow();
    expect(() => process.kill(firstPid, 0)).toThrow();
    expect(existsSync(engine.pidFilePath)).toBe(false);
    expect(processesMatching(binary, `--port ${port}`)).toEqual([]);
    expect(isProcessAlive(secondPid)).toBe(false);
  }, 180_000);
});
