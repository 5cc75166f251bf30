// Part `routing` of scripts/bench/pools.mjs: the server's routing code alone, in this process, for pools of
// 1 to 100 hosts: `findPool` (name → hosts) and `PoolDispatcher.acquire` + `release` (host choice, breaker,
// in-flight count), over a real LLMFactory that discovered stub llama.cpp hosts (bench-stub-server.mjs).
import { LLMFactory, silentLogger } from 'autobyteus';
import { findPool } from '../../packages/autobyteus-server/dist/routing/model-pools.js';
import { PoolDispatcher } from '../../packages/autobyteus-server/dist/routing/pool-dispatcher.js';
import { llamaCppFixtureBody } from '../lib/fixtures.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { NAME } from './pool-server.mjs';
import { forkStub, stopStub } from './stub-process.mjs';

const SIZES = [1, 2, 16, 100];
const CALLS = 20_000;
const BLOCKS = 5;

/** µs per call of `fn` (awaited): median of BLOCKS blocks of CALLS calls, after one block to warm up (JIT). */
async function perCallUs(fn) {
  const blocks = [];
  for (let b = 0; b <= BLOCKS; b++) {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await fn();
    if (b > 0) blocks.push(((performance.now() - t0) * 1000) / CALLS);
  }
  return round(median(blocks), 2);
}

/** Times findPool and acquire/release by name and by identifier for each pool size; prints a table. */
export async function benchRoutingCost({ children }) {
  const propsBody = JSON.parse(llamaCppFixtureBody('props'));
  propsBody.total_slots = 4;
  const max = Math.max(...SIZES);
  const { child, reply } = await forkStub(
    {
      mode: 'discovery',
      healthy: max,
      hanging: 0,
      modelsBody: llamaCppFixtureBody('models'),
      propsBody: JSON.stringify(propsBody),
    },
    children,
  );
  const rows = [];
  try {
    for (const size of SIZES) {
      const urls = reply.healthyPorts.slice(0, size).map((p) => `http://127.0.0.1:${p}`);
      const settings = { llamaCppHosts: urls, ollamaHosts: [], lmStudioHosts: [], discoveryTimeoutMs: 5000 };
      const factory = new LLMFactory({ settings, logger: silentLogger });
      await factory.ensureInitialized();
      // As createDispatcher builds it: host health straight from the factory on every request.
      const dispatcher = new PoolDispatcher({
        maxQueue: 512,
        queueWaitMs: 120_000,
        breaker: { failureThreshold: 3, cooldownMs: 10_000 },
        health: () => factory.getHostHealth(),
      });
      const signal = new AbortController().signal;
      const identifier = factory.listAvailableModels()[0].modelIdentifier;
      const named = findPool(factory, NAME);
      const pinned = findPool(factory, identifier);
      if (named?.members.length !== size)
        throw new Error(`expected ${size} hosts in the pool, got ${named?.members.length}`);
      const none = new Set();
      const cycle = (pool) => async () =>
        (await dispatcher.acquire(pool.name, pool.members, none, signal)).release('ok');
      rows.push({
        hosts: size,
        findPoolByNameUs: await perCallUs(() => findPool(factory, NAME)),
        findPoolByIdUs: await perCallUs(() => findPool(factory, identifier)),
        acquireByNameUs: await perCallUs(cycle(named)),
        acquireByIdUs: await perCallUs(cycle(pinned)),
      });
      await factory.close();
    }
  } finally {
    await stopStub(child);
  }
  printTable(
    `Routing code alone, in process, µs per call (median of ${BLOCKS} blocks of ${fmt(CALLS)})`,
    ['hosts in the pool', 'findPool by name', 'by identifier', 'acquire + release by name', 'by identifier'],
    rows.map((r) => [
      r.hosts,
      fmt(r.findPoolByNameUs, 2),
      fmt(r.findPoolByIdUs, 2),
      fmt(r.acquireByNameUs, 2),
      fmt(r.acquireByIdUs, 2),
    ]),
  );
  return { calls: CALLS, blocks: BLOCKS, rows };
}
