// What machine a benchmark ran on, recorded next to its numbers (results only compare within one run).
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { round } from './stats.mjs';

/** CPU model (from /proc/cpuinfo where there is one), cores, RAM, Node, platform, load and date. */
export function machineInfo() {
  let cpuModel = cpus()[0]?.model?.trim() ?? 'unknown';
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
