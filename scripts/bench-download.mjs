// Benchmark of the model downloader (packages/autobyteus-server/dist/io/download.js, so run
// `npm run build` first) against `curl -s -o`, side by side in one run, on one local file (1 GiB by
// default) served over loopback by a separate process (scripts/bench/download-server.mjs).
//
//   node scripts/bench-download.mjs                          # 3 rounds plain, 2 rounds throttled
//   node scripts/bench-download.mjs --rounds 5 --size-mib 256 --throttle-mbps 0
//
// Two servers: one plain, one capping each connection at --throttle-mbps (as CDNs do; 0 skips it).
// Each round runs, in alternating order, curl, ours as pulls run it (ranged parts, one connection first
// and up to 4 while each added one raises the rate; sha256 on a worker thread), ours with 4 connections
// from the start, and ours over 1 connection (one stream). Ours runs in a child
// process (scripts/bench/download-client.mjs) so its peak RSS (VmHWM) and CPU time are its own; curl's
// CPU time comes from /usr/bin/time. Ours verifies sha256 as it goes, curl does not: a `curl + sha256sum`
// figure is reported too. The test file is generated under the temp folder (never committed) and reused.
// Results: a table on stdout and bench-results/download.json.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { machineInfo } from './lib/machine.mjs';
import { writeResultFile } from './lib/results.mjs';
import { median, round } from './lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOWNLOADER =
  process.env.AUTOBYTEUS_BENCH_DOWNLOADER ??
  join(HERE, '..', 'packages', 'autobyteus-server', 'dist', 'io', 'download.js');
const WORK = join(tmpdir(), 'autobyteus-bench-download');
const run = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'throttled-rounds': { type: 'string', default: '2' },
    'size-mib': { type: 'string', default: '1024' },
    'throttle-mbps': { type: 'string', default: '100' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (args.help) {
  console.log(
    'usage: node scripts/bench-download.mjs [--rounds 3] [--throttled-rounds 2] [--size-mib 1024] [--throttle-mbps 100]',
  );
  process.exit(0);
}
if (!existsSync(DOWNLOADER)) {
  console.error(`missing ${DOWNLOADER}: run \`npm run build\` first`);
  process.exit(1);
}

const size = Number(args['size-mib']) * 1024 * 1024;
const throttle = Number(args['throttle-mbps']);
mkdirSync(WORK, { recursive: true });
const { file, sha256 } = ensureSource(size);
const dest = join(WORK, 'out.bin');
const contenders = {
  curl: (url) => curl(url),
  ours: (url) => ours(url, 4, 'adaptive'),
  'ours-4fixed': (url) => ours(url, 4, 'fixed'),
  'ours-1conn': (url) => ours(url, 1, 'fixed'),
};

const servers = [];
const variants = {};
try {
  const plan = [{ name: 'plain', mbps: 0, rounds: Number(args.rounds) }];
  if (throttle > 0)
    plan.push({
      name: `throttled ${throttle} MB/s per connection`,
      mbps: throttle,
      rounds: Number(args['throttled-rounds']),
    });
  for (const variant of plan) {
    const url = await startServer(variant.mbps);
    variants[variant.name] = await rounds(variant.name, url, variant.rounds);
  }
} finally {
  for (const child of servers) child.kill();
  cleanup();
}

const report = {
  part: 'download',
  machine: machineInfo(),
  config: {
    fileBytes: size,
    server: 'node http + fs in a child process on 127.0.0.1 (scripts/bench/download-server.mjs)',
    ours: 'download() from dist/io/download.js in a child process, expectedSize given, sha256 verified',
    curl: 'curl -s -o (time_total), no verification; curlPlusSha256sum adds `sha256sum` of the file',
  },
  variants: Object.fromEntries(
    Object.entries(variants).map(([name, v]) => [name, { summary: v.summary, runs: v.runs }]),
  ),
};
writeResultFile('download', report);
for (const [name, { summary: s }] of Object.entries(variants)) {
  console.log(`\n${name}: ${size / 2 ** 20} MiB over loopback (medians)`);
  console.log('                      MB/s   vs curl   CPU s   peak RSS MB');
  const row = (label, key) =>
    console.log(
      `  ${label.padEnd(18)} ${String(s[key].mbps).padStart(6)}   ${String(s[key].ratio ?? '').padStart(7)}   ${String(s[key].cpuS ?? '').padStart(5)}   ${String(s[key].peakRssMB ?? '')}`,
    );
  row('curl', 'curl');
  row('curl + sha256sum', 'curlPlusSha256sum');
  row('ours (adaptive)', 'ours');
  row('ours (4 fixed)', 'ours-4fixed');
  row('ours (1 conn)', 'ours-1conn');
}
console.log('  -> bench-results/download.json');

/** `n` rounds of every contender, in alternating order, and their medians. */
async function rounds(variant, url, n) {
  const runs = { curl: [], curlPlusSha256sum: [], ours: [], 'ours-4fixed': [], 'ours-1conn': [] };
  for (let round = 0; round < n; round++) {
    const order = Object.keys(contenders);
    if (round % 2 === 1) order.reverse();
    for (const who of order) {
      cleanup();
      const result = await contenders[who](url);
      if (who === 'curl') {
        runs.curl.push(result.curl);
        runs.curlPlusSha256sum.push(result.withHash);
      } else runs[who].push(result);
      const last = who === 'curl' ? result.curl : result;
      console.error(
        `${variant} round ${round + 1} ${who.padEnd(11)} ${last.mbps.toFixed(0)} MB/s, CPU ${last.cpuS.toFixed(2)} s` +
          `${last.peakRssMB ? `, peak RSS ${last.peakRssMB.toFixed(1)} MB, ${last.requests} requests, ${last.connections} at once` : ''}`,
      );
    }
  }
  const curlMbps = median(runs.curl.map((r) => r.mbps));
  const summary = {};
  for (const [key, list] of Object.entries(runs)) {
    const mbps = median(list.map((r) => r.mbps));
    summary[key] = {
      mbps: round(mbps, 0),
      ratio: round(mbps / curlMbps, 2),
      cpuS: round(median(list.map((r) => r.cpuS)), 2),
      peakRssMB: list[0]?.peakRssMB === undefined ? undefined : round(Math.max(...list.map((r) => r.peakRssMB)), 1),
      baselineRssMB:
        list[0]?.baselineRssMB === undefined ? undefined : round(median(list.map((r) => r.baselineRssMB)), 1),
    };
  }
  summary.targets = {
    ratioAtLeast: 0.9,
    ratioMet: summary.ours.ratio >= 0.9,
    peakRssBelowMB: 100,
    rssMet: summary.ours.peakRssMB < 100,
  };
  return { summary, runs };
}

async function curl(url) {
  const timing = join(WORK, 'curl-time.txt');
  const { stdout } = await run('/usr/bin/time', [
    '-f',
    '%U %S',
    '-o',
    timing,
    'curl',
    '-s',
    '-o',
    dest,
    '-w',
    '%{time_total} %{size_download}',
    url,
  ]);
  const [seconds, bytes] = stdout.trim().split(' ').map(Number);
  if (bytes !== size) throw new Error(`curl got ${bytes} bytes`);
  const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const hashStarted = performance.now();
  const { stdout: sum } = await run('sha256sum', [dest]);
  const hashMs = performance.now() - hashStarted;
  if (!sum.startsWith(sha256)) throw new Error('curl download has the wrong sha256');
  const ms = seconds * 1000;
  return {
    curl: { ms, mbps: mbps(size, ms), cpuS: user + sys },
    withHash: { ms: ms + hashMs, mbps: mbps(size, ms + hashMs), cpuS: user + sys },
  };
}

async function ours(url, connections, mode) {
  const { stdout } = await run(
    process.execPath,
    [join(HERE, 'bench', 'download-client.mjs'), url, dest, sha256, String(size), String(connections), mode],
    { maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(stdout.trim().split('\n').pop());
  if (r.bytes !== size || r.sha256 !== sha256) throw new Error('our download is wrong');
  return { ...r, mbps: mbps(size, r.ms) };
}

async function startServer(perConnectionMbps) {
  const child = spawn(process.execPath, [join(HERE, 'bench', 'download-server.mjs'), file, String(perConnectionMbps)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(child);
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /PORT (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return `http://127.0.0.1:${port}/file.bin`;
}

/** The fixed-pattern source file (and its sha256), generated once and reused. */
function ensureSource(bytes) {
  const path = join(WORK, `pattern-${bytes}.bin`);
  const shaFile = `${path}.sha256`;
  if (existsSync(path) && statSync(path).size === bytes && existsSync(shaFile)) {
    return { file: path, sha256: readFileSync(shaFile, 'utf8').trim() };
  }
  console.error(`generating ${path} (${bytes} bytes)`);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) % 251;
  const hash = createHash('sha256');
  const fd = openSync(`${path}.tmp`, 'w');
  for (let written = 0; written < bytes; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, bytes - written));
    // Vary each block a little so the file is not one repeated MiB.
    piece.writeUInt32LE(written / block.length, 0);
    writeSync(fd, piece);
    hash.update(piece);
  }
  closeSync(fd);
  const digest = hash.digest('hex');
  writeFileSync(shaFile, digest);
  renameSync(`${path}.tmp`, path);
  return { file: path, sha256: digest };
}

function cleanup() {
  for (const suffix of ['', '.partial', '.partial.lock', '.partial.parts']) rmSync(`${dest}${suffix}`, { force: true });
}

function mbps(bytes, ms) {
  return bytes / 1e6 / (ms / 1000);
}
