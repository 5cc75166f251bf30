// The mlx_lm.server recorder: each group against a server started with the model folder and flags it
// needs (spawned), or one group against a server the user started (--base).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { die } from './log.mjs';
import { rawRequest } from './raw-request.mjs';
import { CHAT } from './request-bodies.mjs';
import { firstModelId, waitHealthy, waitPort } from './server-probes.mjs';
import { longPromptSpecs, mainSpecs, toolsSpecs } from './specs.mjs';
import { toolTemplate } from './tool-template.mjs';

/**
 * Records with the options in `ctx`: { args, spawnBin, port, logDir, recorder, servers }. With a
 * spawnBin (the venv's python) it runs every group --group names (default all), otherwise --group
 * (default main) at --base.
 */
export function recordMlx(ctx) {
  return ctx.spawnBin ? runSpawned(ctx) : runManual(ctx);
}

/** `mlx_lm.server (mlx-lm X, mlx Y)`, read from the server's interpreter. */
function mlxRecordedFrom(python) {
  const v = spawnSync(
    python,
    ['-c', 'import mlx_lm, mlx.core as mx; print(f"mlx-lm {mlx_lm.__version__}, mlx {mx.__version__}")'],
    { encoding: 'utf8' },
  );
  return `mlx_lm.server (${v.status === 0 ? v.stdout.trim() : 'version unknown'})`;
}

/** /health says nothing about the model being loaded: a 1-token completion does. */
async function mlxWarmUp(base) {
  const r = await rawRequest(base, {
    method: 'POST',
    path: CHAT,
    headers: { 'content-type': 'application/json' },
    body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 },
  });
  if (r.status !== 200) die(`mlx warm-up failed: ${r.status ?? r.error} ${r.body.slice(0, 300)}`);
}

/** A copy of the model folder (files linked, not copied) whose tokenizer carries the tool template. */
function toolTemplateVariant(modelDir) {
  const variant = fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-mlx-tools-'));
  for (const f of fs.readdirSync(modelDir)) {
    if (f === 'tokenizer_config.json' || f === 'chat_template.jinja' || f === 'chat_template.json') continue;
    fs.symlinkSync(fs.realpathSync(path.join(modelDir, f)), path.join(variant, f));
  }
  const tc = JSON.parse(fs.readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
  tc.chat_template = toolTemplate();
  fs.writeFileSync(path.join(variant, 'tokenizer_config.json'), JSON.stringify(tc, null, 2));
  return variant;
}

async function runSpawned(ctx) {
  const { args, recorder, servers, logDir, port } = ctx;
  const python = ctx.spawnBin;
  const modelDir = path.resolve(args['model-path']);
  const base = `http://127.0.0.1:${port}`;
  const serverArgv = (model) => [
    '-m',
    'mlx_lm.server',
    '--model',
    model,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  const argv = serverArgv(modelDir);
  const hfCache = args['hf-cache'] ? path.resolve(args['hf-cache']) : process.env.HF_HUB_CACHE;
  const env = { HF_HUB_OFFLINE: '1', ...(hfCache ? { HF_HUB_CACHE: hfCache } : {}) };
  const only = args.group ? new Set(args.group.split(',')) : null;
  const want = (g) => !only || only.has(g);
  const modelOf = async () => args.model ?? (await firstModelId(base, recorder.bearer()));
  recorder.recordedFrom = args['recorded-from'] ?? mlxRecordedFrom(python);

  if (want('main')) {
    const child = servers.start('mlx-main', python, argv, env);
    const first = await waitPort(base, child, { timeoutMs: 120_000, logDir });
    if (want('loading')) {
      recorder.save(
        {
          name: 'loading-health',
          note: 'the first /health answer the moment the socket accepted connections after spawning',
          method: 'GET',
          path: '/health',
        },
        {},
        first,
      );
    }
    await waitHealthy(base, { child, logDir });
    await mlxWarmUp(base);
    const model = await modelOf();
    for (const s of mainSpecs('mlx', model)) await recorder.record(base, s);
    await servers.stop(child);
  }

  if (want('tools')) {
    const variant = toolTemplateVariant(modelDir);
    const child = servers.start('mlx-tools', python, serverArgv(variant), env);
    await waitHealthy(base, { child, logDir });
    await mlxWarmUp(base);
    // No `model` in the body: "default_model" is the variant folder (a temp path not worth recording).
    for (const s of toolsSpecs('mlx', undefined)) await recorder.record(base, s);
    await servers.stop(child);
    fs.rmSync(variant, { recursive: true, force: true });
  }

  if (want('long-prompt')) {
    const child = servers.start('mlx-long-prompt', python, [...argv, '--prefill-step-size', '256'], env);
    await waitHealthy(base, { child, logDir });
    await mlxWarmUp(base);
    const model = await modelOf();
    for (const s of longPromptSpecs(model)) await recorder.record(base, s);
    await servers.stop(child);
  }

  if (want('empty-cache')) {
    const missing = path.join(os.tmpdir(), `record-fixtures-no-such-hf-cache-${process.pid}`);
    fs.rmSync(missing, { recursive: true, force: true });
    const child = servers.start('mlx-empty-cache', python, argv, { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: missing });
    await waitHealthy(base, { child, logDir });
    await recorder.record(base, {
      name: 'models-empty-cache',
      note: 'server started with HF_HUB_CACHE pointing at a folder that does not exist',
      method: 'GET',
      path: '/v1/models',
    });
    await servers.stop(child);
  }
}

async function runManual(ctx) {
  const { args, recorder } = ctx;
  const base = args.base;
  const group = args.group ?? 'main';
  if (!recorder.recordedFrom)
    recorder.recordedFrom = args.python ? mlxRecordedFrom(args.python) : 'mlx_lm.server (version unknown)';
  const modelOf = async () => args.model ?? (await firstModelId(base, recorder.bearer()));
  if (group === 'empty-cache') {
    await recorder.record(base, { name: 'models-empty-cache', method: 'GET', path: '/v1/models' });
    return;
  }
  if (group === 'tools') {
    for (const s of toolsSpecs('mlx', args.model)) await recorder.record(base, s);
    return;
  }
  if (group === 'long-prompt') {
    for (const s of longPromptSpecs(await modelOf())) await recorder.record(base, s);
    return;
  }
  if (group !== 'main') die(`unknown --group ${group} for mlx (main, tools, long-prompt, empty-cache)`);
  await mlxWarmUp(base);
  const model = await modelOf();
  for (const s of mainSpecs('mlx', model)) await recorder.record(base, s);
}
