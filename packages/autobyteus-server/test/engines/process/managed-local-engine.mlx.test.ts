import { describe, expect, it } from 'vitest';
import { mlxHubCache, mlxModelPath, mlxPython } from '../../../../autobyteus/test/support/real-engines.js';
import { ManagedLocalEngine, mlxReadiness, mlxServerCommand } from '../../../src/engines/process/index.js';
import { captureLogger, freePort, processesMatching, tempStateDir } from './support.js';

describe('ManagedLocalEngine with the real mlx_lm.server', () => {
  it('becomes ready by its start-up line and a warm-up completion, answers a prompt, and stops', async () => {
    // Throws (never skips) when the venv or model was not prepared.
    const python = mlxPython();
    const model = mlxModelPath();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const command = mlxServerCommand({ python, model, hostUrl: url, allowRemote: false });
    const captured = captureLogger('info');
    const engine = new ManagedLocalEngine({
      name: 'mlx',
      command: command.argv,
      env: { ...command.env, HF_HUB_OFFLINE: '1', HF_HUB_CACHE: mlxHubCache(), TRANSFORMERS_OFFLINE: '1' },
      hostUrl: url,
      readiness: mlxReadiness({ timeoutMs: 150_000 }),
      logger: captured.logger,
      stateDir: tempStateDir(),
    });
    let startLineSeenAt: number | undefined;
    engine.onOutput((line) => {
      if (line.text.includes('Starting httpd at')) startLineSeenAt ??= line.at;
    });
    try {
      const ready = await engine.start();
      expect(ready).toMatchObject({ state: 'ready', port, adopted: false });
      // Ready only after the start-up line (the warm-up completion came after it).
      expect(startLineSeenAt).toBeDefined();
      expect(Date.parse(ready.readyAt!)).toBeGreaterThanOrEqual(startLineSeenAt!);
      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 3 }),
      });
      expect(chat.status).toBe(200);
      const body = (await chat.json()) as { choices: Array<{ message: { content: string } }> };
      expect(typeof body.choices[0]?.message.content).toBe('string');
      expect(captured.text()).toContain('"engine":"mlx"');
      const pid = ready.pid!;
      await engine.stop();
      expect(() => process.kill(pid, 0)).toThrow();
      expect(processesMatching('mlx_lm.server', `--port ${port}`)).toEqual([]);
    } finally {
      await engine.stop();
    }
  }, 240_000);
});
