import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyBuildCache, fixtureNpmTarball } from '../engines/support/llama-source-fixtures.js';
import { cleanEnv, runCli, tempHome } from '../support/server-process.js';

// `engines install llama-cpp --source npm:...` as a user types it, on an empty home and an empty
// build cache. The package is a node-llama-cpp-shaped tarball around a tiny CMake tree (seconds to
// build) that `npm pack` takes by path, so the product's npm route runs for real without a registry.
describe('engines install llama-cpp --source npm:<package>, cold', () => {
  it('packs, builds and activates it; engines list shows it and the binary runs', async () => {
    const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const buildCache = emptyBuildCache();
    const env = cleanEnv(home, { LLAMACPP_BUILD_CACHE: buildCache });
    const tarball = fixtureNpmTarball(11);

    const result = await runCli(['engines', 'install', 'llama-cpp', '--source', `npm:${tarball}`], env);
    expect(result.stderr).not.toContain('not on PATH');
    expect(result.code, result.stderr).toBe(0);
    const dir = join(home, 'engines', 'llama-cpp', 'b11-abc1234');
    expect(result.stdout.trim()).toBe(`llama-cpp b11-abc1234 installed at ${dir} (active)`);
    expect(result.stderr).toContain(`building llama-server from source (npm:${tarball})`);

    const listed = await runCli(['engines', 'list', '--json'], env);
    const record = JSON.parse(listed.stdout).installed['llama-cpp'];
    expect(record.active).toBe('b11-abc1234');
    const binary = record.versions['b11-abc1234'].path as string;
    expect(binary).toBe(join(dir, 'bin', 'llama-server'));
    const ran = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    expect(ran.status).toBe(0);
    expect(ran.stderr).toContain('version: 0.4.0-dev (build 11, commit abc1234)');
    expect(readdirSync(buildCache)).toEqual([expect.stringMatching(/^llama-server-[0-9a-f]{12}$/)]);
  }, 120_000);
});
