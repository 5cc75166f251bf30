import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { installFromArchiveOrFolder } from '../../src/engines/install/install-from-archive.js';
import { parseLlamaServerVersion } from '../../src/engines/install/llama-server-binary.js';
import { UnsafeArchiveError } from '../../src/engines/install/safe-extract.js';
import { ChecksumMismatchError } from '../../src/io/download-errors.js';
import { buildTarGz, buildZip } from './support/archive-builder.js';
import { engineHome } from './support/engine-home.js';
import { hasRealLlamaServer, REAL_LLAMA_SERVER, writeFakeLlamaServer } from './support/fake-llama.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const temp = () => mkdtempSync(join(tmpdir(), 'autobyteus-prebundled-'));

describe('parseLlamaServerVersion', () => {
  it('reads both version formats llama-server has printed', () => {
    expect(parseLlamaServerVersion('version: 0.4.0-dev (build 1, commit 80fb11a)\nbuilt with GNU 12.2.0')).toBe(
      'b1-80fb11a',
    );
    expect(parseLlamaServerVersion('version: 6123 (1a2b3c4d)\nbuilt with cc')).toBe('b6123-1a2b3c4d');
    expect(parseLlamaServerVersion('usage: llama-server [options]')).toBeNull();
  });
});

describe('installFromArchiveOrFolder', () => {
  it('installs a folder with llama-server nested inside, version from --version, libraries, links and llama-quantize kept', async () => {
    const { home, store } = engineHome();
    const bundle = temp();
    const bin = join(bundle, 'app', 'resources', 'bin');
    writeFakeLlamaServer(bin, { build: 42 });
    writeFileSync(join(bin, 'libllama.so.0'), 'lib');
    symlinkSync('libllama.so.0', join(bin, 'libllama.so'));
    writeFileSync(join(bin, 'llama-quantize'), 'quantize', { mode: 0o755 });
    const installed = await installFromArchiveOrFolder({ store, from: bundle });
    expect(installed).toMatchObject({
      version: 'b42-abc1234',
      active: true,
      path: join(home, 'engines', 'llama-cpp', 'b42-abc1234', 'bin', 'llama-server'),
    });
    expect(installed.entry).toMatchObject({
      source: 'prebundled',
      origin: bundle,
      checksum: sha(readFileSync(join(bin, 'llama-server'))),
    });
    expect(readFileSync(join(installed.dir, 'bin', 'libllama.so'), 'utf8')).toBe('lib');
    expect(readFileSync(join(installed.dir, 'bin', 'llama-quantize'), 'utf8')).toBe('quantize');
  });

  it('installs the real cached llama-server from a .tar.gz, version b<build>-<commit>', async () => {
    // Never skipped: the real engine is prepared by scripts/prepare-test-engines.sh.
    if (!hasRealLlamaServer)
      throw new Error(`${REAL_LLAMA_SERVER} is missing: run bash scripts/prepare-test-engines.sh`);
    const { store } = engineHome();
    const dir = temp();
    mkdirSync(join(dir, 'dist', 'build', 'bin'), { recursive: true });
    copyFileSync(REAL_LLAMA_SERVER, join(dir, 'dist', 'build', 'bin', 'llama-server'));
    const archive = join(dir, 'llama.tgz');
    await tar.c({ gzip: true, file: archive, cwd: dir }, ['dist']);
    const installed = await installFromArchiveOrFolder({ store, from: archive, sha256: sha(readFileSync(archive)) });
    expect(installed.version).toBe('b1-80fb11a');
    expect(installed.entry.checksum).toBe(sha(readFileSync(archive)));
  });

  it('takes --version over the binary, and falls back to a sha-based version when the binary cannot say', async () => {
    const { store } = engineHome();
    const dir = temp();
    const archive = join(dir, 'bundle.zip');
    writeFileSync(archive, buildZip([{ path: 'x/llama-server', content: 'not runnable here' }]));
    const digest = sha(readFileSync(archive));
    const installed = await installFromArchiveOrFolder({ store, from: archive });
    expect(installed.version).toBe(`sha-${digest.slice(0, 12)}`);
    const named = await installFromArchiveOrFolder({ store, from: archive, version: 'my-build-1' });
    expect(named.version).toBe('my-build-1');
    expect((await store.read()).engines['llama-cpp'].previous).toBe(`sha-${digest.slice(0, 12)}`);
  });

  it('refuses a checksum mismatch, an archive without llama-server and an unsafe archive, leaving nothing', async () => {
    const { store, folders, manifestText } = engineHome();
    const dir = temp();
    const good = join(dir, 'good.tar.gz');
    writeFileSync(good, buildTarGz([{ path: 'llama-server', content: '#!/bin/sh\n', mode: 0o755 }]));
    await expect(installFromArchiveOrFolder({ store, from: good, sha256: '0'.repeat(64) })).rejects.toThrow(
      ChecksumMismatchError,
    );
    const empty = join(dir, 'empty.tar.gz');
    writeFileSync(empty, buildTarGz([{ path: 'README', content: 'hi' }]));
    await expect(installFromArchiveOrFolder({ store, from: empty })).rejects.toThrow(/no llama-server binary found in/);
    const evil = join(dir, 'evil.tar.gz');
    writeFileSync(
      evil,
      buildTarGz([
        { path: 'llama-server', content: 'x' },
        { path: '../../escape', content: 'x' },
      ]),
    );
    await expect(installFromArchiveOrFolder({ store, from: evil })).rejects.toThrow(UnsafeArchiveError);
    await expect(installFromArchiveOrFolder({ store, from: join(dir, 'missing.zip') })).rejects.toThrow(/ENOENT/);
    expect(folders('llama-cpp')).toEqual([]);
    expect(manifestText()).toBeNull();
  });
});
