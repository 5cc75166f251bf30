import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { compileForChild } from './compile-for-child.js';

let compiled: string | undefined;

/**
 * Starts a plain `node` process that runs `body` (ES module code) with `store`, an
 * EngineManifestStore on `enginesDir` (staleLockMs from the environment), already in scope.
 */
export function spawnManifestChild(enginesDir: string, body: string, env: Record<string, string> = {}) {
  compiled ??= compileForChild(['engines/manifest', 'engines/specs', 'io', 'home-layout.ts']);
  const storeModule = join(compiled, 'engines', 'manifest', 'engine-manifest-store.js');
  const script = `
import { EngineManifestStore } from ${JSON.stringify(storeModule)};
const store = new EngineManifestStore({ enginesDir: process.env.ENGINES_DIR, staleMs: Number(process.env.STALE_MS || 10000) });
${body}
`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ENGINES_DIR: enginesDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a child to exit; rejects with its stderr when it fails. */
export function exited(child: ReturnType<typeof spawnManifestChild>): Promise<string> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d;
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`child exited ${code ?? signal}: ${err}`)),
    ),
  );
}
