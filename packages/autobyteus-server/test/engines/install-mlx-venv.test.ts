import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installMlxVenv, MlxPythonError } from '../../src/engines/install/install-mlx-venv.js';
import { engineHome } from './support/engine-home.js';
import { TEST_CACHE } from './support/fake-llama.js';

const MLX_PYTHON = join(TEST_CACHE, 'mlx-venv', 'bin', 'python');

describe('installMlxVenv', () => {
  it('records MLX_PYTHON_BIN without installing anything', async () => {
    if (!existsSync(MLX_PYTHON))
      throw new Error(`no mlx venv at ${MLX_PYTHON}: run scripts/prepare-test-engines.sh first`);
    const { home, store, folders } = engineHome();
    const installed = await installMlxVenv({ store, pythonBin: MLX_PYTHON });
    expect(installed).toMatchObject({
      engine: 'mlx',
      version: expect.stringMatching(/^\d+\.\d+\.\d+-external$/),
      path: MLX_PYTHON,
      active: true,
    });
    expect(installed.entry).toMatchObject({ source: 'venv', path: MLX_PYTHON, origin: `MLX_PYTHON_BIN=${MLX_PYTHON}` });
    expect(folders('mlx')).toEqual([installed.version]);
    expect(readdirSync(join(home, 'engines', 'mlx', installed.version))).toEqual(['install.json']);
    // Recording the same Python again just refreshes the record, even though it is active.
    const again = await installMlxVenv({ store, pythonBin: MLX_PYTHON });
    expect(again.version).toBe(installed.version);
    expect((await store.read()).engines.mlx).toMatchObject({ active: installed.version, previous: null });
  }, 60_000);

  it('says when the given Python does not exist', async () => {
    const { store, folders } = engineHome();
    const error = await installMlxVenv({ store, pythonBin: '/nonexistent/bin/python3' }).catch((e) => e);
    expect(error).toBeInstanceOf(MlxPythonError);
    expect(error.message).toBe(
      'Python /nonexistent/bin/python3 was not found or cannot run (fix MLX_PYTHON_BIN, or unset it to let autobyteus create its own venv)',
    );
    expect(folders('mlx')).toEqual([]);
  });

  it('says when the given Python lacks mlx_lm', async () => {
    const { store, folders } = engineHome();
    // A real Python that ignores every site-packages folder, so mlx_lm cannot be importable.
    const python = join(mkdtempSync(join(tmpdir(), 'autobyteus-python-')), 'python');
    writeFileSync(python, '#!/bin/sh\nexec python3 -I -S "$@"\n', { mode: 0o755 });
    const error = await installMlxVenv({ store, pythonBin: python }).catch((e) => e);
    expect(error).toBeInstanceOf(MlxPythonError);
    expect(error.message).toMatch(
      /cannot import mlx_lm and mlx \(ModuleNotFoundError: No module named 'mlx'\); install them/,
    );
    expect(folders('mlx')).toEqual([]);
  });

  it('says when there is no Python to create a venv with, leaving nothing behind', async () => {
    const { store, folders } = engineHome();
    await expect(installMlxVenv({ store, spec: 'mlx-lm[cpu]', systemPython: '/nonexistent/python3' })).rejects.toThrow(
      '/nonexistent/python3 was not found: install Python 3.10 or newer (or set MLX_PYTHON_BIN)',
    );
    expect(folders('mlx')).toEqual([]);
  });
});
