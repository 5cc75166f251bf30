// The measured rounds of scripts/bench-gateway.mjs: every target on the same stub, target order
// alternating from round to round; each figure is the median over the rounds of a per-round value.
import { median, quantile } from '../lib/stats.mjs';
import { concurrentRun } from './gateway-client.mjs';
import { STUB_MODES } from './gateway-stub-modes.mjs';
import { cpuMsOf, rssOf } from './gateway-targets.mjs';

/** What one round measures, per phase: streams, and requests per stream or a minimum duration. */
export const MEASURES = {
  paced: [
    { key: 'paced1', streams: 1, perStream: 40 },
    { key: 'paced16', streams: 16, perStream: 5 },
  ],
  flat: [
    { key: 'flat1', streams: 1, minMs: 1500 },
    { key: 'flat16', streams: 16, minMs: 1500 },
    { key: 'flat64', streams: 64, minMs: 1500 },
  ],
};

const round3 = (x) => (x === undefined || Number.isNaN(x) ? null : +x.toFixed(3));

/**
 * One measure on one target: tokens/s, TTFT p50/p99 over its requests, overhead header p50, and the
 * server's and the stub engine's CPU time per request (user + system, from /proc; 10 ms ticks).
 */
async function measure(target, m, tokens, enginePid) {
  const cpuBefore = cpuMsOf(target.pids);
  const engineBefore = cpuMsOf([enginePid]);
  const run = await concurrentRun(target, { ...m, tokens });
  const cpuMs = cpuMsOf(target.pids) - cpuBefore;
  const engineMs = cpuMsOf([enginePid]) - engineBefore;
  const overheads = run.overheads.filter((x) => !Number.isNaN(x));
  return {
    tokensPerSec: Math.round(run.tokensPerSec),
    ttftP50: round3(median(run.ttfts)),
    ttftP99: round3(quantile(run.ttfts, 0.99)),
    overheadP50: overheads.length ? round3(median(overheads)) : null,
    cpuUsPerRequest: target.pids.length ? Math.round((cpuMs * 1000) / run.requests) : null,
    engineCpuUsPerRequest: Math.round((engineMs * 1000) / run.requests),
    requests: run.requests,
  };
}

/**
 * Runs `rounds` rounds of the `phases` (paced, flat) over `targets` (direct first), alternating the
 * target order (forward, then backward); the stub's mode is switched per phase. Returns per-round
 * results: rounds[r][phaseKey][targetName].
 */
export async function runRounds(stub, targets, { rounds, phases, log = console.log }) {
  const results = [];
  for (const phase of phases) {
    await stub.setMode(phase);
    const { tokens } = STUB_MODES[phase];
    // Warm-up: JIT, sockets and the servers' first-request work, not measured.
    for (const target of targets) {
      await concurrentRun(target, { streams: 1, perStream: 10, tokens });
      await concurrentRun(target, { streams: 16, perStream: 1, tokens });
    }
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    const round = {};
    for (const phase of phases) {
      await stub.setMode(phase);
      for (const m of MEASURES[phase]) {
        round[m.key] = {};
        for (const target of order) {
          round[m.key][target.name] = await measure(target, m, STUB_MODES[phase].tokens, stub.child.pid);
        }
        const line = order.map((t) => `${t.name} ${round[m.key][t.name].tokensPerSec}/s`).join(', ');
        log(`  round ${r + 1} ${m.key}: ${line}`);
      }
    }
    results.push(round);
  }
  return results;
}

/**
 * The memory check: 128 concurrent flat-out streams (one request each) on every server target, then its
 * RSS (summed over its processes) right after, its peak, and how many of the 128 failed (and how).
 */
export async function memoryAfterBurst(stub, servers) {
  await stub.setMode('flat');
  const out = {};
  for (const target of servers) {
    const before = rssOf(target.pids);
    const run = await concurrentRun(target, {
      streams: 128,
      perStream: 1,
      tokens: STUB_MODES.flat.tokens,
      tolerateErrors: true,
    });
    out[target.name] = {
      idleMB: before.rssMB,
      ...rssOf(target.pids),
      failed: run.errors.length,
      errors: [...new Set(run.errors)],
    };
  }
  return out;
}

/**
 * The summary over rounds: per target and measure the median tokens/s, TTFT p50/p99 and, against the
 * direct target of the same round, the median added TTFT (p50, p99) and tokens/s ratio.
 */
export function summarise(rounds, targetNames) {
  const summary = {};
  for (const key of Object.keys(rounds[0] ?? {})) {
    summary[key] = {};
    for (const name of targetNames) {
      const per = rounds.map((round) => ({ t: round[key][name], d: round[key].direct }));
      const med = (f) => round3(median(per.map(f).filter((x) => x !== null && !Number.isNaN(x))));
      summary[key][name] = {
        tokensPerSec: Math.round(median(per.map((p) => p.t.tokensPerSec))),
        ttftP50: med((p) => p.t.ttftP50),
        ttftP99: med((p) => p.t.ttftP99),
        addedTtftP50: med((p) => p.t.ttftP50 - p.d.ttftP50),
        addedTtftP99: med((p) => p.t.ttftP99 - p.d.ttftP99),
        ratio: med((p) => p.t.tokensPerSec / p.d.tokensPerSec),
        overheadP50: med((p) => p.t.overheadP50 ?? Number.NaN),
        cpuUsPerRequest: med((p) => p.t.cpuUsPerRequest ?? Number.NaN),
        engineCpuUsPerRequest: med((p) => p.t.engineCpuUsPerRequest),
        perRoundRatios: per.map((p) => round3(p.t.tokensPerSec / p.d.tokensPerSec)),
      };
    }
  }
  return summary;
}
