import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineState,
  EngineSupervisor,
  isProcessAlive,
  llamaCppReadiness,
  ManagedLocalEngine,
  type ManagedLocalEngineOptions,
} from '../../../src/engines/process/index.js';
import {
  assertBuiltManagerIsCurrent,
  captureLogger,
  childProcessesMatching,
  FAKE_ENGINE,
  FIXTURES,
  fakeEngineCommand,
  freePort,
  processesMatching,
  tempStateDir,
  waitFor,
} from './support.js';

const engines: ManagedLocalEngine[] = [];

function makeEngine(port: number, options: Partial<ManagedLocalEngineOptions> = {}) {
  const captured = captureLogger();
  const engine = new ManagedLocalEngine({
    name: 'llama-cpp',
    command: fakeEngineCommand(port),
    hostUrl: `http://127.0.0.1:${port}`,
    readiness: llamaCppReadiness({ timeoutMs: 20_000 }),
    logger: captured.logger,
    stateDir: tempStateDir(),
    stopGraceMs: 1_000,
    restart: { maxRestarts: 3, baseDelayMs: 50, maxDelayMs: 200 },
    externalHostsKey: 'LLAMACPP_HOSTS',
    ...options,
  });
  engines.push(engine);
  const states: EngineState[] = [];
  engine.onStateChange((status) => states.push(status.state));
  return { engine, captured, states };
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

describe('ManagedLocalEngine with a fake engine', () => {
  it('starts, reports ready once /health answers 200, writes the PID file, and stops cleanly', async () => {
    const port = await freePort();
    const { engine, states } = makeEngine(port, { command: fakeEngineCommand(port, '--loading-ms', '300') });
    const status = await engine.start();
    expect(status).toMatchObject({ state: 'ready', port, restarts: 0, adopted: false });
    const pid = status.pid!;
    expect(isProcessAlive(pid)).toBe(true);
    expect(existsSync(engine.pidFilePath)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await engine.stop();
    expect(engine.status().state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(engine.pidFilePath)).toBe(false);
    expect(states).toEqual(['starting', 'ready', 'stopping', 'stopped']);
    // The watchdog (a `node -e` child of this process) ended with the engine.
    await waitFor(() => childProcessesMatching('ownerGone').length === 0, 3_000, 'the watchdog to exit');
  });

  it('fails at once when the first start exits, with the exit code and the last output line', async () => {
    const port = await freePort();
    const { engine, states } = makeEngine(port, { command: fakeEngineCommand(port, '--mode', 'exit') });
    await expect(engine.start()).rejects.toThrow(/exited with code 3 before it was ready/);
    const status = engine.status();
    expect(status.state).toBe('failed');
    expect(status.lastError).toContain('fatal: cannot load model (exiting with code 3)');
    expect(status.restarts).toBe(0);
    expect(existsSync(engine.pidFilePath)).toBe(false);
    expect(states).toEqual(['starting', 'failed']);
  });

  it('an engine that dies of SIGILL says the build does not fit this CPU and how to rebuild it', async () => {
    const port = await freePort();
    const { engine } = makeEngine(port, { command: fakeEngineCommand(port, '--mode', 'sigill') });
    await expect(engine.start()).rejects.toThrow(
      /killed by SIGILL \(illegal instruction: .*engines install llama-cpp --force\)/,
    );
    expect(engine.status().state).toBe('failed');
  });

  it('restarts a crashing engine with back-off and gives up after maxRestarts', async () => {
    const port = await freePort();
    const stateFile = join(tempStateDir(), 'first-run');
    // First run: ready, then exits with 3 after 100 ms; every restart exits with 3 at once.
    const { engine, states } = makeEngine(port, {
      command: fakeEngineCommand(port, '--state-file', stateFile, '--crash-after-ms', '100'),
    });
    await engine.start();
    const started = Date.now();
    await waitFor(() => engine.status().state === 'failed', 10_000, 'the engine to be given up');
    const status = engine.status();
    expect(status.restarts).toBe(3);
    expect(status.lastError).toMatch(/^gave up after 3 restarts: .*exited with code 3/);
    expect(status.lastError).toContain('fatal: cannot load model (exiting with code 3)');
    // Back-off 50 + 100 + 200 ms at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(states).toEqual(['starting', 'ready', 'starting', 'failed']);
    expect(existsSync(engine.pidFilePath)).toBe(false);
  });

  it('restarts an engine killed with SIGKILL and is ready again', async () => {
    const port = await freePort();
    const { engine } = makeEngine(port);
    const first = (await engine.start()).pid!;
    const readyAgain = new Promise<void>((resolve) => {
      const off = engine.onStateChange((s, previous) => {
        if (s.state === 'ready' && previous === 'starting') {
          off();
          resolve();
        }
      });
    });
    process.kill(first, 'SIGKILL');
    await readyAgain;
    const status = engine.status();
    expect(status).toMatchObject({ state: 'ready', restarts: 1 });
    expect(status.pid).not.toBe(first);
    expect(status.lastError).toContain('was killed by SIGKILL');
  });

  it('kills an engine that never becomes ready when the start timeout passes', async () => {
    const port = await freePort();
    const { engine } = makeEngine(port, {
      command: fakeEngineCommand(port, '--mode', 'never', '--print', 'still loading the model'),
      startTimeoutMs: 800,
    });
    let pid: number | undefined;
    engine.onOutput(() => {
      pid ??= engine.status().pid;
    });
    await expect(engine.start()).rejects.toThrow(/not ready within 800 ms/);
    expect(engine.status().lastError).toContain('still loading the model');
    expect(pid).toBeGreaterThan(0);
    expect(isProcessAlive(pid!)).toBe(false);
    expect(existsSync(engine.pidFilePath)).toBe(false);
  });

  it('escalates to SIGKILL when the engine ignores SIGTERM', async () => {
    const port = await freePort();
    const { engine, captured } = makeEngine(port, {
      command: fakeEngineCommand(port, '--ignore-sigterm'),
      stopGraceMs: 300,
    });
    const { pid } = await engine.start();
    const before = Date.now();
    await engine.stop();
    expect(Date.now() - before).toBeGreaterThanOrEqual(300);
    expect(isProcessAlive(pid!)).toBe(false);
    expect(captured.text()).toContain('sending SIGKILL');
  });

  it('fails with the spawn error when the program does not exist', async () => {
    const port = await freePort();
    const { engine } = makeEngine(port, { command: ['/nonexistent/llama-server', '--port', String(port)] });
    await expect(engine.start()).rejects.toThrow(/could not be started: .*ENOENT/);
  });
});

describe('finding an engine that is already running', () => {
  it('adopts the engine another manager started instead of starting a second copy', async () => {
    const port = await freePort();
    const stateDir = tempStateDir();
    const a = makeEngine(port, { stateDir });
    const b = makeEngine(port, { stateDir });
    const first = await a.engine.start();
    const adopted = await b.engine.start();
    expect(adopted).toMatchObject({ state: 'ready', adopted: true, pid: first.pid });
    expect(processesMatching(FAKE_ENGINE, `--port ${port}`)).toEqual([first.pid]);
    // Stop both together: neither sees the other's stop as a crash.
    await Promise.all([a.engine.stop(), b.engine.stop()]);
    expect(isProcessAlive(first.pid!)).toBe(false);
    expect(processesMatching(FAKE_ENGINE, `--port ${port}`)).toEqual([]);
  });

  it('refuses a port that another process (no PID file of ours) listens on', async () => {
    const port = await freePort();
    const server: Server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const { engine } = makeEngine(port);
      await expect(engine.start()).rejects.toThrow(
        `port ${port} is already in use by another process; set LLAMACPP_HOSTS to use it as an external host or choose another port`,
      );
      expect(engine.status().state).toBe('failed');
      expect(processesMatching(FAKE_ENGINE, `--port ${port}`)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('removes a stale PID file whose process is gone and starts normally', async () => {
    const port = await freePort();
    const stateDir = tempStateDir();
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const pidFile = join(stateDir, `llama-cpp-${port}.pid`);
    writeFileSync(pidFile, `${dead.pid}\n`);
    const { engine, captured } = makeEngine(port, { stateDir });
    const status = await engine.start();
    expect(status.adopted).toBe(false);
    expect(status.pid).not.toBe(dead.pid);
    expect(captured.text()).toContain('removing stale PID file');
  });
});

describe('EngineSupervisor', () => {
  it('stops every registered engine together', async () => {
    const supervisor = new EngineSupervisor();
    const ports = [await freePort(), await freePort()];
    const engines = ports.map((port) => supervisor.add(makeEngine(port).engine));
    const pids = (await Promise.all(engines.map((engine) => engine.start()))).map((s) => s.pid!);
    expect(supervisor.statuses().map((s) => s.state)).toEqual(['ready', 'ready']);
    await supervisor.stopAll();
    expect(supervisor.statuses().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('installs no process handlers on import, only when asked, and removes them again', async () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
    const supervisor = new EngineSupervisor();
    const uninstall = supervisor.installExitHandlers(process);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e))).toEqual(
      before.map((n) => n + 1),
    );
    uninstall();
    expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e))).toEqual(before);
  });
});

describe('when the server process goes away', () => {
  beforeAll(() => assertBuiltManagerIsCurrent());

  async function hostEngine(port: number, stateDir: string, watchdog: 'on' | 'off', handlers = false) {
    const args = [join(FIXTURES, 'engine-host.mjs'), stateDir, String(port), watchdog, handlers ? 'handlers' : ''];
    const host = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    host.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const ready = await new Promise<{ pid: number; pidFile: string }>((resolve, reject) => {
      let out = '';
      host.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      host.once('exit', (code) => reject(new Error(`engine host exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
    return { host, exited, ...ready };
  }

  it('importing the built module installs no process handlers', () => {
    const probe = `import(${JSON.stringify(join(FIXTURES, '..', '..', '..', '..', 'dist', 'engines', 'process', 'index.js'))})
      .then(() => console.log(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e)).join(',')))`;
    const out = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(out.trim()).toBe('0,0,0,0');
  });

  it('SIGKILL: the watchdog kills the engine (no orphan)', async () => {
    const port = await freePort();
    const { host, pid, pidFile } = await hostEngine(port, tempStateDir(), 'on');
    expect(isProcessAlive(pid)).toBe(true);
    host.kill('SIGKILL');
    await waitFor(() => !isProcessAlive(pid), 5_000, `engine ${pid} to be killed by the watchdog`);
    expect(processesMatching(FAKE_ENGINE, `--port ${port}`)).toEqual([]);
    // Nobody was left to remove it; the next start removes it as stale.
    expect(existsSync(pidFile)).toBe(true);
  });

  it('SIGKILL without the watchdog: the engine survives and the next start adopts it through the PID file', async () => {
    const port = await freePort();
    const stateDir = tempStateDir();
    const { host, pid, exited } = await hostEngine(port, stateDir, 'off');
    host.kill('SIGKILL');
    await exited;
    expect(isProcessAlive(pid)).toBe(true);
    const { engine } = makeEngine(port, { stateDir });
    const status = await engine.start();
    expect(status).toMatchObject({ state: 'ready', adopted: true, pid });
    await engine.stop();
    await waitFor(() => !isProcessAlive(pid), 5_000, `adopted engine ${pid} to stop`);
    expect(existsSync(engine.pidFilePath)).toBe(false);
  });

  it('SIGTERM: the exit handlers stop the engine gracefully, remove the PID file and exit 143', async () => {
    const port = await freePort();
    const { host, pid, pidFile, exited } = await hostEngine(port, tempStateDir(), 'off', true);
    host.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('process.exit(): the exit handler sends SIGTERM to the engine', async () => {
    const port = await freePort();
    const { host, pid, exited } = await hostEngine(port, tempStateDir(), 'off', true);
    host.stdin.write('exit\n');
    expect(await exited).toBe(0);
    await waitFor(() => !isProcessAlive(pid), 5_000, `engine ${pid} to end after the host exited`);
  });
});
