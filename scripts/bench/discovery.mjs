// Benchmark part `discovery`: 100 llama.cpp hosts (60 healthy stubs, 20 that hang, 20 refusing),
// discovered in parallel through LLMFactory vs the same hosts probed one after another.
import { LLMFactory, silentLogger } from 'autobyteus';
import { positiveInt } from '../lib/cli-options.mjs';
import { llamaCppFixtureBody } from '../lib/fixtures.mjs';
import { freePort } from '../lib/free-port.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { writePartResult } from './part-result.mjs';
import { forkStub, stopStub } from './stub-process.mjs';

const HEALTHY = 60;
const HANGING = 20;
const REFUSED = 20;
const now = () => performance.now();

/** Runs the part with `options['discovery-timeout']` as the discovery timeout; returns its result. */
export async function benchDiscovery({ options, rounds, children }) {
  const T = positiveInt('discovery-timeout', options['discovery-timeout']);
  console.log(
    `\n=== discovery: ${HEALTHY} healthy + ${HANGING} hanging + ${REFUSED} refusing llama.cpp hosts, timeout ${T} ms ===`,
  );
  const { child, reply } = await forkStub(
    {
      mode: 'discovery',
      healthy: HEALTHY,
      hanging: HANGING,
      modelsBody: llamaCppFixtureBody('models'),
      propsBody: llamaCppFixtureBody('props'),
    },
    children,
  );
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
    const discover = (hostList) => discoverOnce(hostList, T);

    async function parallel(label) {
      const run = await discover(hosts);
      const byKind = summarizeHealth(run.health, kindOf);
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
      const up = perHost.filter((p) => p.status === 'up').length;
      const models = perHost.reduce((sum, p) => sum + p.models, 0);
      console.log(`  sequential: ${fmt(ms)} ms (${up} up, ${models} models)`);
      return { wallMs: round(ms, 1), up, models, byKind: summarizeSequential(perHost) };
    }

    const warmup = await parallel('warm-up');
    // Parallel runs around the one sequential run, so slow phases of the machine hit both.
    const parallelRuns = [];
    const before = Math.ceil(rounds / 2);
    for (let i = 1; i <= before; i++) parallelRuns.push(await parallel(i));
    const seq = await sequential();
    for (let i = before + 1; i <= rounds; i++) parallelRuns.push(await parallel(i));

    const parMedian = median(parallelRuns.map((r) => r.wallMs));
    const result = {
      config: {
        hosts: hosts.length,
        healthy: HEALTHY,
        hanging: HANGING,
        refused: REFUSED,
        discoveryTimeoutMs: T,
        parallelRuns: rounds,
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
    printDiscoveryTables(result, parMedian, hosts.length, rounds);
    if (!allUp) console.log(`  WARNING: expected ${HEALTHY} hosts up in every run`);
    writePartResult('discovery', result);
    return result;
  } finally {
    await stopStub(child);
  }
}

/** One discovery through the public API; wall time of ensureInitialized only. */
async function discoverOnce(hostList, timeoutMs) {
  const settings = { llamaCppHosts: hostList, ollamaHosts: [], lmStudioHosts: [], discoveryTimeoutMs: timeoutMs };
  const factory = new LLMFactory({ settings, logger: silentLogger });
  const t0 = now();
  await factory.ensureInitialized();
  const ms = now() - t0;
  const health = factory.getHostHealth();
  const models = factory.listAvailableModels().length;
  const c0 = now();
  await factory.close();
  return { ms, health, models, closeMs: now() - c0 };
}

/** Statuses and latencies of one parallel discovery, per host kind. */
function summarizeHealth(health, kindOf) {
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

/** Total, mean and max time and the statuses of the one-by-one discoveries, per host kind. */
function summarizeSequential(perHost) {
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
  return byKind;
}

/** The part's two tables; `parMedian` unrounded, as the ratios are computed from it. */
function printDiscoveryTables(result, parMedian, hostCount, rounds) {
  const T = result.config.discoveryTimeoutMs;
  const { runs } = result.parallel;
  const seq = result.sequential;
  printTable(
    `discovery (${hostCount} hosts, T = ${T} ms)`,
    ['variant', 'wall ms', 'wall / T', 'hosts up', 'models', 'runs'],
    [
      [
        'parallel (LLMFactory.ensureInitialized)',
        `${fmt(parMedian)} (median; ${fmt(result.parallel.minMs)}-${fmt(result.parallel.maxMs)})`,
        fmt(parMedian / T, 3),
        `${runs[0].up}/${hostCount}`,
        runs[0].models,
        rounds,
      ],
      [
        'sequential (one factory per host)',
        fmt(seq.wallMs),
        fmt(seq.wallMs / T, 2),
        `${seq.up}/${hostCount}`,
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
}
