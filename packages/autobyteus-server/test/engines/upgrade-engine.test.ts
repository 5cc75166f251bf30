import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SmokeTestFailedError } from '../../src/engines/install/commit-install.js';
import { installFromArchiveOrFolder } from '../../src/engines/install/install-from-archive.js';
import { runCommand } from '../../src/engines/install/run-command.js';
import { upgradeEngine } from '../../src/engines/install/upgrade-engine.js';
import { engineHome } from './support/engine-home.js';
import { writeFakeLlamaServer } from './support/fake-llama.js';

/** Starts the "engine" (the fake exits at once with its exit code): exit 0 = ready, else failed. */
const startEngine = async (path: string) => {
  const result = await runCommand(path, ['--port', '0'], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`llama-server exited with code ${result.code} during startup`);
};

function bundle(build: number, exitCode = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-upgrade-'));
  writeFakeLlamaServer(join(dir, 'bin'), { build, exitCode });
  return dir;
}

describe('upgradeEngine', () => {
  it('activates the new version only after its smoke test passes; the old one becomes previous', async () => {
    const { store, folders } = engineHome();
    await installFromArchiveOrFolder({ store, from: bundle(1) });
    const seen: string[] = [];
    const upgraded = await upgradeEngine({
      store,
      install: () => installFromArchiveOrFolder({ store, from: bundle(2), activate: false }),
      smokeTest: async (path, installed) => {
        // While the smoke test runs, the old version is still the active one.
        seen.push((await store.read()).engines['llama-cpp'].active ?? 'none', installed.version);
        await startEngine(path);
      },
    });
    expect(seen).toEqual(['b1-abc1234', 'b2-abc1234']);
    expect(upgraded).toMatchObject({ version: 'b2-abc1234', active: true, replaced: 'b1-abc1234' });
    const record = (await store.read()).engines['llama-cpp'];
    expect([record.active, record.previous]).toEqual(['b2-abc1234', 'b1-abc1234']);
    expect(folders('llama-cpp')).toEqual(['b1-abc1234', 'b2-abc1234']);
    await store.rollback('llama-cpp');
    expect((await store.read()).engines['llama-cpp'].active).toBe('b1-abc1234');
  });

  it('keeps the old version active and removes the new folder when the new engine fails to start', async () => {
    const { store, folders } = engineHome();
    await installFromArchiveOrFolder({ store, from: bundle(1) });
    const error = await upgradeEngine({
      store,
      install: () => installFromArchiveOrFolder({ store, from: bundle(2, 1), activate: false }),
      smokeTest: startEngine,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(SmokeTestFailedError);
    expect(error.message).toBe(
      'llama-cpp b2-abc1234 failed its smoke test: llama-server exited with code 1 during startup. It was removed; b1-abc1234 stays active.',
    );
    const record = (await store.read()).engines['llama-cpp'];
    expect(record.active).toBe('b1-abc1234');
    expect(Object.keys(record.versions)).toEqual(['b1-abc1234']);
    expect(folders('llama-cpp')).toEqual(['b1-abc1234']);
  });

  it('refuses an install callback that already activated (the smoke test must come first)', async () => {
    const { store } = engineHome();
    await expect(
      upgradeEngine({
        store,
        install: () => installFromArchiveOrFolder({ store, from: bundle(3) }),
        smokeTest: startEngine,
      }),
    ).rejects.toThrow(/must install with activate: false/);
  });
});
