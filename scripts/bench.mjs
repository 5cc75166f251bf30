// Benchmarks of the built autobyteus library, each one a side-by-side comparison in one run
// (alternating repetitions, medians), because the machine is small, shared and noisy.
//
//   npm run bench                         # all parts (builds the library first)
//   npm run bench -- --only discovery     # or stream, tokens; a comma list works too
//   node scripts/bench.mjs --only stream --rounds 7
//
// Parts:
//   discovery  100 llama.cpp hosts (60 healthy stubs, 20 that hang, 20 refusing): parallel discovery
//              through LLMFactory vs the same hosts probed one after another.
//   stream     100,000-chunk SSE body from a stub in a child process: our transport vs the openai SDK.
//   tokens     real llama-server + SmolLM2-135M, 256 tokens: LlamaCppLLM.streamMessages vs curl.
//
// Results: a table per part on stdout and bench-results/<part>.json.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildChatRequestBody, HttpClient, LLMFactory, OpenAICompatibleTransport, silentLogger } from 'autobyteus';
import OpenAI from 'openai';
import { freePort, llamaServerArgs } from './lib/bench-engines.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_DIR = join(ROOT, 'bench-results');
const FIXTURES = join(ROOT, 'packages', 'autobyteus', 'test', 'fixtures', 'llama-cpp');
const PARTS = ['discovery', 'stream', 'tokens'];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    chunks: { type: 'string', default: '100000' },
    'discovery-timeout': { type: 'string', default: '1000' },
    'engine-wait-s': { type: 'string', default: '600' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(
    'usage: node scripts/bench.mjs [--only discovery|stream|tokens[,...]] [--rounds 5] [--chunks 100000]\n' +
      '                             [--discovery-timeout 1000] [--engine-wait-s 600]',
  );
  process.exit(0);
}
const selected = args.only
  ? args.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : PARTS;
for (const part of selected) {
  if (!PARTS.includes(part)) {
    console.error(`unknown part "${part}"; choose from ${PARTS.join(', ')}`);
    process.exit(2);
  }
}
const ROUNDS = positiveInt('rounds', args.rounds);

// ---------------------------------------------------------------------------------------------
// helpers

function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${text}`);
    process.exit(2);
  }
  return n;
}

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (x, digits = 2) => (x == null || Number.isNaN(x) ? null : Number(x.toFixed(digits)));
const fmt = (x, digits = 0) =>
  x == null || Number.isNaN(x)
    ? '-'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printTable(title, headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of cells.slice(1)) console.log(line(row));
}

function machineInfo() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (match) cpuModel = match[1].trim();
  } catch {}
  return {
    cpuModel,
    cores: cpus().length,
    ramGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavgAtStart: loadavg().map((x) => round(x, 2)),
    date: new Date().toISOString(),
  };
}

function writeResults(part, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${part}.json`);
  writeFileSync(file, `${JSON.stringify({ part, machine: machineInfo(), ...data }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

/** Child processes we started; killed on any exit, so an error never leaves an engine running. */
const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Forks scripts/bench-stub-server.mjs, sends it its job, and waits for its ports. */
function forkStub(message) {
  const child = track(
    fork(join(ROOT, 'scripts', 'bench-stub-server.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stub server exited early (code ${code})`)));
    child.once('message', (reply) => {
      if (!reply?.ready) reject(new Error(`stub server failed: ${reply?.error}`));
      else resolve({ child, reply });
    });
    child.send(message);
  });
}

async function stopStub(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ stop: true });
  await Promise.race([exited, sleep(2000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

function fixtureBody(name) {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).response.body;
}

// ---------------------------------------------------------------------------------------------
// part 1: discovery

async function benchDiscovery() {
  const T = positiveInt('discovery-timeout', args['discovery-timeout']);
  const HEALTHY = 60;
  const HANGING = 20;
  const REFUSED = 20;
  console.log(
    `\n=== discovery: ${HEALTHY} healthy + ${HANGING} hanging + ${REFUSED} refusing llama.cpp hosts, timeout ${T} ms ===`,
  );
  const { child, reply } = await forkStub({
    mode: 'discovery',
    healthy: HEALTHY,
    hanging: HANGING,
    modelsBody: fixtureBody('models.json'),
    propsBody: fixtureBody('props.json'),
  });
  try {
    const refusedPorts = [];
    for (let i = 0; i < REFUSED; i++) refusedPorts.push(await freePort());
    const url = (port) => `http://127.0.0.1:${port}`;
    const kindOf = new Map();
    for (const p of reply.healthyPorts) kindOf.set(url(p), 'healthy');
    for (const p of reply.hangingPorts) kindOf.set(url(p), 'hanging');
    for (const p of refusedPorts) kindOf.set(url(p), 'refused');
    // Interleave the three kinds so neither variant meets them in blocks.
    const hosts = [];
    for (let i = 0; i < Math.max(HEALTHY, HANGING, REFUSED); i++) {
      for (const ports of [reply.healthyPorts, reply.hangingPorts, refusedPorts])
        if (i < ports.length) hosts.push(url(ports[i]));
    }
    const settingsFor = (hostList) => ({
      llamaCppHosts: hostList,
      ollamaHosts: [],
      lmStudioHosts: [],
      discoveryTimeoutMs: T,
    });

    /** One discovery through the public API; wall time of ensureInitialized only. */
    async function discover(hostList) {
      const factory = new LLMFactory({ settings: settingsFor(hostList), logger: silentLogger });
      const t0 = now();
      await factory.ensureInitialized();
      const ms = now() - t0;
      const health = factory.getHostHealth();
      const models = factory.listAvailableModels().length;
      const c0 = now();
      await factory.close();
      return { ms, health, models, closeMs: now() - c0 };
    }

    function summarize(health) {
      const byKind = {};
      for (const h of health) {
        const kind = kindOf.get(h.hostUrl) ?? 'unknown';
        byKind[kind] ??= { statuses: {}, maxLatencyMs: 0, sumLatencyMs: 0, n: 0 };
        const k = byKind[kind];
        k.statuses[h.status] = (k.statuses[h.status] ?? 0) + 1;
        k.maxLatencyMs = Math.max(k.maxLatencyMs, h.latencyMs);
        k.sumLatencyMs += h.latencyMs;
        k.n++;
      }
      return byKind;
    }

    async function parallel(label) {
      const run = await discover(hosts);
      const byKind = summarize(run.health);
      const up = run.health.filter((h) => h.status === 'up').length;
      console.log(
        `  parallel ${label}: ${fmt(run.ms)} ms (${up} up, ${run.health.length - up} not up, ${run.models} models, close ${fmt(run.closeMs)} ms)`,
      );
      return { wallMs: round(run.ms, 1), up, models: run.models, closeMs: round(run.closeMs, 1), byKind };
    }

    async function sequential() {
      // The old way: one host after another, each probed through its own factory (same code path).
      const t0 = now();
      const perHost = [];
      for (const host of hosts) {
        const run = await discover([host]);
        perHost.push({ host, kind: kindOf.get(host), ms: run.ms, status: run.health[0]?.status, models: run.models });
      }
      const ms = now() - t0;
      const byKind = {};
      for (const p of perHost) {
        byKind[p.kind] ??= { n: 0, totalMs: 0, maxMs: 0, statuses: {} };
        const k = byKind[p.kind];
        k.n++;
        k.totalMs += p.ms;
        k.maxMs = Math.max(k.maxMs, p.ms);
        k.statuses[p.status] = (k.statuses[p.status] ?? 0) + 1;
      }
      for (const k of Object.values(byKind)) {
        k.totalMs = round(k.totalMs, 1);
        k.meanMs = round(k.totalMs / k.n, 1);
        k.maxMs = round(k.maxMs, 1);
      }
      const up = perHost.filter((p) => p.status === 'up').length;
      const models = perHost.reduce((sum, p) => sum + p.models, 0);
      console.log(`  sequential: ${fmt(ms)} ms (${up} up, ${models} models)`);
      return { wallMs: round(ms, 1), up, models, byKind };
    }

    const warmup = await parallel('warm-up');
    // Parallel runs around the one sequential run, so slow phases of the machine hit both.
    const parallelRuns = [];
    const before = Math.ceil(ROUNDS / 2);
    for (let i = 1; i <= before; i++) parallelRuns.push(await parallel(i));
    const seq = await sequential();
    for (let i = before + 1; i <= ROUNDS; i++) parallelRuns.push(await parallel(i));

    const parMedian = median(parallelRuns.map((r) => r.wallMs));
    const result = {
      config: {
        hosts: hosts.length,
        healthy: HEALTHY,
        hanging: HANGING,
        refused: REFUSED,
        discoveryTimeoutMs: T,
        parallelRuns: ROUNDS,
      },
      parallel: {
        medianMs: round(parMedian, 1),
        minMs: Math.min(...parallelRuns.map((r) => r.wallMs)),
        maxMs: Math.max(...parallelRuns.map((r) => r.wallMs)),
        overTimeout: round(parMedian / T, 3),
        runs: parallelRuns,
        warmup,
      },
      sequential: seq,
      speedup: round(seq.wallMs / parMedian, 1),
      expectedSequentialFloorMs: HANGING * T,
    };
    const allUp = parallelRuns.every((r) => r.up === HEALTHY) && seq.up === HEALTHY;
    result.correct = allUp;

    printTable(
      `discovery (${hosts.length} hosts, T = ${T} ms)`,
      ['variant', 'wall ms', 'wall / T', 'hosts up', 'models', 'runs'],
      [
        [
          'parallel (LLMFactory.ensureInitialized)',
          `${fmt(parMedian)} (median; ${fmt(result.parallel.minMs)}-${fmt(result.parallel.maxMs)})`,
          fmt(parMedian / T, 3),
          `${parallelRuns[0].up}/${hosts.length}`,
          parallelRuns[0].models,
          ROUNDS,
        ],
        [
          'sequential (one factory per host)',
          fmt(seq.wallMs),
          fmt(seq.wallMs / T, 2),
          `${seq.up}/${hosts.length}`,
          seq.models,
          1,
        ],
        ['speedup sequential / parallel', `${fmt(result.speedup, 1)}x`, '', '', '', ''],
      ],
    );
    printTable(
      'sequential, per host kind',
      ['kind', 'hosts', 'total ms', 'mean ms', 'max ms', 'statuses'],
      Object.entries(seq.byKind).map(([kind, k]) => [
        kind,
        k.n,
        fmt(k.totalMs),
        fmt(k.meanMs, 1),
        fmt(k.maxMs),
        JSON.stringify(k.statuses),
      ]),
    );
    if (!allUp) console.log(`  WARNING: expected ${HEALTHY} hosts up in every run`);
    writeResults('discovery', result);
    return result;
  } finally {
    await stopStub(child);
  }
}

// ---------------------------------------------------------------------------------------------
// part 2: stream parsing throughput

async function benchStream() {
  const N = positiveInt('chunks', args.chunks);
  console.log(`\n=== stream: ${fmt(N)}-chunk SSE body from a stub in a child process; ours vs openai SDK ===`);
  const { child, reply } = await forkStub({ mode: 'stream', chunks: N });
  const baseUrl = `http://127.0.0.1:${reply.port}`;
  const http = new HttpClient({ connectTimeoutMs: 5000, queueTimeoutMs: 60000, idleTimeoutMs: 60000 });
  const transport = new OpenAICompatibleTransport({ runtime: 'llama_cpp', baseUrl, http, requestTimeoutMs: 0 });
  const sdk = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'x', maxRetries: 0 });
  const messages = [{ role: 'user', content: 'x' }];
  try {
    async function ours() {
      const t0 = now();
      let content = 0;
      let events = 0;
      let last;
      for await (const chunk of transport.stream(buildChatRequestBody('m', messages, {}, {}, true))) {
        events++;
        if (chunk.content) content++;
        last = chunk;
      }
      const ms = now() - t0;
      if (content !== N || !last?.isComplete || last.finishReason !== 'stop' || last.usage?.completionTokens !== N) {
        throw new Error(`ours: got ${content} content chunks (want ${N}), last ${JSON.stringify(last)}`);
      }
      return { ms, content, events };
    }
    async function theirs() {
      const t0 = now();
      let content = 0;
      let events = 0;
      let finish;
      let usage;
      const stream = await sdk.chat.completions.create({ model: 'm', messages, stream: true });
      for await (const chunk of stream) {
        events++;
        const choice = chunk.choices[0];
        if (choice?.delta?.content) content++;
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      const ms = now() - t0;
      if (content !== N || finish !== 'stop' || usage?.completion_tokens !== N) {
        throw new Error(`sdk: got ${content} content chunks (want ${N}), finish ${finish}`);
      }
      return { ms, content, events };
    }
    const clients = { ours, sdk: theirs };
    const runs = { ours: [], sdk: [] };
    const report = (name, label, r) =>
      console.log(
        `  ${name.padEnd(4)} ${label}: ${fmt(r.ms)} ms, ${fmt((N / r.ms) * 1000)} chunks/s (${r.events} events)`,
      );
    report('ours', 'warm-up', await ours());
    report('sdk', 'warm-up', await theirs());
    for (let i = 1; i <= ROUNDS; i++) {
      // A,B then B,A: neither client always runs right after the other's garbage.
      const order = i % 2 ? ['ours', 'sdk'] : ['sdk', 'ours'];
      for (const name of order) {
        const r = await clients[name]();
        runs[name].push({ ms: round(r.ms, 1), chunksPerSec: Math.round((N / r.ms) * 1000), events: r.events });
        report(name, `round ${i}`, r);
      }
    }
    const med = (name) => median(runs[name].map((r) => r.chunksPerSec));
    const result = {
      config: { chunks: N, bodyBytes: reply.bytes, rounds: ROUNDS, order: 'warm-up each, then A,B / B,A alternating' },
      ours: { medianChunksPerSec: med('ours'), medianMs: median(runs.ours.map((r) => r.ms)), runs: runs.ours },
      sdk: { medianChunksPerSec: med('sdk'), medianMs: median(runs.sdk.map((r) => r.ms)), runs: runs.sdk },
      ratioOursOverSdk: round(med('ours') / med('sdk'), 3),
      perRoundRatios: runs.ours.map((r, i) => round(r.chunksPerSec / runs.sdk[i].chunksPerSec, 3)),
    };
    printTable(
      `stream (${fmt(N)} chunks, ${fmt(reply.bytes / 1e6, 1)} MB SSE body)`,
      ['client', 'median ms', 'median chunks/s', 'runs (chunks/s)'],
      [
        [
          'ours: OpenAICompatibleTransport.stream',
          fmt(result.ours.medianMs),
          fmt(result.ours.medianChunksPerSec),
          runs.ours.map((r) => fmt(r.chunksPerSec)).join(' '),
        ],
        [
          'openai SDK chat.completions.create',
          fmt(result.sdk.medianMs),
          fmt(result.sdk.medianChunksPerSec),
          runs.sdk.map((r) => fmt(r.chunksPerSec)).join(' '),
        ],
        [
          'ratio ours / SDK',
          '',
          `${fmt(result.ratioOursOverSdk, 3)}`,
          result.perRoundRatios.map((r) => fmt(r, 2)).join(' '),
        ],
      ],
    );
    writeResults('stream', result);
    return result;
  } finally {
    await http.close();
    await stopStub(child);
  }
}

// ---------------------------------------------------------------------------------------------
// part 3: tokens/s against a real llama-server

const PROMPT = 'Write a long story about a lighthouse keeper who finds a message in a bottle.';
const MAX_TOKENS = 256;

async function waitForFile(path, what, waitS) {
  const deadline = Date.now() + waitS * 1000;
  let told = false;
  while (!existsSync(path)) {
    if (Date.now() >= deadline) {
      throw new Error(
        `${what} not found at ${path} after waiting ${waitS} s. Build it with \`bash scripts/prepare-test-engines.sh\` ` +
          '(or set AUTOBYTEUS_TEST_CACHE to the cache that has it).',
      );
    }
    if (!told) {
      console.log(
        `  waiting up to ${waitS} s for ${what} at ${path} (is scripts/prepare-test-engines.sh still building it?)`,
      );
      told = true;
    }
    await sleep(5000);
  }
}

/** Starts llama-server and resolves once `/health` answers 200. */
async function startLlamaServer(bin, gguf, port) {
  const argv = llamaServerArgs(gguf, port);
  const child = track(spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const log = { text: '' };
  const collect = (data) => {
    // Offsets into this text mark where each request's lines start, so it is never trimmed
    // (a few hundred bytes per request); a runaway log just stops being collected.
    if (log.text.length < 64_000_000) log.text += data.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (true) {
    if (child.exitCode !== null)
      throw new Error(`llama-server exited with code ${child.exitCode}:\n${log.text.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`llama-server did not become healthy within 120 s:\n${log.text.slice(-2000)}`);
    await sleep(200);
  }
  return { child, url, argv, log };
}

/**
 * The timing lines llama-server logs per request (`slot print_timing: ... | prompt eval time = ...`,
 * `eval time = X ms / N tokens (... Y tokens per second)`, `total time = Z ms`); the last request's.
 */
function serverTimingsIn(text) {
  const num = (re) => {
    const all = [...text.matchAll(re)];
    return all.length ? Number(all.at(-1)[1]) : undefined;
  };
  return {
    promptMs: num(/prompt eval time\s*=\s*([\d.]+) ms/g),
    evalMs: num(/(?<!prompt )eval time\s*=\s*([\d.]+) ms/g),
    perSecond: num(/(?<!prompt )eval time\s*=.*?([\d.]+) tokens per second/g),
    totalMs: num(/total time\s*=\s*([\d.]+) ms/g),
  };
}

/**
 * Runs curl on the same body. With `measureCpu` it runs under `sh -c '...; times'` to read curl's
 * own CPU time (used for the untimed validation run only; timed runs spawn curl directly).
 */
function runCurl(url, bodyPath, outPath, { measureCpu = false } = {}) {
  return new Promise((resolve, reject) => {
    const argv = [
      '-sN',
      '-H',
      'content-type: application/json',
      '-d',
      `@${bodyPath}`,
      `${url}/v1/chat/completions`,
      '-o',
      outPath,
      '-w',
      measureCpu ? '%{time_total}\\n' : '%{time_total}',
    ];
    const t0 = now();
    const child = track(
      measureCpu
        ? spawn('sh', ['-c', 'curl "$@" && times', 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('curl', argv, { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = now() - t0;
      if (code !== 0) return reject(new Error(`curl exited with ${code}: ${stderr}`));
      const lines = stdout.trim().split('\n');
      const result = { wallMs, timeTotalMs: Number(lines[0]) * 1000 };
      if (measureCpu) {
        // `times`: shell user/sys, then children user/sys, as 0m0.012s.
        const secs = (text) =>
          [...text.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
        result.cpuMs = lines[2] ? secs(lines[2]) * 1000 : undefined;
      }
      resolve(result);
    });
  });
}

async function benchTokens() {
  console.log(`\n=== tokens: real llama-server, ${MAX_TOKENS} tokens; LlamaCppLLM.streamMessages vs curl ===`);
  const cache = process.env.AUTOBYTEUS_TEST_CACHE || join(homedir(), '.cache', 'autobyteus-test');
  const bin = join(cache, 'llama-server', 'bin', 'llama-server');
  const gguf = join(cache, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
  const waitS = positiveInt('engine-wait-s', args['engine-wait-s']);
  await waitForFile(bin, 'llama-server', waitS);
  await waitForFile(gguf, 'the SmolLM2 GGUF', 60);
  const port = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), 'autobyteus-bench-'));
  let server;
  let factory;
  try {
    server = await startLlamaServer(bin, gguf, port);
    console.log(`  llama-server up at ${server.url} (${server.argv.join(' ')})`);
    factory = new LLMFactory({
      settings: {
        llamaCppHosts: [server.url],
        ollamaHosts: [],
        lmStudioHosts: [],
        discoveryTimeoutMs: 30_000,
        requestTimeoutMs: 0,
      },
      logger: silentLogger,
    });
    await factory.ensureInitialized();
    const model = factory.listAvailableModels().find((m) => m.availability === 'served' && !m.stale);
    if (!model) throw new Error(`discovery found no served model: ${JSON.stringify(factory.getHostHealth())}`);
    const config = { maxTokens: MAX_TOKENS, temperature: 0, seed: 1, extraParams: { ignore_eos: true } };
    const llm = factory.createLLM(model.modelIdentifier, config);
    const messages = [{ role: 'user', content: PROMPT }];
    // The very body LlamaCppLLM sends (it adds cache_prompt; the transport forces stream: true).
    const body = {
      cache_prompt: true,
      ...buildChatRequestBody(model.value, messages, llm.config, {}, true),
      stream: true,
    };
    const bodyPath = join(tmp, 'body.json');
    writeFileSync(bodyPath, JSON.stringify(body));
    console.log(`  model ${model.modelIdentifier}; body ${JSON.stringify(body)}`);

    async function ours() {
      const logStart = server.log.text.length;
      const cpu0 = process.cpuUsage();
      const t0 = now();
      let firstMs;
      let last;
      let text = '';
      for await (const chunk of llm.streamMessages(messages)) {
        if (chunk.content) {
          firstMs ??= now() - t0;
          text += chunk.content;
        }
        last = chunk;
      }
      const wallMs = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (!last?.isComplete) throw new Error('ours: stream ended without a complete chunk');
      const tokens = last.usage?.completionTokens;
      if (tokens !== MAX_TOKENS)
        throw new Error(`ours: ${tokens} tokens generated, want ${MAX_TOKENS} (is ignore_eos honoured?)`);
      await sleep(100); // let llama-server flush its timing log lines
      const logged = serverTimingsIn(server.log.text.slice(logStart));
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        firstContentMs: firstMs,
        tokens,
        predictedPerSecond: last.timings?.predictedPerSecond,
        logged,
        text,
      };
    }
    async function curl(outPath = '/dev/null', options = {}) {
      const logStart = server.log.text.length;
      const r = await runCurl(server.url, bodyPath, outPath, options);
      await sleep(100);
      return { ...r, logged: serverTimingsIn(server.log.text.slice(logStart)) };
    }

    // Warm-ups. curl's writes its stream to a file once, to check it generates the same 256 tokens.
    const warmOurs = await ours();
    console.log(
      `  ours warm-up: ${fmt(warmOurs.wallMs)} ms, ${warmOurs.tokens} tokens, server ${fmt(warmOurs.predictedPerSecond, 1)} tok/s`,
    );
    const curlOut = join(tmp, 'curl-out.txt');
    const warmCurl = await curl(curlOut, { measureCpu: true });
    const events = readFileSync(curlOut, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)));
    const curlUsage = events.find((e) => e.usage)?.usage;
    const curlTimings = events.find((e) => e.timings)?.timings;
    const curlText = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    if (curlUsage?.completion_tokens !== MAX_TOKENS)
      throw new Error(`curl: ${curlUsage?.completion_tokens} tokens generated, want ${MAX_TOKENS}`);
    console.log(
      `  curl warm-up: ${fmt(warmCurl.wallMs)} ms wall, ${fmt(warmCurl.timeTotalMs)} ms time_total, ${curlUsage.completion_tokens} tokens, ` +
        `server ${fmt(curlTimings?.predicted_per_second, 1)} tok/s, curl CPU ${fmt(warmCurl.cpuMs, 1)} ms; ` +
        `same text as ours: ${curlText === warmOurs.text}`,
    );

    // Client overhead: the client's time minus the time llama-server itself logged for the request
    // (prompt + generation). It is what the client adds, and it varies far less with machine load
    // than tokens/s does.
    const overhead = (clientMs, logged) => (logged.totalMs === undefined ? null : round(clientMs - logged.totalMs, 1));
    const runs = { ours: [], curl: [] };
    for (let i = 1; i <= ROUNDS; i++) {
      const order = i % 2 ? ['ours', 'curl'] : ['curl', 'ours'];
      for (const name of order) {
        if (name === 'ours') {
          const r = await ours();
          const run = {
            wallMs: round(r.wallMs, 1),
            tokensPerSec: round((MAX_TOKENS / r.wallMs) * 1000, 2),
            firstContentMs: round(r.firstContentMs, 1),
            clientCpuMs: round(r.cpuMs, 1),
            serverPredictedPerSec: round(r.predictedPerSecond, 2),
            serverTotalMs: r.logged.totalMs ?? null,
            overheadMs: overhead(r.wallMs, r.logged),
          };
          runs.ours.push(run);
          console.log(
            `  ours round ${i}: ${fmt(r.wallMs)} ms, ${fmt(run.tokensPerSec, 1)} tok/s (server ${fmt(r.predictedPerSecond, 1)} tok/s, ` +
              `${fmt(run.serverTotalMs)} ms; client overhead ${fmt(run.overheadMs, 1)} ms, client CPU ${fmt(run.clientCpuMs, 1)} ms)`,
          );
        } else {
          const r = await curl();
          const run = {
            wallMs: round(r.wallMs, 1),
            timeTotalMs: round(r.timeTotalMs, 1),
            tokensPerSecWall: round((MAX_TOKENS / r.wallMs) * 1000, 2),
            tokensPerSecTimeTotal: round((MAX_TOKENS / r.timeTotalMs) * 1000, 2),
            serverLoggedPerSec: r.logged.perSecond ?? null,
            serverTotalMs: r.logged.totalMs ?? null,
            overheadMs: overhead(r.timeTotalMs, r.logged),
            overheadWallMs: overhead(r.wallMs, r.logged),
          };
          runs.curl.push(run);
          console.log(
            `  curl round ${i}: ${fmt(r.wallMs)} ms wall, ${fmt(r.timeTotalMs)} ms time_total (${fmt(run.tokensPerSecTimeTotal, 1)} tok/s; ` +
              `server ${fmt(run.serverLoggedPerSec, 1)} tok/s, ${fmt(run.serverTotalMs)} ms; client overhead ${fmt(run.overheadMs, 1)} ms)`,
          );
        }
      }
    }
    const med = (list, key) => {
      const values = list.map((r) => r[key]).filter((v) => typeof v === 'number');
      return values.length ? median(values) : null;
    };
    const oursTps = med(runs.ours, 'tokensPerSec');
    const curlTpsWall = med(runs.curl, 'tokensPerSecWall');
    const curlTpsTotal = med(runs.curl, 'tokensPerSecTimeTotal');
    const pairedTotal = runs.ours.map((r, i) => round(r.tokensPerSec / runs.curl[i].tokensPerSecTimeTotal, 3));
    const pairedServer = runs.ours.map((r, i) =>
      r.serverPredictedPerSec && runs.curl[i].serverLoggedPerSec
        ? round(r.serverPredictedPerSec / runs.curl[i].serverLoggedPerSec, 3)
        : null,
    );
    const result = {
      config: {
        server: `${bin} ${server.argv.join(' ')}`,
        model: model.modelIdentifier,
        body,
        rounds: ROUNDS,
        order: 'warm-up each, then A,B / B,A alternating',
        tokensPerSec: `${MAX_TOKENS} / wall seconds from sending the request to the last chunk`,
        overheadMs: 'client time minus llama-server logged total time (prompt + generation) of the same request',
      },
      ours: {
        medianTokensPerSec: oursTps,
        medianFirstContentMs: med(runs.ours, 'firstContentMs'),
        medianClientCpuMs: med(runs.ours, 'clientCpuMs'),
        medianServerPredictedPerSec: med(runs.ours, 'serverPredictedPerSec'),
        medianOverheadMs: med(runs.ours, 'overheadMs'),
        runs: runs.ours,
      },
      curl: {
        medianTokensPerSecWall: curlTpsWall,
        medianTokensPerSecTimeTotal: curlTpsTotal,
        medianServerLoggedPerSec: med(runs.curl, 'serverLoggedPerSec'),
        medianOverheadMs: med(runs.curl, 'overheadMs'),
        medianOverheadWallMs: med(runs.curl, 'overheadWallMs'),
        warmupServerPredictedPerSec: round(curlTimings?.predicted_per_second, 2),
        warmupCpuMs: round(warmCurl.cpuMs, 1),
        sameTextAsOurs: curlText === warmOurs.text,
        runs: runs.curl,
      },
      ratioOursOverCurlTimeTotal: round(oursTps / curlTpsTotal, 3),
      ratioOursOverCurlWall: round(oursTps / curlTpsWall, 3),
      perRoundRatiosTimeTotal: pairedTotal,
      medianPerRoundRatioTimeTotal: median(pairedTotal),
      perRoundServerSpeedRatios: pairedServer,
    };
    printTable(
      `tokens (${MAX_TOKENS} tokens, SmolLM2-135M-Instruct Q4_1, llama-server -t 2)`,
      ['client', 'median tok/s', 'server tok/s', 'client overhead ms', 'client CPU ms', 'runs (tok/s)'],
      [
        [
          'ours: LlamaCppLLM.streamMessages',
          fmt(oursTps, 1),
          fmt(result.ours.medianServerPredictedPerSec, 1),
          fmt(result.ours.medianOverheadMs, 1),
          fmt(result.ours.medianClientCpuMs, 1),
          runs.ours.map((r) => fmt(r.tokensPerSec, 1)).join(' '),
        ],
        [
          'curl, by its time_total',
          fmt(curlTpsTotal, 1),
          fmt(result.curl.medianServerLoggedPerSec, 1),
          fmt(result.curl.medianOverheadMs, 1),
          `${fmt(result.curl.warmupCpuMs, 1)} (warm-up)`,
          runs.curl.map((r) => fmt(r.tokensPerSecTimeTotal, 1)).join(' '),
        ],
        [
          'curl, by wall time incl. spawn',
          fmt(curlTpsWall, 1),
          '',
          fmt(result.curl.medianOverheadWallMs, 1),
          '',
          runs.curl.map((r) => fmt(r.tokensPerSecWall, 1)).join(' '),
        ],
        ['ratio ours / curl time_total (of medians)', fmt(result.ratioOursOverCurlTimeTotal, 3), '', '', '', ''],
        [
          'ratio ours / curl time_total (per round)',
          `${fmt(result.medianPerRoundRatioTimeTotal, 3)} (median)`,
          '',
          '',
          '',
          pairedTotal.map((r) => fmt(r, 3)).join(' '),
        ],
        ['ratio ours / curl wall (of medians)', fmt(result.ratioOursOverCurlWall, 3), '', '', '', ''],
        ['server speed ratio in the same rounds', '', '', '', '', pairedServer.map((r) => fmt(r, 3)).join(' ')],
      ],
    );
    writeResults('tokens', result);
    return result;
  } finally {
    await factory?.close().catch(() => {});
    if (server?.child && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const m = machineInfo();
console.log(`autobyteus bench: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.date}`);
const benches = { discovery: benchDiscovery, stream: benchStream, tokens: benchTokens };
let failed = false;
for (const part of PARTS.filter((p) => selected.includes(p))) {
  try {
    await benches[part]();
  } catch (error) {
    failed = true;
    console.error(`\n${part} FAILED: ${error?.stack ?? error}`);
  }
}
killChildren();
process.exit(failed ? 1 : 0);
