// Child of scripts/bench-download.mjs: one download() from the built server package, with timing, CPU
// time (all threads, the hash worker included) and peak memory, printed as one JSON line.
//   node scripts/bench/download-client.mjs URL DEST SHA256 SIZE CONNECTIONS [adaptive|fixed]
// (adaptive: one connection first, more while they raise the rate, as pulls run it; fixed: all at once).
// AUTOBYTEUS_BENCH_DOWNLOADER=path/to/download.js benches another build of it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOWNLOADER =
  process.env.AUTOBYTEUS_BENCH_DOWNLOADER ?? join(ROOT, 'packages', 'autobyteus-server', 'dist', 'io', 'download.js');
const [url, dest, sha256, size, connections, mode = 'adaptive'] = process.argv.slice(2);

const { download } = await import(pathToFileURL(DOWNLOADER).href);
// Node's own floor (runtime + modules) before any byte moves; the peak minus this is the download's share.
const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
const started = performance.now();
const result = await download({
  url,
  dest,
  sha256,
  expectedSize: Number(size),
  connections: Number(connections),
  ...(mode === 'fixed' ? { connectionProbe: false } : {}),
});
const ms = performance.now() - started;
const usage = process.resourceUsage();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(
  JSON.stringify({
    ms,
    bytes: result.size,
    sha256: result.sha256,
    requests: result.requests,
    connections: result.connections,
    cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    baselineRssMB,
    peakRssMB: Math.max(usage.maxRSS / 1024, hwm ? Number(hwm[1]) / 1024 : 0),
  }),
);
