// The llama-server recorder: each group against a server started with the flags it needs (spawned),
// or one group against a server the user started (--base).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { die, log } from './log.mjs';
import { rawRequest } from './raw-request.mjs';
import { CHAT, chatBody } from './request-bodies.mjs';
import { firstModelId, waitHealthy, waitPort } from './server-probes.mjs';
import { authSpecs, mainSpecs, overflowSpecs, toolsSpecs } from './specs.mjs';
import { toolTemplate } from './tool-template.mjs';

/**
 * Records with the options in `ctx`: { args, spawnBin, port, logDir, recorder, servers }. With a
 * spawnBin it runs every group --group names (default all), otherwise --group (default main) at --base.
 */
export function recordLlamaCpp(ctx) {
  return ctx.spawnBin ? runSpawned(ctx) : runManual(ctx);
}

/** llama-server needs its shared libraries (in its own folder); a build's RUNPATH may point elsewhere. */
function libEnv(bin) {
  const dir = path.dirname(fs.realpathSync(bin));
  return { LD_LIBRARY_PATH: [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

/** The alias a GGUF is served under: its file name without `.gguf` and the quantization suffix. */
function llamaAlias(gguf) {
  return path
    .basename(gguf)
    .replace(/\.gguf$/i, '')
    .replace(/\.(Q\d\w*|F16|F32|BF16|IQ\w+)$/i, '');
}

/** `llama-server <version>, build_info <build>`: from `--version` of the spawned binary and `/props`. */
async function llamaRecordedFrom(ctx, base) {
  let build = 'unknown build';
  const r = await rawRequest(base, { method: 'GET', path: '/props', headers: ctx.recorder.bearer() });
  try {
    build = JSON.parse(r.body).build_info ?? build;
  } catch {}
  let version = '';
  if (ctx.spawnBin) {
    const v = spawnSync(ctx.spawnBin, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, ...libEnv(ctx.spawnBin) },
    });
    const line = `${v.stdout}\n${v.stderr}`.split('\n').find((l) => l.startsWith('version:'));
    if (line) version = `${line.replace(/^version:\s*/, '')}, `;
  }
  return `llama-server ${version}build_info ${build}`;
}

/** Sets the recorder's engine/version string, unless --recorded-from gave one. */
async function setRecordedFrom(ctx, base) {
  ctx.recorder.recordedFrom = ctx.args['recorded-from'] ?? (await llamaRecordedFrom(ctx, base));
}

/**
 * The `loading` group: the socket is bound before the model loads, so poll as fast as possible and
 * keep the first 503s. Resolves with a function that saves them, called once the server is ready
 * and its version (/props build_info) can be read.
 */
async function loadingGroup(ctx, base, child) {
  const want = [
    { name: 'loading-health', method: 'GET', path: '/health' },
    { name: 'loading-models', method: 'GET', path: '/v1/models' },
    { name: 'loading-chat', method: 'POST', path: CHAT, body: chatBody(undefined) },
  ];
  const got = new Map();
  const t0 = Date.now();
  while (got.size < want.length && Date.now() - t0 < 30_000) {
    if (child.exitCode !== null) die(`llama-server exited early (${child.exitCode}); see ${ctx.logDir}`);
    const results = await Promise.all(
      want
        .filter((s) => !got.has(s.name))
        .map(async (s) => {
          const headers = s.body !== undefined ? { 'content-type': 'application/json' } : {};
          return [s, headers, await rawRequest(base, { ...s, headers }, 5000)];
        }),
    );
    let ready = false;
    for (const [s, headers, r] of results) {
      if (r.status === 503) got.set(s.name, [s, headers, r]);
      else if (r.status !== null) ready = true;
    }
    if (ready && got.size < want.length) break;
  }
  for (const s of want) {
    if (!got.has(s.name)) log(`${s.name}: the model loaded before a 503 was caught; not recorded`);
  }
  return () => {
    for (const [spec, headers, r] of got.values()) ctx.recorder.save(spec, headers, r);
  };
}

/** The `router` group, against a server in router mode (--models-dir, no -m). */
async function routerGroup(ctx, base) {
  const { recorder } = ctx;
  const r = await recorder.record(base, { name: 'router-models', method: 'GET', path: '/v1/models' });
  let id;
  try {
    id = JSON.parse(r.body).data[0].id;
  } catch {
    log('router-models: no model listed; skipping router-load');
    return;
  }
  await recorder.record(base, { name: 'router-props', method: 'GET', path: '/props' });
  await recorder.record(base, { name: 'router-load', method: 'POST', path: '/models/load', body: { model: id } });
  // Poll until the child instance reports loaded, then keep that listing.
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < 60_000) {
    last = await rawRequest(base, { method: 'GET', path: '/v1/models' });
    try {
      const m = JSON.parse(last.body).data.find((d) => d.id === id);
      if (m?.status?.value === 'loaded' || m?.status?.value === 'failed') break;
    } catch {}
    await sleep(250);
  }
  recorder.save({ name: 'router-models-loaded', method: 'GET', path: '/v1/models' }, {}, last);
  await recorder.record(base, { name: 'router-chat', method: 'POST', path: CHAT, body: chatBody(id) });
  await recorder.record(base, {
    name: 'router-unknown-model',
    method: 'POST',
    path: CHAT,
    body: chatBody(undefined, { model: 'does-not-exist' }),
  });
}

async function runSpawned(ctx) {
  const { args, recorder, servers, logDir, port } = ctx;
  const bin = ctx.spawnBin;
  const gguf = path.resolve(args['model-path']);
  const alias = args.alias ?? llamaAlias(gguf);
  const base = `http://127.0.0.1:${port}`;
  const common = ['-m', gguf, '--alias', alias, '--host', '127.0.0.1', '--port', String(port)];
  const only = args.group ? new Set(args.group.split(',')) : null;
  const want = (g) => !only || only.has(g);
  const modelOf = async (url) => args.model ?? (await firstModelId(url, recorder.bearer()));

  // 1. loading + main: -c 2048, no key.
  if (want('main') || want('loading')) {
    const child = servers.start('llama-main', bin, [...common, '-c', '2048'], libEnv(bin));
    await waitPort(base, child, { logDir });
    const saveLoading = want('loading') ? await loadingGroup(ctx, base, child) : () => {};
    await waitHealthy(base, { child, logDir });
    await setRecordedFrom(ctx, base);
    saveLoading();
    if (want('main')) {
      const model = await modelOf(base);
      for (const s of mainSpecs('llama-cpp', model)) await recorder.record(base, { ...s, auth: 'none' });
    }
    await servers.stop(child);
  }

  // 2. tools: a chat template with tool support.
  if (want('tools')) {
    const tpl = path.join(logDir, 'tool-template.jinja');
    fs.writeFileSync(tpl, toolTemplate());
    const child = servers.start(
      'llama-tools',
      bin,
      [...common, '-c', '2048', '--chat-template-file', tpl],
      libEnv(bin),
    );
    await waitHealthy(base, { child, logDir });
    await setRecordedFrom(ctx, base);
    const model = await modelOf(base);
    for (const s of toolsSpecs('llama-cpp', model)) await recorder.record(base, { ...s, auth: 'none' });
    await servers.stop(child);
  }

  // 3. overflow: -c 256.
  if (want('overflow')) {
    const child = servers.start('llama-overflow', bin, [...common, '-c', '256'], libEnv(bin));
    await waitHealthy(base, { child, logDir });
    await setRecordedFrom(ctx, base);
    const model = await modelOf(base);
    for (const s of overflowSpecs(model)) await recorder.record(base, { ...s, auth: 'none' });
    await servers.stop(child);
  }

  // 4. auth: --api-key.
  if (want('auth')) {
    const key = recorder.apiKey ?? 'test-key-123';
    const child = servers.start('llama-auth', bin, [...common, '-c', '2048', '--api-key', key], libEnv(bin));
    await waitHealthy(base, { child, logDir });
    const saved = recorder.apiKey;
    recorder.apiKey = key;
    await setRecordedFrom(ctx, base);
    const model = await modelOf(base);
    for (const s of authSpecs(model)) await recorder.record(base, s);
    recorder.apiKey = saved;
    await servers.stop(child);
  }

  // 5. router: no -m, --models-dir with the GGUF linked in.
  if (want('router')) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-models-'));
    fs.symlinkSync(gguf, path.join(dir, path.basename(gguf)));
    const rbase = `http://127.0.0.1:${port + 1}`;
    const argv = ['--models-dir', dir, '--host', '127.0.0.1', '--port', String(port + 1), '-c', '2048'];
    const child = servers.start('llama-router', bin, argv, libEnv(bin));
    await waitHealthy(rbase, { child, logDir });
    await routerGroup(ctx, rbase);
    await servers.stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runManual(ctx) {
  const { args, recorder } = ctx;
  const base = args.base;
  const group = args.group ?? 'main';
  if (group === 'loading') {
    // No child to watch: poll the given server directly.
    const saveLoading = await loadingGroup(ctx, base, { exitCode: null });
    await waitHealthy(base);
    await setRecordedFrom(ctx, base);
    saveLoading();
    return;
  }
  if (group === 'router') {
    await setRecordedFrom(ctx, base);
    await routerGroup(ctx, base);
    return;
  }
  await setRecordedFrom(ctx, base);
  const model = args.model ?? (await firstModelId(base, recorder.bearer()));
  const specs =
    group === 'main'
      ? mainSpecs('llama-cpp', model)
      : group === 'overflow'
        ? overflowSpecs(model)
        : group === 'auth'
          ? authSpecs(model)
          : group === 'tools'
            ? toolsSpecs('llama-cpp', model)
            : die(`unknown --group ${group} for llama-cpp (main, tools, overflow, auth, loading, router)`);
  for (const s of specs) await recorder.record(base, s);
}
