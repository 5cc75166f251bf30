import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { cleanEnv, runCli } from '../support/server-process.js';

/** A temp folder holding this config.toml, loaded with an empty environment (nothing from the machine). */
function load(toml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-models-'));
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, toml);
  return { dir, configPath, config: () => loadServerConfig({ env: {}, cwd: dir, configPath }) };
}

function issuesOf(toml: string): ConfigError {
  try {
    load(toml).config();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('per-model settings: [models."name"] tables in config.toml', () => {
  it('parses every field; a scalar under [models] stays an ordinary key', () => {
    const { config } = load(`
[models]
pypi_url = "https://pypi.example"

[models."SmolLM2-135M-Instruct.Q4_1"]
alias = ["smol", "tiny"]
ctx_size = 4096
gpu_layers = "auto"
parallel = 2
extra_args = "--flash-attn on --chat-template 'chatml x'"
keep_alive = "1h30m"
pinned = true

[models."nomic-embed"]
alias = "embed"
gpu_layers = -1
extra_args = ["--pooling", "mean"]
keep_alive = -1
embeddings = true

[models.bare]
`);
    const loaded = config();
    expect(loaded.warnings).toEqual([]);
    expect(loaded.values.PYPI_URL).toBe('https://pypi.example');
    expect(loaded.models).toEqual({
      'SmolLM2-135M-Instruct.Q4_1': {
        alias: ['smol', 'tiny'],
        ctxSize: 4096,
        gpuLayers: 'auto',
        parallel: 2,
        extraArgs: ['--flash-attn', 'on', '--chat-template', 'chatml x'],
        keepAliveMs: 5_400_000,
        pinned: true,
        embeddings: false,
      },
      'nomic-embed': {
        alias: ['embed'],
        gpuLayers: -1,
        extraArgs: ['--pooling', 'mean'],
        keepAliveMs: -1,
        pinned: false,
        embeddings: true,
      },
      bare: { alias: [], extraArgs: [], pinned: false, embeddings: false },
    });
  });

  it('is an empty object when config.toml has no model tables', () => {
    expect(load('[server]\nport = 9000\n').config().models).toEqual({});
    expect(load('[models]\npypi_url = "https://pypi.example"\n').config().models).toEqual({});
  });

  it('reports each bad field with key, value and expectation, together with the other issues', () => {
    const error = issuesOf(`
[server]
port = "eighty"
[models."m"]
alias = ["ok", "/v1/chat"]
ctx_size = -1
gpu_layers = "most"
parallel = 0
extra_args = 5
keep_alive = "soon"
pinned = "yes"
embeddings = 1
`);
    const byKey = Object.fromEntries(error.issues.map((i) => [i.key, i]));
    expect(Object.keys(byKey).sort()).toEqual(
      [
        'server.port',
        'models."m".alias',
        'models."m".ctx_size',
        'models."m".gpu_layers',
        'models."m".parallel',
        'models."m".extra_args',
        'models."m".keep_alive',
        'models."m".pinned',
        'models."m".embeddings',
      ].sort(),
    );
    expect(byKey['models."m".ctx_size']).toEqual({
      key: 'models."m".ctx_size',
      value: '-1',
      source: 'config.toml',
      expected: "a whole number of tokens >= 0 (0 = the model's trained context)",
    });
    expect(byKey['models."m".alias']?.value).toBe('ok,/v1/chat');
    expect(byKey['models."m".alias']?.expected).toContain('not starting with "/"');
    expect(byKey['models."m".gpu_layers']).toMatchObject({
      value: 'most',
      expected: 'a whole number >= -1, or "auto" or "all"',
    });
    expect(byKey['models."m".parallel']).toMatchObject({ value: '0', expected: 'a whole number >= 1' });
    expect(byKey['models."m".extra_args']?.value).toBe('5');
    expect(byKey['models."m".keep_alive']).toMatchObject({ value: 'soon' });
    expect(byKey['models."m".keep_alive']?.expected).toContain('-1 = never unload');
    expect(byKey['models."m".pinned']).toMatchObject({ value: 'yes', expected: 'true or false' });
    expect(error.message).toContain(
      `models."m".ctx_size="-1" (from config.toml): expected a whole number of tokens >= 0 (0 = the model's trained context)`,
    );
    expect(error.message).toContain('server.port="eighty" (from config.toml)');
  });

  it('refuses fractional and out-of-range numbers', () => {
    const error = issuesOf('[models.m]\nctx_size = 1.5\ngpu_layers = -2\nparallel = 2.0e0\n');
    expect(error.issues.map((i) => i.key).sort()).toEqual(['models."m".ctx_size', 'models."m".gpu_layers']);
  });

  it('warns about an unknown field, naming the model and the field, and hints at quoting dotted names', () => {
    const { config, configPath } = load('[models."m"]\nctx = 4096\n\n[models.SmolLM2.Q4_1]\nctx_size = 1\n');
    const loaded = config();
    expect(loaded.warnings).toEqual([
      `unknown field "ctx" in [models."m"] in ${configPath} (ignored)`,
      `unknown field "Q4_1" in [models."SmolLM2"] in ${configPath} (ignored; quote a model name with dots: [models."SmolLM2.Q4_1"])`,
    ]);
    expect(loaded.models.m).toEqual({ alias: [], extraArgs: [], pinned: false, embeddings: false });
    // A scalar under [models] that is not a key is still the ordinary unknown-key warning.
    expect(load('[models]\npypi = "x"\n').config().warnings[0]).toMatch(/^unknown key "models.pypi"/);
  });

  it('refuses an alias that two models use, or that is another model', () => {
    const error = issuesOf(`
[models.a]
alias = ["shared", "a", "a"]
[models.b]
alias = "shared"
[models.c]
alias = "a"
`);
    expect(error.issues).toEqual([
      {
        key: 'models."b".alias',
        value: 'shared',
        source: 'config.toml',
        expected: 'an alias no other model uses ("shared" is an alias of "a")',
      },
      {
        key: 'models."c".alias',
        value: 'a',
        source: 'config.toml',
        expected: `an alias that is not another model's name ("a" is a model)`,
      },
    ]);
  });

  it('limits alias text and model names', () => {
    const long = 'x'.repeat(201);
    for (const alias of [long, '', 'tab\there', '/root']) {
      const error = issuesOf(`[models.m]\nalias = ${JSON.stringify(alias)}\n`);
      expect(
        error.issues.map((i) => i.key),
        JSON.stringify(alias),
      ).toEqual(['models."m".alias']);
    }
    expect(load(`[models.m]\nalias = "${'x'.repeat(200)}"\n`).config().models.m?.alias[0]).toHaveLength(200);
    for (const name of ['', 'n'.repeat(257), 'bad\\u0007name']) {
      const error = issuesOf(`[models."${name}"]\nctx_size = 1\n`);
      expect(error.issues[0]?.expected).toBe('a model name of 1 to 256 characters without control characters');
    }
    expect(issuesOf('[models.""]\n').issues[0]?.key).toBe('models.""');
  });
});

describe('server-wide keys for multi-model serving', () => {
  it('have their defaults: keep-alive 5m, 3 llama.cpp models, 1 MLX model, no memory budget', () => {
    const { values } = load('').config();
    expect(values.AUTOBYTEUS_KEEP_ALIVE).toBe(300_000);
    expect(values.LLAMACPP_MODELS_MAX).toBe(3);
    expect(values.MLX_MODELS_MAX).toBe(1);
    expect(values.AUTOBYTEUS_MEMORY_BUDGET).toBeUndefined();
  });

  it('read durations and sizes from config.toml text or numbers', () => {
    const cases: Array<[string, number, number]> = [
      ['keep_alive = "1h30m"\nmemory_budget = "8GB"', 5_400_000, 8e9],
      ['keep_alive = 0\nmemory_budget = 0', 0, 0],
      ['keep_alive = -1\nmemory_budget = "512MiB"', -1, 512 * 2 ** 20],
      ['keep_alive = "250ms"\nmemory_budget = 1024', 250, 1024],
      ['keep_alive = 30\nmemory_budget = "1.5 GiB"', 30_000, 1.5 * 2 ** 30],
    ];
    for (const [server, keepAlive, budget] of cases) {
      const { values } = load(`[server]\n${server}\n`).config();
      expect(values.AUTOBYTEUS_KEEP_ALIVE, server).toBe(keepAlive);
      expect(values.AUTOBYTEUS_MEMORY_BUDGET, server).toBe(budget);
    }
  });

  it('refuse bad durations, sizes and counts, saying what is expected', () => {
    const error = issuesOf(
      '[server]\nkeep_alive = "5 minutes"\nmemory_budget = "8G"\n[llama_cpp]\nmodels_max = 0\n[mlx]\nmodels_max = "two"\n',
    );
    const expected = Object.fromEntries(error.issues.map((i) => [i.key, i.expected]));
    expect(expected['server.keep_alive']).toMatch(/^a duration such as 30s, 5m, 1h30m or 250ms/);
    expect(expected['server.memory_budget']).toMatch(/^a size such as 8GB, 512MiB/);
    expect(expected['llama_cpp.models_max']).toBe('a whole number >= 1');
    expect(expected['mlx.models_max']).toBe('a whole number >= 1');
  });
});

describe('config check shows the per-model settings', () => {
  it('one line per model after the keys, and the settings in --json', async () => {
    const { dir } = load('');
    writeFileSync(
      join(dir, 'config.toml'),
      '[server]\nkeep_alive = "10m"\n[models."SmolLM2-135M-Instruct.Q4_1"]\nalias = "smol"\nctx_size = 2048\nkeep_alive = "1h"\n[models.e]\nembeddings = true\n',
    );
    const env = cleanEnv(dir);
    const text = await runCli(['config', 'check'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/AUTOBYTEUS_KEEP_ALIVE\s+10m\s+config.toml/);
    const lines = text.stdout.split('\n');
    const modelLine = lines.findIndex((l) => l.startsWith('SmolLM2-135M-Instruct.Q4_1 '));
    expect(modelLine).toBeGreaterThan(lines.findIndex((l) => l.startsWith('AUTOBYTEUS_KEEP_ALIVE')));
    expect(lines[modelLine]).toMatch(/alias=smol ctx_size=2048 keep_alive=1h pinned=false embeddings=false$/);
    expect(lines[modelLine + 1]).toMatch(/^e\s+pinned=false embeddings=true$/);

    const json = JSON.parse((await runCli(['config', 'check', '--json'], env)).stdout);
    expect(json.models['SmolLM2-135M-Instruct.Q4_1']).toEqual({
      alias: ['smol'],
      ctxSize: 2048,
      extraArgs: [],
      keepAliveMs: 3_600_000,
      pinned: false,
      embeddings: false,
    });
    expect(json.models.e.embeddings).toBe(true);
  });
});
