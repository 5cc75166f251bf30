// The tables scripts/bench-gateway.mjs prints: the side-by-side table of issue 11 and the raw medians.
import { fmt, printTable } from '../lib/table.mjs';

const ms = (x) => (x === null || x === undefined ? '-' : `${x >= 0 ? '+' : ''}${fmt(x, 2)} ms`);
const ratio = (x) => (x === null || x === undefined ? '-' : fmt(x, 3));

/** Prints the side-by-side table (direct / gateway / LiteLLM) and the per-target medians. */
export function printReport({ machine, litellm, rounds, summary, memory }) {
  const names = ['direct', 'gateway', ...(litellm ? ['litellm'] : [])];
  const title = { direct: 'direct to the engine', gateway: 'our gateway', litellm: `LiteLLM ${litellm} 1 worker` };
  const rows = [];
  const cell = (key, name, f) => (summary[key]?.[name] ? f(summary[key][name]) : '-');
  if (summary.paced1) {
    rows.push(['paced, 1 stream: added TTFT p50 / p99', ...names.map((n) => cell('paced1', n, addedTtft(n)))]);
    rows.push(['paced, 16 streams: added TTFT p50 / p99', ...names.map((n) => cell('paced16', n, addedTtft(n)))]);
    rows.push(['paced: tokens/s ratio at 1 / 16 streams', ...names.map((n) => ratios(n, ['paced1', 'paced16']))]);
  }
  if (summary.flat1) {
    rows.push([
      'flat-out: tokens/s ratio at 1 / 16 / 64 streams',
      ...names.map((n) => ratios(n, ['flat1', 'flat16', 'flat64'])),
    ]);
  }
  if (memory) {
    rows.push([
      'RSS after 128 flat-out streams (idle before; peak)',
      ...names.map((n) =>
        memory[n]
          ? `${fmt(memory[n].rssMB)} MB (${fmt(memory[n].idleMB)}; ${fmt(memory[n].peakMB)})${memory[n].failed ? `, ${memory[n].failed} failed: ${memory[n].errors.join(' ')}` : ''}`
          : '-',
      ),
    ]);
  }
  printTable(
    `\nside by side (${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadavgAtStart.join(' ')}; median of ${rounds} alternating rounds)`,
    ['', ...names.map((n) => title[n])],
    rows,
  );
  function addedTtft(name) {
    return (s) =>
      name === 'direct'
        ? `${fmt(s.ttftP50, 2)} / ${fmt(s.ttftP99, 2)} ms`
        : `${ms(s.addedTtftP50)} / ${ms(s.addedTtftP99)}`;
  }
  function ratios(name, keys) {
    return keys.map((k) => (summary[k]?.[name] ? ratio(summary[k][name].ratio) : '-')).join(' / ');
  }
  const keys = Object.keys(summary);
  if (!keys.length) return;
  printTable(
    'medians per target (tokens/s; TTFT p50 / p99 in ms; overhead header p50 ms; server and stub engine CPU per request)',
    ['measure', ...names],
    keys.map((k) => [
      k,
      ...names.map((n) => {
        const s = summary[k][n];
        const head = s.overheadP50 !== null ? `, hdr ${fmt(s.overheadP50, 3)}` : '';
        const cpu = `${s.cpuUsPerRequest !== null ? `, CPU ${fmt(s.cpuUsPerRequest)}` : ''}, engine CPU ${fmt(s.engineCpuUsPerRequest)} us/req`;
        return `${fmt(s.tokensPerSec)}/s; ${fmt(s.ttftP50, 2)} / ${fmt(s.ttftP99, 2)}${head}${cpu}`;
      }),
    ]),
  );
}
