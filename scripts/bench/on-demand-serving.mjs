// What serving local GGUF models on demand through autobyteus-server costs, against running the same
// llama-server directly, side by side in one run on the real binary and the three test models.
//
//   npm run build --silent && node scripts/bench/on-demand-serving.mjs [--reps 5] [--json]
//
// The built server runs over a temp AUTOBYTEUS_HOME whose models/gguf links to the three test models; its admin
// API (`/api/ps`, `/api/models/<id>/load|unload`) sets up each measurement. The direct side spawns the binary with
// the argv the server logged for that model and polls /health every 25 ms. The sides alternate (which goes first
// swaps every rep); medians of: 1. cold load, a streamed chat (max_tokens 1) for an unloaded model to its first
// data chunk, with the server's steps from its log; 2. swap at LLAMACPP_MODELS_MAX=1 (direct: SIGTERM A, wait,
// start B); 3. VmRSS of the server's process tree idle, with 1..3 models and after idle unload, beside the same
// engines run directly; 4. warm non-streamed requests through the server vs straight to the model's engine.
// Tables on stdout and in bench-results/on-demand-serving.json; with --json stdout carries only the JSON.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChildProcesses } from '../lib/child-processes.mjs';
import { positiveInt } from '../lib/cli-options.mjs';
import { freePort } from '../lib/free-port.mjs';
import { testEnginePaths } from '../lib/llama-server.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { writeResultFile } from '../lib/results.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import {
  argvOf,
  chat,
  Engines,
  getJson,
  logStampMs,
  POLL_MS,
  postJson,
  processTree,
  rssMiB,
} from './serving-modes-engines.mjs';

const { values: opts } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (opts.help) {
  console.log('usage: node scripts/bench/on-demand-serving.mjs [--reps 5] [--json]');
  process.exit(0);
}
const REPS = positiveInt('reps', opts.reps);
if (opts.json) console.log = (...args) => console.error(...args); // tables to stderr: stdout holds only the JSON

const SERVER_MAIN = fileURLToPath(new URL('../../packages/autobyteus-server/dist/cli/main.js', import.meta.url));
/** The test models by file; the server's ids are the file stems. The first two are the swap pair. */
const FILES = ['SmolLM2-135M-Instruct.Q4_1.gguf', 'SmolLM2-135M-Instruct.Q4_0.gguf', 'tiny-random-llama.gguf'];
const MODELS = FILES.map((f) => f.replace(/\.gguf$/, ''));
const WARM_PAIRS = 20;
// The memory part's keep-alive. Not 2 s: a cold load takes up to 4 s on this busy machine, so with 2 s the first
// model could unload before the third had loaded.
const KEEP_ALIVE = '20s';
const SETTLE_MS = 1000;
const now = () => performance.now();
const med = (runs, key) => round(median(runs.map((r) => r[key]).filter((x) => x != null)));
const LOADED_LINE = /llama_server: model loaded/;
const diff = (a, b) => (a == null || b == null ? null : round(a - b));

/** Starts the built server over `ctx.home` with `env` on top of the bench's settings; resolves once it answers. */
async function startServer(ctx, env = {}) {
  const port = await freePort();
  const enginePort = await freePort();
  // The server puts its engines on enginePort and the ports after it; the direct side keeps clear of them.
  ctx.reserved.push(enginePort);
  // The user's own settings must not leak in (a default model, a hosts list, a log level).
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AUTOBYTEUS_|LLAMACPP_|MLX_|OLLAMA_|LMSTUDIO_|LLM_|LOG_)/.test(k)),
  );
  // LOG_LEVEL=debug: the engine's own lines (its `model loaded`, read below) are logged at debug.
  const ours = {
    AUTOBYTEUS_HOME: ctx.home,
    AUTOBYTEUS_PORT: `${port}`,
    AUTOBYTEUS_KEEP_ALIVE: '-1',
    LOG_LEVEL: 'debug',
  };
  const llama = { LLAMACPP_MANAGED: 'true', LLAMACPP_BINARY_PATH: ctx.bin, LLAMACPP_MANAGED_PORT: `${enginePort}` };
  const stdio = ['ignore', 'pipe', 'pipe'];
  const child = ctx.children.track(
    spawn(process.execPath, [SERVER_MAIN, 'serve'], { env: { ...base, ...ours, ...llama, ...env }, stdio }),
  );
  const srv = { child, pid: child.pid, url: `http://127.0.0.1:${port}`, records: [], text: '' };
  // Its log is JSON lines (pino) on stdout; anything else is kept as text for error messages.
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      srv.records.push(JSON.parse(line));
    } catch {
      if (srv.text.length < 1e6) srv.text += `${line}\n`;
    }
  });
  child.stderr.on('data', (data) => {
    if (srv.text.length < 1e6) srv.text += data;
  });
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}:\n${srv.text.slice(-2000)}`);
    return (await fetch(`${srv.url}/api/ps`).catch(() => null))?.status === 200;
  }, 60_000);
  return srv;
}

/** Polls `check` every POLL_MS until it is true; throws after `timeoutMs`. */
async function until(check, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (!(await check())) {
    if (now() > deadline) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

/** The server's log records from index `from` on, once one says `msg` (log lines arrive over a pipe). */
async function recordsAfter(srv, from, msg) {
  await until(() => srv.records.slice(from).some((r) => r.msg === msg), 5_000);
  return srv.records.slice(from);
}

async function loadedIds(srv) {
  return (await getJson(`${srv.url}/api/ps`)).body.models.map((m) => m.id);
}

/** POST unload for `id` when it is loaded (the answer comes once its engine has stopped). */
async function unload(srv, id) {
  if (!(await loadedIds(srv)).includes(id)) return;
  const r = await postJson(`${srv.url}/api/models/${id}/unload`, {});
  if (r.status !== 200) throw new Error(`unload ${id}: ${r.status} ${r.text}`);
}

/**
 * One request through the server for a model it has to load: time to the first data chunk, and the server's
 * steps from its log, all in ms on one clock (Date.now(), which pino's `time` uses too).
 */
async function serverRequest(ctx, srv, id) {
  const from = srv.records.length;
  const sent = Date.now();
  const r = await chat(srv.url, id);
  if (!r.ok) throw new Error(`chat ${id} through the server: ${JSON.stringify(r)}\n${srv.text.slice(-1000)}`);
  const recs = await recordsAfter(srv, from, 'model loaded');
  const at = (msg) => recs.find((x) => x.msg === msg && (x.model === undefined || x.model === id))?.time;
  const launched = recs.find((x) => x.msg === 'engine launched');
  // The server's argv for this model, less the program: the direct side runs exactly this.
  ctx.argv[id] ??= launched.command.slice(1);
  const engineLine = recs.find((x) => x.stream && LOADED_LINE.test(x.msg));
  const loading = at('loading model');
  return {
    firstMs: r.firstMs,
    engineLoadMs: logStampMs(engineLine.msg, LOADED_LINE),
    toLoadingMs: loading - sent,
    launchMs: launched.time - loading,
    // From the moment the server read the engine's `model loaded` line.
    readyAfterLineMs: at('engine ready') - engineLine.time,
    factsMs: at('model loaded') - at('engine ready'),
    // The server's own time: all of the above but the engine's load (launch → its line read).
    ownMs: launched.time - sent + at('model loaded') - engineLine.time,
    forwardMs: round(sent + r.firstMs - at('model loaded')),
    toEngineMs: diff(recs.find((x) => x.stream && /launch_slot_/.test(x.msg))?.time, at('model loaded')),
    stopPrevMs: diff(recs.find((x) => x.msg === 'model unloaded' && /^evicted/.test(x.why))?.time, loading),
  };
}

/** Spawns `id`'s engine with the server's argv on a port of its own; resolves once /health answers 200. */
async function spawnHealthy(ctx, id, t0 = now()) {
  let port;
  // A free port outside the ranges the servers put their engines on.
  do port = await freePort();
  while (ctx.reserved.some((p) => port >= p - 1 && port < p + 16));
  const argv = [...ctx.argv[id]];
  argv[argv.indexOf('--port') + 1] = String(port);
  const spawnAtMs = now() - t0;
  const engine = { ...ctx.engines.spawn(argv), url: `http://127.0.0.1:${port}`, spawnAtMs };
  // Engines.spawn's own listener has appended the chunk to log.text by the time this one runs.
  const onLine = () => {
    if (!LOADED_LINE.test(engine.log.text.slice(-8000))) return;
    engine.lineMs = now() - t0;
    engine.child.stderr.off('data', onLine);
  };
  engine.child.stderr.on('data', onLine);
  await until(async () => {
    if (engine.child.exitCode !== null) throw new Error(`llama-server exited:\n${engine.log.text.slice(-2000)}`);
    const res = await fetch(`${engine.url}/health`).catch(() => null);
    await res?.arrayBuffer();
    return res?.status === 200;
  }, 120_000);
  return { engine, healthyMs: now() - t0 };
}

/** Starts `id` directly (the clock started at `t0`, before any stop) and sends it the request the server got. */
async function directRequest(ctx, id, t0 = now()) {
  const { engine, healthyMs } = await spawnHealthy(ctx, id, t0);
  const sentMs = now() - t0;
  const r = await chat(engine.url, id);
  if (!r.ok) throw new Error(`chat ${id} direct: ${JSON.stringify(r)}`);
  const firstMs = round(sentMs + r.firstMs);
  return {
    engine,
    firstMs,
    engineLoadMs: logStampMs(engine.log.text, LOADED_LINE),
    readyAfterLineMs: round(healthyMs - engine.lineMs),
    // As the server's: everything but the engine's load (a swap's stop included).
    ownMs: round(engine.spawnAtMs + healthyMs - engine.lineMs),
    forwardMs: round(firstMs - healthyMs),
  };
}

/** Runs `server(i)` and `direct(i)` once per rep, swapping which goes first every rep; their results by side. */
async function alternate(label, server, direct, reps = REPS) {
  const runs = { server: [], direct: [] };
  for (let i = 0; i < reps; i++) {
    for (const side of i % 2 ? ['direct', 'server'] : ['server', 'direct']) {
      runs[side].push(await (side === 'server' ? server(i) : direct(i)));
      if (label) console.log(`  ${label} ${i + 1}/${reps} ${side}: ${JSON.stringify(runs[side].at(-1))}`);
      await sleep(200);
    }
  }
  return runs;
}

/** Cold loads of every model, then warm requests, on a server with the default limits and no idle unload. */
async function coldAndWarm(ctx) {
  const srv = await startServer(ctx);
  try {
    const cold = {};
    for (const id of MODELS) {
      cold[id] = await alternate(
        `cold ${id}`,
        () => unload(srv, id).then(() => serverRequest(ctx, srv, id)),
        async () => {
          const { engine, ...r } = await directRequest(ctx, id);
          await ctx.engines.stop(engine);
          return r;
        },
      );
    }
    return { cold, warmRuns: await warm(srv) };
  } finally {
    await ctx.engines.stop(srv);
  }
}

async function swaps(ctx) {
  const srv = await startServer(ctx, { LLAMACPP_MODELS_MAX: '1' });
  const [a, b] = MODELS;
  let current;
  try {
    await serverRequest(ctx, srv, a);
    current = (await spawnHealthy(ctx, a)).engine;
    // Rep 0 swaps A→B, rep 1 B→A, and so on: the other model is always the one resident.
    return await alternate(
      'swap',
      (i) => serverRequest(ctx, srv, i % 2 ? a : b),
      async (i) => {
        const t0 = now();
        await ctx.engines.stop(current);
        const stopPrevMs = round(now() - t0);
        const { engine, ...r } = await directRequest(ctx, i % 2 ? a : b, t0);
        current = engine;
        return { ...r, stopPrevMs };
      },
    );
  } finally {
    if (current) await ctx.engines.stop(current);
    await ctx.engines.stop(srv);
  }
}

async function memory(ctx) {
  const srv = await startServer(ctx, { AUTOBYTEUS_KEEP_ALIVE: KEEP_ALIVE });
  const rows = [];
  const sample = async (loaded, afterIdleUnload = false) => {
    await sleep(SETTLE_MS);
    if ((await loadedIds(srv)).length !== loaded) throw new Error(`/api/ps does not list ${loaded} models`);
    const tree = processTree(srv.pid);
    const engines = tree.filter((pid) => argvOf(pid)[0] === ctx.bin);
    // The rest of the tree: one watchdog (a small node process) per engine, see engine-watchdog.ts.
    const others = tree.slice(1).filter((pid) => !engines.includes(pid));
    const row = { loaded, afterIdleUnload, server: rssMiB(tree), node: rssMiB([srv.pid]).rss };
    rows.push({ ...row, engines: rssMiB(engines).rss, watchdogs: { n: others.length, rss: rssMiB(others).rss } });
  };
  try {
    await sample(0);
    for (const [i, id] of MODELS.entries()) {
      const r = await postJson(`${srv.url}/api/models/${id}/load`, {});
      if (r.status !== 200) throw new Error(`load ${id}: ${r.status} ${r.text}`);
      await sample(i + 1);
    }
    const t0 = now();
    // /api/ps drops a model before its engine has exited: wait for the process tree too.
    await until(async () => (await loadedIds(srv)).length === 0 && processTree(srv.pid).length === 1, 120_000);
    const unloadedAfterMs = round(now() - t0);
    await sample(0, true);
    const engines = [];
    try {
      for (const [i, id] of MODELS.entries()) {
        engines.push((await spawnHealthy(ctx, id)).engine);
        await sleep(SETTLE_MS);
        rows[i + 1].direct = rssMiB(engines.map((e) => e.pid));
      }
    } finally {
      for (const e of engines) await ctx.engines.stop(e);
    }
    return { keepAlive: KEEP_ALIVE, unloadedAfterMs, rows };
  } finally {
    await ctx.engines.stop(srv);
  }
}

/** Non-streamed chat, max_tokens 1: ms to the whole answer, and the gateway's own time header if any. */
async function complete(url, id) {
  const t0 = now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: id, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1 }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`chat ${id} at ${url}: ${res.status} ${text.slice(0, 300)}`);
  const own = res.headers.get('x-autobyteus-overhead-ms');
  return { ms: round(now() - t0), ownMs: own == null ? null : Number(own) };
}

async function warm(srv) {
  const id = MODELS[0];
  const r = await postJson(`${srv.url}/api/models/${id}/load`, {});
  if (r.status !== 200) throw new Error(`load ${id}: ${r.status} ${r.text}`);
  const engineUrl = (await getJson(`${srv.url}/api/ps`)).body.models.find((m) => m.id === id).url;
  const pair = [() => complete(srv.url, id), () => complete(engineUrl, id)];
  await alternate(null, ...pair, 3);
  return { id, engineUrl, ...(await alternate(null, ...pair, WARM_PAIRS)) };
}

if (!existsSync(SERVER_MAIN)) {
  console.error(`${SERVER_MAIN} is missing: run \`npm run build --silent\` first`);
  process.exit(2);
}
const { cache, llamaServer: bin } = testEnginePaths();
const missing = [bin, ...FILES.map((f) => join(cache, 'models', f))].filter((p) => !existsSync(p));
if (missing.length) {
  console.error(`missing ${missing.join(', ')}: run \`bash scripts/prepare-test-engines.sh\``);
  process.exit(2);
}
const children = new ChildProcesses().killOnExit();
const home = mkdtempSync(join(tmpdir(), 'on-demand-serving-'));
mkdirSync(join(home, 'models', 'gguf'), { recursive: true });
for (const f of FILES) symlinkSync(join(cache, 'models', f), join(home, 'models', 'gguf', f));
writeFileSync(join(home, 'config.toml'), '[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
const ctx = { home, bin, children, engines: new Engines({ bin, children }), argv: {}, reserved: [] };
const machine = machineInfo();
let parts;
try {
  parts = { ...(await coldAndWarm(ctx)), swap: await swaps(ctx), mem: await memory(ctx) };
} finally {
  rmSync(home, { recursive: true, force: true });
}
const { cold, warmRuns, swap, mem } = parts;

// One column per cold-loaded model and one for the swap; each cell is server / direct (– where direct has no step).
const columns = [...MODELS.map((id) => cold[id]), swap];
const cell = (key, direct = true) =>
  columns.map((r) => `${fmt(med(r.server, key), 1)} / ${direct ? fmt(med(r.direct, key), 1) : '–'}`);
printTable(
  `Cold load and swap (LLAMACPP_MODELS_MAX=1, ${MODELS[0]} ↔ ${MODELS[1]}), medians of ${REPS}, ms, server / direct`,
  ['step', ...MODELS.map((id) => `cold: ${id}`), 'swap'],
  [
    ['request → first data chunk', ...cell('firstMs')],
    [
      '**server − direct**',
      ...columns.map((r) => `**${fmt(diff(med(r.server, 'firstMs'), med(r.direct, 'firstMs')), 1)}**`),
    ],
    ['… request sent → `loading model` logged', ...cell('toLoadingMs', false)],
    ['… `loading model` → `engine launched`', ...cell('launchMs', false)],
    ['… stopping the previous model (server: → `model unloaded`; direct: SIGTERM → exit)', ...cell('stopPrevMs')],
    ["… engine's own load (its `model loaded` line, from its start)", ...cell('engineLoadMs')],
    ['… that line read → ready seen (server: `engine ready`; direct: /health 200)', ...cell('readyAfterLineMs')],
    ['… `engine ready` → `model loaded` (/props)', ...cell('factsMs', false)],
    ['… ready → first data chunk', ...cell('forwardMs')],
    ['… … of which `model loaded` → the engine logs the request (`launch_slot_`)', ...cell('toEngineMs', false)],
    ["own time to ready: all but the engine's load (server: the steps above; direct: stop, /health)", ...cell('ownMs')],
  ],
);
const idle = mem.rows[0].server.rss;
printTable(
  `VmRSS, MiB: the server's process tree vs the same engines run directly (keep-alive ${KEEP_ALIVE})`,
  ['state', 'server tree', 'Δ from idle', 'node', 'its llama-servers', 'watchdogs', 'direct', 'server − direct'],
  mem.rows.map((r, i) => [
    r.afterIdleUnload ? `after idle unload (${fmt(mem.unloadedAfterMs / 1000, 1)} s)` : `${i} loaded`,
    ...[r.server.rss, diff(r.server.rss, idle), r.node, r.engines].map((x) => fmt(x, 1)),
    `${fmt(r.watchdogs.rss, 1)} (${r.watchdogs.n})`,
    fmt(r.direct?.rss ?? 0, 1),
    fmt(diff(r.server.rss, r.direct?.rss ?? 0), 1),
  ]),
);
const [ws, wd] = [med(warmRuns.server, 'ms'), med(warmRuns.direct, 'ms')];
printTable(
  `Warm request, non-streamed, max_tokens 1, ${warmRuns.id} loaded, median of ${WARM_PAIRS} alternating pairs, ms`,
  ['through the server', 'direct to its engine', 'server − direct', 'ratio', '`x-autobyteus-overhead-ms`'],
  [[fmt(ws, 2), fmt(wd, 2), `**${fmt(diff(ws, wd), 2)}**`, fmt(ws / wd, 2), fmt(med(warmRuns.server, 'ownMs'), 2)]],
);

const result = { machine, reps: REPS, argv: ctx.argv, cold, swap, memory: mem, warm: warmRuns };
console.log(`wrote ${writeResultFile('on-demand-serving', result)}`);
if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
