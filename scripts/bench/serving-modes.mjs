// Many local GGUF models on demand: llama-server's router mode (one process without -m; the request's `model`
// picks the model; the router spawns a child llama-server per loaded model) against one llama-server process per
// model (as llama-swap does), side by side on the real binary, SmolLM2-135M copied to A/B/C.gguf in a temp dir.
//
//   node scripts/bench/serving-modes.mjs [--reps 5] [--json]
//
// Timed parts alternate the modes (which goes first swaps every rep) and report medians: load (chat request,
// max_tokens 1, stream, for an unloaded model to its first token; per process: spawn `llama-server -m X --port P`,
// poll /health every 25 ms until 200, the same request), swap with one model resident (router --models-max 1;
// per process: SIGTERM A, wait for its exit, start B), and VmRSS summed over the process tree with 1..3 models
// loaded and after unloading all. Then once each: crash (kill -9 of the process serving A mid-stream), per-model
// idle sleep and per-model arguments through --models-preset. Tables on stdout and in
// bench-results/serving-modes.json; with --json stdout carries only the JSON (tables go to stderr).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ChildProcesses } from '../lib/child-processes.mjs';
import { positiveInt } from '../lib/cli-options.mjs';
import { testEnginePaths } from '../lib/llama-server.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { writeResultFile } from '../lib/results.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import {
  alive,
  argvOf,
  chat,
  Engines,
  engineLoadMs,
  getJson,
  mustChat,
  NAMES,
  postJson,
  processTree,
  routerChild,
  routerStatus,
  routerWait,
  rssMiB,
  unloadAll,
} from './serving-modes-engines.mjs';

const { values: opts } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (opts.help) {
  console.log('usage: node scripts/bench/serving-modes.mjs [--reps 5] [--json]');
  process.exit(0);
}
const REPS = positiveInt('reps', opts.reps);
// printTable writes with console.log; under --json stdout must hold nothing but the JSON.
if (opts.json) console.log = (...args) => console.error(...args);

const now = () => performance.now();
// Every model runs with these in both modes (llamaServerArgs gives the per-process side the same values).
const MODEL_ARGS = ['-c', '2048', '-np', '1', '-t', '2'];
const med = (runs, key) => round(median(runs.map((r) => r[key]).filter((x) => x != null)));
const brief = (r) =>
  r.ok
    ? `ok, ${r.tokens} token(s), first after ${fmt(r.firstMs)} ms`
    : `${r.status ?? 'no response'} after ${r.tokens ?? 0} token(s): ${r.error}`;

/** Runs `router` and `proc` once per rep, swapping which goes first every rep; their results by mode. */
async function alternate(label, router, proc) {
  const runs = { router: [], process: [] };
  for (let i = 0; i < REPS; i++) {
    for (const mode of i % 2 ? ['process', 'router'] : ['router', 'process']) {
      const r = await (mode === 'router' ? router() : proc());
      runs[mode].push(r);
      console.log(`  ${label} ${i + 1}/${REPS} ${mode}: ${JSON.stringify(r)}`);
    }
  }
  return runs;
}

async function measureLoad(engines, dir) {
  const router = await engines.startRouter(dir, [...MODEL_ARGS, '--models-max', '3']);
  try {
    return await alternate(
      'load',
      async () => {
        await unloadAll(router);
        const from = router.log.text.length;
        const firstTokenMs = await mustChat(router.url, 'A');
        const [load, wait] = [engineLoadMs(router.log.text, from), routerWait(router, from)];
        const addedMs = round(wait - load, 1);
        return {
          firstTokenMs,
          engineLoadMs: load,
          routerWaitMs: wait,
          addedMs,
          afterReadyMs: round(firstTokenMs - wait),
        };
      },
      async () => {
        const t0 = now();
        const p = await engines.startProcess(join(dir, 'A.gguf'));
        const requestMs = await mustChat(p.url, 'A');
        const r = { firstTokenMs: round(now() - t0), spawnToHealthyMs: round(p.spawnToHealthyMs), requestMs };
        await engines.stop(p);
        const load = engineLoadMs(p.log.text);
        return { ...r, engineLoadMs: load, addedMs: round(p.spawnToHealthyMs - load, 1), afterReadyMs: requestMs };
      },
    );
  } finally {
    await engines.stop(router);
  }
}

async function measureSwap(engines, dir) {
  const router = await engines.startRouter(dir, [...MODEL_ARGS, '--models-max', '1']);
  let proc = await engines.startProcess(join(dir, 'A.gguf'));
  const at = { router: 'A', process: 'A' };
  const other = (name) => (name === 'A' ? 'B' : 'A');
  try {
    await mustChat(router.url, 'A');
    await mustChat(proc.url, 'A');
    return await alternate(
      'swap',
      async () => {
        const [from, to] = [at.router, other(at.router)];
        const logFrom = router.log.text.length;
        const swapMs = await mustChat(router.url, to);
        at.router = to;
        const previous = (await routerStatus(router, from))?.value;
        const [load, wait] = [engineLoadMs(router.log.text, logFrom), routerWait(router, logFrom)];
        return { swapMs, engineLoadMs: load, routerWaitMs: wait, addedMs: round(wait - load, 1), previous };
      },
      async () => {
        const to = other(at.process);
        const t0 = now();
        await engines.stop(proc);
        const stopMs = round(now() - t0);
        proc = await engines.startProcess(join(dir, `${to}.gguf`));
        await mustChat(proc.url, to);
        at.process = to;
        const load = engineLoadMs(proc.log.text);
        const addedMs = round(stopMs + proc.spawnToHealthyMs - load, 1);
        return { swapMs: round(now() - t0), stopMs, engineLoadMs: load, addedMs };
      },
    );
  } finally {
    await engines.stop(proc);
    await engines.stop(router);
  }
}

async function measureMemory(engines, dir) {
  const router = await engines.startRouter(dir, [...MODEL_ARGS, '--models-max', '3']);
  const extra = { routerAloneMiB: rssMiB([router.pid]).rss };
  try {
    const runs = await alternate(
      'memory',
      async () => {
        const r = {};
        for (const [i, name] of NAMES.entries()) {
          await mustChat(router.url, name);
          r[`loaded${i + 1}`] = rssMiB(processTree(router.pid)).rss;
        }
        r.anon3 = rssMiB(processTree(router.pid)).anon;
        r.routerProcess3 = rssMiB([router.pid]).rss;
        r.processes3 = processTree(router.pid).length;
        extra.childArgv ??= argvOf(routerChild(router.pid, 'A'));
        await unloadAll(router);
        r.afterUnload = rssMiB(processTree(router.pid)).rss;
        return r;
      },
      async () => {
        const r = {};
        const procs = [];
        const treeRss = () => rssMiB(procs.flatMap((p) => processTree(p.pid)));
        for (const [i, name] of NAMES.entries()) {
          procs.push(await engines.startProcess(join(dir, `${name}.gguf`)));
          await mustChat(procs.at(-1).url, name);
          r[`loaded${i + 1}`] = treeRss().rss;
        }
        r.anon3 = treeRss().anon;
        r.processes3 = procs.length;
        for (const p of procs) await engines.stop(p);
        r.afterUnload = treeRss().rss;
        return r;
      },
    );
    return { runs, ...extra };
  } finally {
    await engines.stop(router);
  }
}

/** kill -9 of the process serving A while it streams to a client; then what A and B answer. */
async function crashScenario({ urlA, urlB, victim, statusA }) {
  let killedPid;
  const inflight = await chat(urlA, 'A', {
    maxTokens: 256,
    onFirstToken: () => {
      killedPid = victim();
      process.kill(killedPid, 'SIGKILL');
    },
  });
  const statusBefore = await statusA?.();
  const nextA = await chat(urlA, 'A');
  const b = await chat(urlB, 'B');
  const status = await statusA?.();
  await sleep(1000);
  const laterA = await chat(urlA, 'A');
  return { killedPid, inflight, statusBefore, nextA, b, statusA: status, laterA };
}

async function measureCrash(engines, dir) {
  const router = await engines.startRouter(dir, [...MODEL_ARGS, '--models-max', '3']);
  const procs = [];
  try {
    await mustChat(router.url, 'A');
    await mustChat(router.url, 'B');
    const routerSide = await crashScenario({
      urlA: router.url,
      urlB: router.url,
      victim: () => routerChild(router.pid, 'A'),
      statusA: async () => {
        const { value, exit_code, failed } = (await routerStatus(router, 'A')) ?? {};
        return { value, exit_code, failed };
      },
    });
    routerSide.reloadedAsPid = routerChild(router.pid, 'A') ?? null;
    // The other direction: the router itself dies. Its children watch their stdin (the router's pipe) and exit.
    const orphans = processTree(router.pid).slice(1);
    const t0 = now();
    process.kill(router.pid, 'SIGKILL');
    while (orphans.some(alive) && now() - t0 < 30_000) await sleep(10);
    routerSide.routerKilled = { children: orphans.length, allGoneMs: round(now() - t0), left: orphans.filter(alive) };
    for (const pid of routerSide.routerKilled.left) process.kill(pid, 'SIGKILL');

    for (const name of ['A', 'B']) procs.push(await engines.startProcess(join(dir, `${name}.gguf`)));
    await mustChat(procs[0].url, 'A');
    await mustChat(procs[1].url, 'B');
    const processSide = await crashScenario({ urlA: procs[0].url, urlB: procs[1].url, victim: () => procs[0].pid });
    return { router: routerSide, process: processSide };
  } finally {
    for (const p of procs) await engines.stop(p);
    await engines.stop(router);
  }
}

/** Router with a preset: A sleeps after 3 s idle, B has ctx 4096 (and a 100 s sleep), C runs with --embeddings. */
async function measurePreset(engines, dir) {
  const ini = join(dir, '..', 'preset.ini');
  writeFileSync(
    ini,
    [
      'version = 1',
      '[*]\nctx-size = 2048\nparallel = 1\nthreads = 2',
      '[A]\nsleep-idle-seconds = 3',
      '[B]\nctx-size = 4096\nsleep-idle-seconds = 100',
      '[C]\nembeddings = true\npooling = mean',
    ].join('\n\n'),
  );
  const result = { preset: ini };
  const rss = (pid) => (pid && alive(pid) ? rssMiB(processTree(pid)).rss : 0);
  let router = await engines.startRouter(dir, ['--models-preset', ini, '--models-max', '3']);
  try {
    // B first: A's 3 s idle timer starts with its first request, and its RSS is read right after it.
    await mustChat(router.url, 'B');
    await mustChat(router.url, 'A');
    const [pidA, pidB] = ['A', 'B'].map((n) => routerChild(router.pid, n));
    const before = { A: rss(pidA), B: rss(pidB) };
    // B gets a request every second; A gets none, so only its own idle timer can put it to sleep.
    for (let i = 0; i < 6; i++) {
      await sleep(1000);
      await mustChat(router.url, 'B');
    }
    const status = { A: (await routerStatus(router, 'A'))?.value, B: (await routerStatus(router, 'B'))?.value };
    result.perModelSleep = { before, status, after: { A: rss(pidA), B: rss(pidB) }, processAAlive: alive(pidA) };
    result.perModelSleep.wakeA = await chat(router.url, 'A');
    result.perModelSleep.samePidAfterWake = routerChild(router.pid, 'A') === pidA;
    const props = async (n) =>
      (await getJson(`${router.url}/props?model=${n}`)).body.default_generation_settings?.n_ctx;
    result.nCtx = { A: await props('A'), B: await props('B') };
    result.argvB = argvOf(pidB);
    const embed = (n) => postJson(`${router.url}/v1/embeddings`, { model: n, input: 'hello' });
    result.embeddings = { C: await embed('C'), A: await embed('A') };
    result.argvC = argvOf(routerChild(router.pid, 'C'));
    await engines.stop(router);

    // The same preset with --sleep-idle-seconds 3 on the router's command line: does it win over B's 100?
    router = await engines.startRouter(dir, ['--models-preset', ini, '--models-max', '3', '--sleep-idle-seconds', '3']);
    await mustChat(router.url, 'A');
    await mustChat(router.url, 'B');
    await sleep(5000);
    result.cliSleep = { A: (await routerStatus(router, 'A'))?.value, B: (await routerStatus(router, 'B'))?.value };
    result.cliSleep.argvB = argvOf(routerChild(router.pid, 'B'));
    return result;
  } finally {
    await engines.stop(router);
  }
}

const { llamaServer: bin, gguf } = testEnginePaths();
for (const path of [bin, gguf]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash scripts/prepare-test-engines.sh\``);
}
const children = new ChildProcesses().killOnExit();
const engines = new Engines({ bin, children });
const tmp = mkdtempSync(join(tmpdir(), 'serving-modes-'));
const dir = join(tmp, 'models');
mkdirSync(dir);
// Copies, not hard links: separate files, like separate models, so no process shares another's page cache.
for (const name of NAMES) copyFileSync(gguf, join(dir, `${name}.gguf`));
const machine = machineInfo();
console.log(`serving modes: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGiB} GiB, ${REPS} reps`);
const result = { part: 'serving-modes', machine, reps: REPS, binary: bin, modelArgs: MODEL_ARGS, medians: {} };
const PARTS = {
  load: measureLoad,
  swap: measureSwap,
  memory: measureMemory,
  crash: measureCrash,
  preset: measurePreset,
};
try {
  for (const [name, measure] of Object.entries(PARTS)) {
    console.log(`\n== ${name}`);
    result[name] = await measure(engines, dir);
  }
  const { load, swap, memory } = result;
  for (const mode of ['router', 'process']) {
    const keys = (runs) => Object.keys(runs[mode][0]).filter((k) => typeof runs[mode][0][k] === 'number');
    result.medians[mode] = Object.fromEntries(
      [load, swap, memory.runs].flatMap((runs, i) =>
        keys(runs).map((k) => [`${['load', 'swap', 'memory'][i]}.${k}`, med(runs[mode], k)]),
      ),
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const [r, p] = [result.medians.router, result.medians.process];
printTable(
  `Timed, medians of ${REPS} reps (ms; RSS in MiB, summed over the process tree)`,
  ['', 'router', 'process per model'],
  [
    ['load: request (per process: spawn) to first token', fmt(r['load.firstTokenMs']), fmt(p['load.firstTokenMs'])],
    ['load: engine\'s own "model loaded" time', fmt(r['load.engineLoadMs']), fmt(p['load.engineLoadMs'])],
    [
      'load: added beyond it (router: its log wait; process: spawn to /health 200)',
      fmt(r['load.addedMs'], 1),
      fmt(p['load.addedMs'], 1),
    ],
    ['load: once ready, the request to its first token', fmt(r['load.afterReadyMs']), fmt(p['load.afterReadyMs'])],
    ['swap A<->B, 1 resident: to first token of the other', fmt(r['swap.swapMs']), fmt(p['swap.swapMs'])],
    ['swap: engine\'s own "model loaded" time', fmt(r['swap.engineLoadMs']), fmt(p['swap.engineLoadMs'])],
    ['swap: added beyond it, stopping the previous included', fmt(r['swap.addedMs'], 1), fmt(p['swap.addedMs'], 1)],
    ['swap: of which SIGTERM to exit of the previous', '', fmt(p['swap.stopMs'])],
    ...[1, 2, 3].map((n) => [
      `RSS with ${n} model(s) loaded`,
      fmt(r[`memory.loaded${n}`], 1),
      fmt(p[`memory.loaded${n}`], 1),
    ]),
    ['RssAnon with 3 loaded', fmt(r['memory.anon3'], 1), fmt(p['memory.anon3'], 1)],
    ['RSS after unloading all', fmt(r['memory.afterUnload'], 1), fmt(p['memory.afterUnload'], 1)],
    ['processes with 3 loaded', fmt(r['memory.processes3']), fmt(p['memory.processes3'])],
  ],
);
const [cr, cp] = [result.crash.router, result.crash.process];
printTable(
  'Crash: kill -9 of the process serving A while it streams to a client',
  ['', 'router', 'process per model'],
  [
    ['the in-flight request for A', brief(cr.inflight), brief(cp.inflight)],
    ['the next request for A', brief(cr.nextA), brief(cp.nextA)],
    ['a request for B', brief(cr.b), brief(cp.b)],
    ["A's status before the next request / after", `${JSON.stringify(cr.statusBefore)} / ${cr.statusA.value}`, 'n/a'],
    ['a request for A 1 s later', brief(cr.laterA), brief(cp.laterA)],
    ['router itself killed -9: its children gone after', `${fmt(cr.routerKilled.allGoneMs)} ms`, 'n/a'],
  ],
);
const ps = result.preset.perModelSleep;
printTable(
  'Router per-model settings through --models-preset',
  ['check', 'result'],
  [
    ['A (sleep 3 s) idle 6 s while B gets a request each second', `A ${ps.status.A}, B ${ps.status.B}`],
    ['RSS of A / B child before -> after', `A ${ps.before.A} -> ${ps.after.A}, B ${ps.before.B} -> ${ps.after.B} MiB`],
    ['A wakes on its next request', `${brief(ps.wakeA)}; same process: ${ps.samePidAfterWake}`],
    [
      'router CLI --sleep-idle-seconds 3, B preset 100, 5 s idle',
      `A ${result.preset.cliSleep.A}, B ${result.preset.cliSleep.B}`,
    ],
    ['/props n_ctx A / B (B: ctx-size 4096 in preset)', `${result.preset.nCtx.A} / ${result.preset.nCtx.B}`],
    [
      '/v1/embeddings C (embeddings = true) / A',
      `${result.preset.embeddings.C.status} / ${result.preset.embeddings.A.status}`,
    ],
  ],
);
console.log(`\nrouter child argv: ${result.memory.childArgv.join(' ')}`);
console.log(`wrote ${writeResultFile('serving-modes', result)}`);
if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
children.killAll();
