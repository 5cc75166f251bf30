import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from '../../src/engines/manifest/engine-layout.js';
import { EngineManifestError, EngineManifestStore } from '../../src/engines/manifest/engine-manifest-store.js';
import { writeReceipt } from '../../src/engines/manifest/install-receipt.js';
import { type EngineManifest, manifestSchema } from '../../src/engines/manifest/manifest-schema.js';
import { exited, spawnManifestChild } from './support/manifest-child.js';

const tempEngines = () => join(mkdtempSync(join(tmpdir(), 'autobyteus-manifest-')), 'engines');

const entry = (path: string, installedAt = new Date().toISOString()) => ({
  source: 'release' as const,
  path,
  installedAt,
});

async function install(store: EngineManifestStore, version: string, installedAt?: string) {
  await store.update((m) => {
    m.engines['llama-cpp'].versions[version] = entry(`/x/${version}/bin/llama-server`, installedAt);
    return m;
  });
}

/** A version folder with a receipt, the way installers leave it. */
async function installedFolder(enginesDir: string, engine: 'llama-cpp' | 'mlx', version: string, installedAt: string) {
  const dir = join(enginesDir, engine, version);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  await writeReceipt(dir, {
    receipt: 1,
    engine,
    version,
    source: 'source',
    path: 'bin/llama-server',
    installedAt,
    buildFlags: ['-DGGML_NATIVE=ON'],
  });
  return dir;
}

describe('EngineManifestStore', () => {
  it('starts empty without writing anything', async () => {
    const store = new EngineManifestStore({ enginesDir: tempEngines() });
    const manifest = await store.read();
    expect(manifest).toEqual({
      version: 1,
      engines: {
        'llama-cpp': { active: null, previous: null, versions: {} },
        mlx: { active: null, previous: null, versions: {} },
      },
    });
    expect(existsSync(store.path)).toBe(false);
    expect(store.warnings).toEqual([]);
  });

  it('activates, remembers the previous version and rolls back (twice = back again)', async () => {
    const store = new EngineManifestStore({ enginesDir: tempEngines() });
    await install(store, 'b1');
    await install(store, 'b2');
    await store.setActive('llama-cpp', 'b1');
    await store.setActive('llama-cpp', 'b2');
    let record = (await store.read()).engines['llama-cpp'];
    expect([record.active, record.previous]).toEqual(['b2', 'b1']);
    expect(await store.rollback('llama-cpp')).toEqual({ from: 'b2', to: 'b1' });
    record = (await store.read()).engines['llama-cpp'];
    expect([record.active, record.previous]).toEqual(['b1', 'b2']);
    await store.rollback('llama-cpp');
    expect((await store.read()).engines['llama-cpp'].active).toBe('b2');
    // On disk it is plain, valid JSON.
    expect(manifestSchema.parse(JSON.parse(readFileSync(store.path, 'utf8'))).engines['llama-cpp'].active).toBe('b2');
  });

  it('says clearly when there is nothing to roll back to, or the version is unknown', async () => {
    const store = new EngineManifestStore({ enginesDir: tempEngines() });
    await expect(store.rollback('mlx')).rejects.toThrow(
      'mlx has no previous version to roll back to (active: none; installed: none)',
    );
    await install(store, 'b1');
    await store.setActive('llama-cpp', 'b1');
    await expect(store.rollback('llama-cpp')).rejects.toThrow(/no previous version.*active: b1/);
    await expect(store.setActive('llama-cpp', 'b9')).rejects.toThrow('llama-cpp b9 is not installed (installed: b1)');
    await expect(store.setActive('llama-cpp', '../../etc')).rejects.toThrow(InvalidVersionError);
  });

  it('removes versions with their folders, refusing the active one unless forced', async () => {
    const enginesDir = tempEngines();
    const store = new EngineManifestStore({ enginesDir });
    for (const v of ['b1', 'b2', 'b3']) {
      const dir = await installedFolder(enginesDir, 'llama-cpp', v, new Date().toISOString());
      await store.update((m) => {
        m.engines['llama-cpp'].versions[v] = entry(join(dir, 'bin/llama-server'));
        return m;
      });
      await store.setActive('llama-cpp', v);
    }
    await expect(store.remove('llama-cpp', 'b3')).rejects.toThrow(
      /llama-cpp b3 is the active version: roll back first \(engines rollback llama-cpp\)/,
    );
    expect(existsSync(join(enginesDir, 'llama-cpp', 'b3'))).toBe(true);
    await store.remove('llama-cpp', 'b2');
    let record = (await store.read()).engines['llama-cpp'];
    expect(Object.keys(record.versions)).toEqual(['b1', 'b3']);
    expect(record.previous).toBeNull();
    expect(existsSync(join(enginesDir, 'llama-cpp', 'b2'))).toBe(false);
    await store.remove('llama-cpp', 'b3', { force: true });
    record = (await store.read()).engines['llama-cpp'];
    expect(record.active).toBeNull();
    expect(readdirSync(join(enginesDir, 'llama-cpp'))).toEqual(['b1']);
  });

  it('writes nothing when the change is invalid or the update function throws', async () => {
    const store = new EngineManifestStore({ enginesDir: tempEngines() });
    await install(store, 'b1');
    const before = readFileSync(store.path, 'utf8');
    await expect(
      store.update((m) => {
        m.engines['llama-cpp'].active = 'b7';
        return m;
      }),
    ).rejects.toThrow(EngineManifestError);
    await expect(
      store.update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('rebuilds a corrupt manifest from the install receipts, with a warning, keeping the bad copy', async () => {
    const enginesDir = tempEngines();
    await installedFolder(enginesDir, 'llama-cpp', 'b1-80fb11a', '2025-01-01T00:00:00.000Z');
    await installedFolder(enginesDir, 'llama-cpp', 'b2-aaaaaaa', '2025-02-01T00:00:00.000Z');
    await installedFolder(enginesDir, 'llama-cpp', 'b0-old', '2024-12-01T00:00:00.000Z');
    mkdirSync(join(enginesDir, 'llama-cpp', 'no-receipt'));
    mkdirSync(join(enginesDir, 'llama-cpp', '.staging-1-abc'));
    writeFileSync(join(enginesDir, 'manifest.json'), '{"version":1,"engines":{"llama-cpp":{"act');
    const warnings: string[] = [];
    const store = new EngineManifestStore({ enginesDir, onWarning: (w) => warnings.push(w) });
    const manifest = await store.read();
    const record = manifest.engines['llama-cpp'];
    expect(Object.keys(record.versions).sort()).toEqual(['b0-old', 'b1-80fb11a', 'b2-aaaaaaa']);
    expect(record.active).toBe('b2-aaaaaaa');
    expect(record.previous).toBe('b1-80fb11a');
    expect(record.versions['b2-aaaaaaa']).toMatchObject({
      source: 'source',
      path: join(enginesDir, 'llama-cpp', 'b2-aaaaaaa', 'bin', 'llama-server'),
      buildFlags: ['-DGGML_NATIVE=ON'],
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/manifest.json was invalid: not JSON.*rebuilt it from the install receipts/);
    expect(warnings[0]).toMatch(/no-receipt/);
    expect(readdirSync(enginesDir).some((n) => n.startsWith('manifest.json.corrupt-'))).toBe(true);
    // The repaired manifest was written: a second reader sees it without another warning.
    const again = new EngineManifestStore({ enginesDir });
    expect((await again.read()).engines['llama-cpp'].active).toBe('b2-aaaaaaa');
    expect(again.warnings).toEqual([]);
  });

  it('rebuilds a manifest that parses but is invalid, and one that is missing', async () => {
    const enginesDir = tempEngines();
    await installedFolder(enginesDir, 'mlx', '0.32.2', '2025-01-01T00:00:00.000Z');
    writeFileSync(
      join(enginesDir, 'manifest.json'),
      JSON.stringify({ version: 1, engines: { mlx: { active: 'nope' } } }),
    );
    const store = new EngineManifestStore({ enginesDir });
    expect((await store.read()).engines.mlx.active).toBe('0.32.2');
    expect(store.warnings[0]).toMatch(/was invalid: engines\.mlx/);

    const enginesDir2 = tempEngines();
    await installedFolder(enginesDir2, 'mlx', '0.32.2', '2025-01-01T00:00:00.000Z');
    const store2 = new EngineManifestStore({ enginesDir: enginesDir2 });
    // update() repairs too: the change lands on the rebuilt manifest.
    await store2.update((m) => m);
    expect((await store2.read()).engines.mlx.versions['0.32.2']).toBeDefined();
    expect(store2.warnings[0]).toMatch(/was missing; rebuilt it/);
  });

  it('refuses (rather than rebuilds) a manifest from a newer autobyteus', async () => {
    const enginesDir = tempEngines();
    mkdirSync(enginesDir, { recursive: true });
    writeFileSync(join(enginesDir, 'manifest.json'), JSON.stringify({ version: 2, engines: {} }));
    await expect(new EngineManifestStore({ enginesDir }).read()).rejects.toThrow(/written by a newer autobyteus/);
  });

  it('loses no update when two processes write 50 times each at the same time', async () => {
    const enginesDir = tempEngines();
    const body = `
for (let i = 0; i < 50; i++) {
  await store.update((m) => {
    m.engines['llama-cpp'].versions[\`w\${process.env.WORKER}-\${i}\`] = { source: 'release', path: '/x', installedAt: new Date().toISOString() };
    return m;
  });
}`;
    await Promise.all([
      exited(spawnManifestChild(enginesDir, body, { WORKER: '1' })),
      exited(spawnManifestChild(enginesDir, body, { WORKER: '2' })),
    ]);
    const store = new EngineManifestStore({ enginesDir });
    const manifest = await store.read();
    const versions = Object.keys(manifest.engines['llama-cpp'].versions);
    expect(versions).toHaveLength(100);
    for (let i = 0; i < 50; i++) expect(versions).toEqual(expect.arrayContaining([`w1-${i}`, `w2-${i}`]));
    expect(store.warnings).toEqual([]);
    expect(readdirSync(enginesDir).sort()).toEqual(['manifest.json']);
  }, 60_000);

  it('still has a valid manifest after a writer is SIGKILLed mid-write, and takes over its stale lock', async () => {
    const enginesDir = tempEngines();
    const store = new EngineManifestStore({ enginesDir, staleMs: 2000 });
    // ~1 MB manifest, so a write takes long enough to be interrupted.
    await store.update((m: EngineManifest) => {
      for (let i = 0; i < 4000; i++)
        m.engines['llama-cpp'].versions[`v${i}`] = entry(
          `/opt/engines/llama-cpp/v${i}/bin/llama-server-${'x'.repeat(150)}`,
        );
      return m;
    });
    for (let round = 0; round < 2; round++) {
      const child = spawnManifestChild(
        enginesDir,
        `
let n = 0;
for (;;) {
  await store.update((m) => {
    m.engines['llama-cpp'].active = 'v' + (n++ % 4000);
    return m;
  });
  if (n === 1) process.stdout.write('writing\\n');
}`,
        { STALE_MS: '2000' },
      );
      const done = exited(child).catch(() => 'killed');
      await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill('SIGKILL');
      expect(await done).toBe('killed');
      const text = readFileSync(join(enginesDir, 'manifest.json'), 'utf8');
      expect(manifestSchema.safeParse(JSON.parse(text)).success).toBe(true);
    }
    const reader = new EngineManifestStore({ enginesDir, staleMs: 2000 });
    expect(Object.keys((await reader.read()).engines['llama-cpp'].versions)).toHaveLength(4000);
    // The killed writer's lock goes stale and is taken over; its temp file is cleaned up.
    await reader.update((m) => {
      m.engines['llama-cpp'].active = 'v1';
      return m;
    });
    expect((await reader.read()).engines['llama-cpp'].active).toBe('v1');
    expect(reader.warnings).toEqual([]);
    expect(readdirSync(enginesDir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 60_000);
});
