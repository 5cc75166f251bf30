// One model name over a pool of hosts (issue 10, Performance): what routing by name costs, how aggregate
// tokens/s scales with hosts behind one name, and how fast the pool recovers when a host dies and comes back.
// Stub llama.cpp hosts (recorded llama-server bodies, one child process each) behind the built server.
//
//   npm run build --silent && node scripts/bench/pools.mjs [--only overhead,routing,scaling,recovery]
//     [--reps 2000] [--rounds 3] [--duration-s 10] [--tokens 200] [--token-ms 5] [--kills 4] [--json]
//
// 1. overhead: non-streamed small chats, one at a time, the five variants in a fresh random order every rep:
//    straight to a stub (the two in turn); a server with a pool of 1 host, by identifier
//    (`name:llama_cpp@host:port`, which pins the host) and by name; a server with a pool of 2, by identifier
//    (each host in turn) and by name. p50/p95 of the client's time, the server's `x-autobyteus-overhead-ms`,
//    and name − identifier (also as the median of per-rep differences).
// routing (pool-routing-cost.mjs): the routing code alone in this process (findPool, acquire + release), µs per
//    call, for pools of 1, 2, 16 and 100 hosts.
// 2. scaling (pool-scaling.mjs): 1, 2 and 4 paced hosts (`--tokens` at `--token-ms` each, total_slots 4)
//    behind one name, 4 × hosts concurrent streaming clients for `--duration-s`; aggregate tokens/s through the
//    server vs the same load sent straight to the stubs round-robin; rounds alternate which side goes first.
// 3. recovery (pool-recovery.mjs): 2 hosts, 4 clients streaming by name (20 tokens at 5 ms) non-stop; SIGKILL
//    one host, then restart it on its port; AUTOBYTEUS_BREAKER_COOLDOWN_MS and AUTOBYTEUS_HEALTH_INTERVAL_MS
//    are 1000.
// Tables on stdout, raw runs in bench-results/pools.json; with --json stdout carries only the JSON.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChildProcesses } from '../lib/child-processes.mjs';
import { positiveInt } from '../lib/cli-options.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { writeResultFile } from '../lib/results.mjs';
import { median, rankSummary, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { benchRecovery } from './pool-recovery.mjs';
import { benchRoutingCost } from './pool-routing-cost.mjs';
import { benchScaling } from './pool-scaling.mjs';
import {
  agent,
  chatBody,
  complete,
  hostStats,
  identifierOf,
  NAME,
  SERVER_MAIN,
  startHost,
  startPoolServer,
  stopHost,
} from './pool-server.mjs';

const PARTS = ['overhead', 'routing', 'scaling', 'recovery'];
const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    reps: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    'duration-s': { type: 'string', default: '10' },
    tokens: { type: 'string', default: '200' },
    'token-ms': { type: 'string', default: '5' },
    kills: { type: 'string', default: '4' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(
    'usage: node scripts/bench/pools.mjs [--only overhead,routing,scaling,recovery] [--reps 2000] [--rounds 3]\n' +
      '         [--duration-s 10] [--tokens 200] [--token-ms 5] [--kills 4] [--json]',
  );
  process.exit(0);
}
const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : PARTS;
for (const p of only) {
  if (!PARTS.includes(p)) {
    console.error(`unknown part "${p}"; choose from ${PARTS.join(', ')}`);
    process.exit(2);
  }
}
const REPS = positiveInt('reps', opts.reps);
const ROUNDS = positiveInt('rounds', opts.rounds);
const DURATION_MS = positiveInt('duration-s', opts['duration-s']) * 1000;
const TOKENS = positiveInt('tokens', opts.tokens);
const TOKEN_MS = positiveInt('token-ms', opts['token-ms']);
const KILLS = positiveInt('kills', opts.kills);
const SLOTS = 4;
if (opts.json) console.log = (...args) => console.error(...args);
const now = () => performance.now();

async function overhead(children) {
  const hosts = [await startHost(children, { slots: SLOTS }), await startHost(children, { slots: SLOTS })];
  const one = await startPoolServer(children, hosts.slice(0, 1));
  const two = await startPoolServer(children, hosts);
  try {
    const byName = chatBody(NAME, false);
    const byId = hosts.map((h) => chatBody(identifierOf(h), false));
    // Direct and the pool of 2 by identifier take each stub in turn, as the pool of 2 by name does.
    const variants = [
      ['direct to the stub', (rep) => complete(hosts[rep % 2].url, byName)],
      ['pool of 1, by identifier', () => complete(one.url, byId[0])],
      ['pool of 1, by name', () => complete(one.url, byName)],
      ['pool of 2, by identifier', (rep) => complete(two.url, byId[rep % 2])],
      ['pool of 2, by name', () => complete(two.url, byName)],
    ];
    const samples = variants.map(() => []);
    // A fresh random order every rep (seeded): each variant follows every other equally often, so no variant
    // always meets a process that has just run (warm) or one that sat idle.
    const random = mulberry32(10);
    const runRep = async (rep, keep) => {
      for (const v of shuffled([0, 1, 2, 3, 4], random)) {
        const r = await variants[v][1](rep);
        if (keep) samples[v].push(r);
      }
    };
    for (let rep = 0; rep < 200; rep++) await runRep(rep, false);
    const t0 = now();
    for (let rep = 0; rep < REPS; rep++) await runRep(rep, true);
    const wallS = round((now() - t0) / 1000, 1);
    const rows = variants.map(([label], v) => ({
      label,
      client: rankSummary(samples[v].map((r) => r.ms)),
      own: samples[v][0].ownMs == null ? null : rankSummary(samples[v].map((r) => r.ownMs)),
    }));
    // Paired: the name request against the identifier request of the same rep, on the same server.
    const paired = (a, b) => round(median(samples[a].map((r, i) => r.ms - samples[b][i].ms)), 3);
    const added = {
      pool1NameMinusId: round(rows[2].client.p50 - rows[1].client.p50, 3),
      pool2NameMinusId: round(rows[4].client.p50 - rows[3].client.p50, 3),
      pool1NameMinusIdPaired: paired(2, 1),
      pool2NameMinusIdPaired: paired(4, 3),
      pool1IdMinusDirect: round(rows[1].client.p50 - rows[0].client.p50, 3),
      pool1OwnNameMinusId: round(rows[2].own.p50 - rows[1].own.p50, 3),
      pool2OwnNameMinusId: round(rows[4].own.p50 - rows[3].own.p50, 3),
    };
    printTable(
      `Routing overhead: non-streamed chat, one at a time, ${REPS} reps × 5 variants in random order (${wallS} s), ms`,
      ['variant', 'client p50', 'client p95', '− direct (p50)', '`x-autobyteus-overhead-ms` p50', 'p95'],
      rows.map((r) => [
        r.label,
        fmt(r.client.p50, 2),
        fmt(r.client.p95, 2),
        r === rows[0] ? '' : fmt(r.client.p50 - rows[0].client.p50, 2),
        r.own ? fmt(r.own.p50, 3) : '',
        r.own ? fmt(r.own.p95, 3) : '',
      ]),
    );
    printTable(
      'Added by routing by name over the identifier, ms (aim: < 0.2 p50)',
      ['pool', 'client p50 difference', 'median of per-rep differences', 'server’s own p50 difference'],
      [
        [
          '1 host',
          fmt(added.pool1NameMinusId, 3),
          fmt(added.pool1NameMinusIdPaired, 3),
          fmt(added.pool1OwnNameMinusId, 3),
        ],
        [
          '2 hosts',
          fmt(added.pool2NameMinusId, 3),
          fmt(added.pool2NameMinusIdPaired, 3),
          fmt(added.pool2OwnNameMinusId, 3),
        ],
      ],
    );
    const spread = await Promise.all(hosts.map(hostStats));
    return { reps: REPS, wallS, rows, added, chatsPerHost: spread.map((s) => s.chats) };
  } finally {
    await Promise.all([one.stop(), two.stop()]);
    await Promise.all(hosts.map(stopHost));
  }
}

/** A seeded PRNG (mulberry32): the same orders every run. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `items` in a random order (Fisher-Yates, in place). */
function shuffled(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

if (!existsSync(SERVER_MAIN)) {
  console.error(`${SERVER_MAIN} is missing: run \`npm run build --silent\` first`);
  process.exit(2);
}
const children = new ChildProcesses().killOnExit();
const machine = machineInfo();
console.log(
  `pools bench: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadavgAtStart.join(' ')}, ${machine.date}`,
);
const result = { machine };
const BENCHES = {
  overhead,
  routing: () => benchRoutingCost({ children }),
  scaling: () =>
    benchScaling({
      children,
      slots: SLOTS,
      tokens: TOKENS,
      tokenMs: TOKEN_MS,
      durationMs: DURATION_MS,
      rounds: ROUNDS,
    }),
  recovery: () => benchRecovery({ children, slots: SLOTS, kills: KILLS }),
};
for (const part of PARTS.filter((p) => only.includes(p))) result[part] = await BENCHES[part](children);
result.loadavgAtEnd = machineInfo().loadavgAtStart;
console.log(`\nload average at the end: ${result.loadavgAtEnd.join(' ')}`);
console.log(`wrote ${writeResultFile('pools', result)}`);
if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
await agent.close();
children.killAll();
