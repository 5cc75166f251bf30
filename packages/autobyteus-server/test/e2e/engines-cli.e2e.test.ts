import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { llamaServerBinary } from '../../../autobyteus/test/support/real-engines.js';
import { cleanEnv, runCli, tempHome } from '../support/server-process.js';

/** A .tar.gz laid out like an official release: `llama-<tag>/llama-server`. */
async function archiveWith(binary: (dir: string) => void, name: string): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'engine-archive-'));
  mkdirSync(join(root, 'llama-b1'));
  binary(join(root, 'llama-b1', 'llama-server'));
  const file = join(root, name);
  await tar.c({ gzip: true, file, cwd: root }, ['llama-b1']);
  return file;
}

const realArchive = () => archiveWith((dest) => copyFileSync(llamaServerBinary(), dest), 'good.tar.gz');
const brokenArchive = () =>
  archiveWith((dest) => {
    writeFileSync(dest, '#!/bin/sh\necho "error while loading shared libraries: libcuda.so.1" >&2\nexit 127\n');
    chmodSync(dest, 0o755);
  }, 'broken.tar.gz');

describe('engines CLI (real processes, real archives)', () => {
  it('install --from, a wrong sha256 refused, upgrade that fails its smoke test, rollback, remove', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const env = cleanEnv(home);
    const cli = (...args: string[]) => runCli(args, env);
    const installed = async () => JSON.parse((await cli('engines', 'list', '--json')).stdout).installed['llama-cpp'];
    const good = await realArchive();

    const wrong = await cli(
      'engines',
      'install',
      'llama-cpp',
      '--from',
      good,
      '--sha256',
      '0'.repeat(64),
      '--version',
      'v1',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/sha256/i);
    expect(Object.keys((await installed())?.versions ?? {})).toEqual([]);

    const first = await cli('engines', 'install', 'llama-cpp', '--from', good, '--version', 'v1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('llama-cpp v1 installed');
    expect(first.stderr).toContain('smoke test:');
    expect((await installed()).active).toBe('v1');

    const upgrade = await cli('engines', 'upgrade', 'llama-cpp', '--from', await brokenArchive(), '--version', 'v2');
    expect(upgrade.code).toBe(1);
    expect(upgrade.stderr).toMatch(/v2/);
    expect(upgrade.stderr).toMatch(/smoke|version/i);
    const afterFailed = await installed();
    expect(afterFailed.active).toBe('v1');
    expect(Object.keys(afterFailed.versions)).toEqual(['v1']);

    expect((await cli('engines', 'upgrade', 'llama-cpp', '--from', good, '--version', 'v3')).code).toBe(0);
    expect((await installed()).active).toBe('v3');
    const rollback = await cli('engines', 'rollback', 'llama-cpp');
    expect(rollback.stdout).toContain('v3 → v1');
    expect((await installed()).active).toBe('v1');
    expect((await cli('engines', 'remove', 'llama-cpp', 'v3')).code).toBe(0);
    expect(Object.keys((await installed()).versions)).toEqual(['v1']);
    const refused = await cli('engines', 'remove', 'llama-cpp', 'v1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/roll back first|active/);
  });

  it('doctor explains the build it would choose', async () => {
    const home = tempHome();
    const doctor = await runCli(['engines', 'doctor', '--json'], cleanEnv(home));
    const report = JSON.parse(doctor.stdout);
    expect(report.platform.os).toBe(process.platform);
    expect(report.llamaCpp.reasons.length).toBeGreaterThan(0);
    const text = await runCli(['engines', 'doctor'], cleanEnv(home));
    expect(text.stdout).toMatch(/llama\.cpp \(LLAMACPP_BACKEND=auto\)/);
  });
});
