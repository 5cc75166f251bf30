import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import { cleanEnv, runCli, tempHome } from '../support/server-process.js';

// `engines start`, `engines status` and `engines stop` as a user runs them: start in one terminal
// (it supervises the real llama-server until interrupted), status and stop from another.
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
let starter: ChildProcess | undefined;
afterAll(async () => {
  // SIGTERM first: `engines start` stops its engines on the way out.
  if (!starter || starter.exitCode !== null) return;
  const gone = new Promise((resolve) => starter?.once('exit', resolve));
  starter.kill('SIGTERM');
  const timer = setTimeout(() => starter?.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
});

interface StatusRow {
  engine: string;
  managed: boolean;
  url: string;
  pid?: number;
  running: boolean;
  runs?: string;
}

async function status(env: NodeJS.ProcessEnv): Promise<StatusRow> {
  const result = await runCli(['engines', 'status', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  const row = (JSON.parse(result.stdout) as StatusRow[]).find((r) => r.engine === 'llama-cpp');
  if (!row) throw new Error(`no llama-cpp row in ${result.stdout}`);
  return row;
}

describe('engines start | status | stop', () => {
  it('start runs the managed engine, status shows it, stop ends it', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const port = await freePort();
    const env = cleanEnv(home, {
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
      LLAMACPP_MANAGED_PORT: String(port),
    });

    const before = await status(env);
    expect(before).toMatchObject({ managed: true, url: `http://127.0.0.1:${port}`, running: false });
    expect(before.runs).toBe(llamaServerBinary());

    const child = spawn(process.execPath, [CLI, 'engines', 'start'], { env, cwd: home });
    starter = child;
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    const pid = await new Promise<number>((resolve, reject) => {
      const check = () => {
        const match = /llama-cpp ready at (\S+) \(pid (\d+)\)/.exec(output);
        if (match) resolve(Number(match[2]));
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', (code) => reject(new Error(`engines start exited with ${code}:\n${output}`)));
    });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(await status(env)).toMatchObject({ running: true, pid });

    const stopped = await runCli(['engines', 'stop', 'llama-cpp'], env);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`llama-cpp (pid ${pid}) stopped`);
    expect(alive(pid)).toBe(false);
    // It stays stopped: the supervising `engines start` takes the exit as a stop, not a crash to
    // restart, and with no engine left it exits by itself.
    const exitCode = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
    expect(exitCode).toBe(0);
    expect(output).toContain('every engine was stopped (engines stop); exiting');
    expect(output).not.toContain('restarting engine');
    expect(await status(env)).toMatchObject({ running: false });
    const again = await runCli(['engines', 'stop', 'llama-cpp'], env);
    expect(again.stdout).toContain(`llama-cpp is not running on port ${port}`);
  }, 120_000);

  it('start with nothing to start says what to do and exits non-zero', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const result = await runCli(['engines', 'start'], cleanEnv(home, { LLAMACPP_MANAGED: 'true' }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('nothing to start');
  });
});
