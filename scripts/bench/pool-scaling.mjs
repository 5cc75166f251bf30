// Part `scaling` of scripts/bench/pools.mjs: aggregate tokens/s with 1, 2 and 4 paced stub hosts behind one
// model name, through the built server and straight to the stubs.
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { chatBody, hostStats, NAME, startHost, startPoolServer, stopHost, streamChat } from './pool-server.mjs';

const now = () => performance.now();

/**
 * `clients` loops sending streamed chats (`target()` picks the URL) until `durationMs` is over: tokens/s of
 * the requests that ended well, and the clients' idle time between one request's end and the next one's start.
 */
async function load(clients, target, body, durationMs, tokens) {
  const t0 = now();
  const results = [];
  let gapMs = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let last = t0;
      while (now() - t0 < durationMs) {
        const r = await streamChat(target(), body);
        gapMs += r.sentAt - last;
        last = r.endAt;
        results.push(r);
      }
    }),
  );
  const wallS = (now() - t0) / 1000;
  const ok = results.filter((r) => r.ok);
  return {
    tokensPerS: round((ok.length * tokens) / wallS, 1),
    requests: results.length,
    failed: results.length - ok.length,
    requestP50Ms: round(median(ok.map((r) => r.endAt - r.sentAt)), 1),
    requestMaxMs: round(Math.max(...ok.map((r) => r.endAt - r.sentAt)), 1),
    // Share of the wall time the clients were waiting on an answer (1: never idle).
    busy: round(results.reduce((s, r) => s + r.endAt - r.sentAt, 0) / (clients * wallS * 1000), 4),
    gapPerRequestMs: round(gapMs / results.length, 2),
    wallS: round(wallS, 2),
  };
}

/**
 * 1, 2 and 4 hosts of `slots` slots streaming `tokens` tokens `tokenMs` apart, behind one name: aggregate
 * tokens/s of `slots` clients per host through the server vs straight to the stubs round-robin, medians of
 * `rounds` runs of `durationMs` each (alternating which side goes first). Prints a table; returns the result.
 */
export async function benchScaling({ children, slots, tokens, tokenMs, durationMs, rounds }) {
  const settings = { slots, tokens, tokenDelayMs: tokenMs };
  const hosts = [];
  for (let i = 0; i < 4; i++) hosts.push(await startHost(children, settings));
  const body = chatBody(NAME, true);
  // Every slot busy all the time: slots × one token per tokenMs.
  const perHostIdeal = (slots * 1000) / tokenMs;
  const rows = [];
  try {
    for (const n of [1, 2, 4]) {
      const srv = await startPoolServer(children, hosts.slice(0, n));
      // Chats each host served and chats that had to wait for one of its slots, per side (stub counters read
      // around every run): a wait means the side sent a host more requests than it has slots.
      const counts = { server: { chats: hosts.slice(0, n).map(() => 0), waited: 0 }, direct: { chats: [], waited: 0 } };
      const counted = (side, run) => async (ms) => {
        const before = await Promise.all(hosts.slice(0, n).map(hostStats));
        const result = await run(ms);
        const after = await Promise.all(hosts.slice(0, n).map(hostStats));
        after.forEach((s, i) => {
          if (side === 'server') counts.server.chats[i] += s.chats - before[i].chats;
          counts[side].waited += s.waited - before[i].waited;
        });
        return result;
      };
      try {
        let turn = 0;
        const server = (ms) => load(slots * n, () => srv.url, body, ms, tokens);
        const direct = (ms) => load(slots * n, () => hosts[turn++ % n].url, body, ms, tokens);
        // Warm-up: one request per client each way (connections, JIT), not counted.
        await server(1);
        await direct(1);
        const sides = { server: counted('server', server), direct: counted('direct', direct) };
        const runs = { server: [], direct: [] };
        for (let r = 0; r < rounds; r++) {
          for (const side of r % 2 === 0 ? ['server', 'direct'] : ['direct', 'server'])
            runs[side].push(await sides[side](durationMs));
          console.error(
            `  scaling ${n} host(s), round ${r + 1}: server ${runs.server.at(-1).tokensPerS}, direct ${runs.direct.at(-1).tokensPerS} tokens/s`,
          );
        }
        rows.push({
          hosts: n,
          clients: slots * n,
          idealTokensPerS: perHostIdeal * n,
          server: median(runs.server.map((x) => x.tokensPerS)),
          direct: median(runs.direct.map((x) => x.tokensPerS)),
          serverRequestP50Ms: median(runs.server.map((x) => x.requestP50Ms)),
          directRequestP50Ms: median(runs.direct.map((x) => x.requestP50Ms)),
          serverBusy: median(runs.server.map((x) => x.busy)),
          directBusy: median(runs.direct.map((x) => x.busy)),
          failed: [...runs.server, ...runs.direct].reduce((s, x) => s + x.failed, 0),
          chatsPerHost: counts.server.chats,
          serverWaited: counts.server.waited,
          directWaited: counts.direct.waited,
          runs,
        });
      } finally {
        await srv.stop();
      }
    }
  } finally {
    await Promise.all(hosts.map(stopHost));
  }
  const base = rows[0];
  for (const row of rows) {
    row.serverScaling = round(row.server / (base.server * row.hosts), 3);
    row.directScaling = round(row.direct / (base.direct * row.hosts), 3);
    row.serverOverDirect = round(row.server / row.direct, 3);
  }
  printTable(
    `Aggregate tokens/s, ${tokens} tokens at ${tokenMs} ms per request, total_slots ${slots}, 4 clients per host, ${durationMs / 1000} s per run, medians of ${rounds} alternating rounds`,
    [
      'hosts',
      'ideal',
      'through the server',
      'scaling vs 1 host',
      'direct, round-robin',
      'scaling vs 1 host',
      'server / direct',
      'request p50 ms server / direct',
      'clients busy server / direct',
      'chats per host via the server',
      'chats that waited for a slot, server / direct',
    ],
    rows.map((r) => [
      r.hosts,
      fmt(r.idealTokensPerS),
      fmt(r.server),
      fmt(r.serverScaling, 3),
      fmt(r.direct),
      fmt(r.directScaling, 3),
      fmt(r.serverOverDirect, 3),
      `${fmt(r.serverRequestP50Ms)} / ${fmt(r.directRequestP50Ms)}`,
      `${fmt(r.serverBusy, 3)} / ${fmt(r.directBusy, 3)}`,
      r.chatsPerHost.join(' / '),
      `${r.serverWaited} / ${r.directWaited}`,
    ]),
  );
  return { tokens, tokenMs, slots, durationS: durationMs / 1000, rounds, rows };
}
