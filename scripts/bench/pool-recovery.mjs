// Part `recovery` of scripts/bench/pools.mjs: a host of a two-host pool SIGKILLed under a steady stream of
// requests by name, then restarted on its port.
import { setTimeout as sleep } from 'node:timers/promises';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { chatBody, getJson, NAME, startHost, startPoolServer, stopHost, streamChat } from './pool-server.mjs';

const now = () => performance.now();

/**
 * Two hosts behind one name and 4 clients streaming short answers non-stop through the server (breaker
 * cool-down and health interval 1000 ms); `kills` times, one host (the two in turn) is SIGKILLed, then restarted
 * on its port. Prints a table; returns the result.
 */
export async function benchRecovery({ children, slots, kills }) {
  const settings = { slots, tokens: 20, tokenDelayMs: 5 };
  const hosts = [await startHost(children, settings), await startHost(children, settings)];
  const env = { AUTOBYTEUS_BREAKER_COOLDOWN_MS: '1000', AUTOBYTEUS_HEALTH_INTERVAL_MS: '1000' };
  const srv = await startPoolServer(children, hosts, env);
  const body = chatBody(NAME, true);
  const records = [];
  let running = true;
  const clients = Array.from({ length: 4 }, async () => {
    while (running) records.push(await streamChat(srv.url, body));
  });
  const events = [];
  try {
    await sleep(2000);
    for (let k = 0; k < kills; k++) {
      const i = k % 2;
      const victim = hosts[i];
      const exited = new Promise((resolve) => victim.child.once('exit', resolve));
      const killAt = now();
      victim.child.kill('SIGKILL');
      await exited;
      // Served again: a request sent after the kill that ended well.
      const served = await waitFor(() => records.find((r) => r.sentAt >= killAt && r.ok), 30_000);
      await sleep(1500);
      // What the server holds against the dead host just before it returns (down? breaker open?).
      const seen = (await getJson(`${srv.url}/api/health`)).hosts.find((h) => h.hostUrl === victim.url);
      const restartAt = now();
      const fresh = await startHost(children, { ...settings, port: victim.port });
      const listeningAt = now();
      const firstChatAt = await Promise.race([fresh.firstChat, sleep(30_000).then(() => null)]);
      hosts[i] = fresh;
      await sleep(1500);
      events.push({ host: victim.port, killAt, served, seen, restartAt, listeningAt, firstChatAt });
      console.error(`  recovery ${k + 1}/${kills} done`);
    }
  } finally {
    running = false;
    await Promise.all(clients);
    await srv.stop();
    await Promise.all(hosts.map(stopHost));
  }
  const runs = events.map((e) => {
    const after = records
      .filter((r) => r.sentAt >= e.killAt && r.sentAt < e.restartAt)
      .sort((a, b) => a.sentAt - b.sentAt);
    const inFlight = records.filter((r) => r.sentAt < e.killAt && r.endAt > e.killAt);
    return {
      // The first request sent after the kill: how long after the kill it went out, and its time to a 200 head.
      firstSentAfterKillMs: round(after[0].sentAt - e.killAt, 1),
      firstSentHeadMs: after[0].headAt == null ? null : round(after[0].headAt - after[0].sentAt, 1),
      firstSentOk: after[0].ok,
      killToFirstHeadMs: round(Math.min(...after.filter((r) => r.ok).map((r) => r.headAt)) - e.killAt, 1),
      killToFirstOkMs: round(e.served.endAt - e.killAt, 1),
      startedAfterKill: after.length,
      failedAfterKill: after.filter((r) => !r.ok).length,
      // The slowest of them (nominal 100 ms): what a request that met the dead host first paid.
      worstAfterKillMs: round(Math.max(...after.filter((r) => r.ok).map((r) => r.endAt - r.sentAt)), 1),
      inFlightAtKill: inFlight.length,
      failedInFlight: inFlight.filter((r) => !r.ok).length,
      inFlightErrors: [...new Set(inFlight.filter((r) => !r.ok).map((r) => r.error))],
      beforeRestart: {
        status: e.seen?.status,
        breaker: e.seen?.breaker?.state,
        failures: e.seen?.breaker?.consecutiveFailures,
      },
      restartToListeningMs: round(e.listeningAt - e.restartAt, 1),
      listeningToFirstChatMs: e.firstChatAt == null ? null : round(e.firstChatAt - e.listeningAt, 1),
    };
  });
  const med = (key) => round(median(runs.map((r) => r[key]).filter((x) => x != null)), 1);
  const total = (key) => runs.reduce((s, r) => s + r[key], 0);
  printTable(
    `Recovery, 2 hosts, 4 clients streaming by name non-stop (20 tokens at 5 ms), breaker cool-down and health interval 1000 ms, ${kills} kills`,
    ['measure', 'median', 'each kill'],
    [
      [
        'first request sent after the kill: sent at +ms, its time to a 200 head, ms',
        `${fmt(med('firstSentAfterKillMs'), 1)}, ${fmt(med('firstSentHeadMs'), 1)}`,
        runs
          .map(
            (r) => `${fmt(r.firstSentAfterKillMs, 1)}, ${fmt(r.firstSentHeadMs, 1)}${r.firstSentOk ? '' : ' (failed)'}`,
          )
          .join(' / '),
      ],
      [
        'SIGKILL → first 200 head of a request sent after it, ms',
        fmt(med('killToFirstHeadMs'), 1),
        runs.map((r) => fmt(r.killToFirstHeadMs, 1)).join(' / '),
      ],
      [
        'SIGKILL → first such request complete, ms',
        fmt(med('killToFirstOkMs'), 1),
        runs.map((r) => fmt(r.killToFirstOkMs, 1)).join(' / '),
      ],
      [
        'requests sent after the kill (until the restart): failed / sent',
        `${total('failedAfterKill')} / ${total('startedAfterKill')}`,
        runs.map((r) => `${r.failedAfterKill}/${r.startedAfterKill}`).join(' / '),
      ],
      [
        'slowest request sent after the kill (nominal 100 ms), ms',
        fmt(med('worstAfterKillMs'), 1),
        runs.map((r) => fmt(r.worstAfterKillMs, 1)).join(' / '),
      ],
      [
        'requests in flight at the kill (either host): failed / in flight',
        `${total('failedInFlight')} / ${total('inFlightAtKill')}`,
        runs.map((r) => `${r.failedInFlight}/${r.inFlightAtKill}`).join(' / '),
      ],
      [
        'the dead host in /api/health just before the restart: status, breaker (failures)',
        '',
        runs
          .map((r) => `${r.beforeRestart.status}, ${r.beforeRestart.breaker} (${r.beforeRestart.failures})`)
          .join(' / '),
      ],
      [
        'restarted host listening → its first chat, ms',
        fmt(med('listeningToFirstChatMs'), 1),
        runs.map((r) => fmt(r.listeningToFirstChatMs, 1)).join(' / '),
      ],
    ],
  );
  return { env, kills, requests: records.length, failed: records.filter((r) => !r.ok).length, runs };
}

/** Polls `check` every 5 ms until it returns something; throws after `timeoutMs`. */
async function waitFor(check, timeoutMs) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const found = check();
    if (found) return found;
    if (now() > deadline) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await sleep(5);
  }
}
