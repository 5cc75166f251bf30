// Benchmark of the model downloader (packages/autobyteus-server/dist/io/download.js, so run
// `npm run build` first) against `curl -s -o`, on one local 1 GiB file served by a separate process.
//
//   node scripts/bench-download.mjs                 # 3 rounds, 1 GiB
//   node scripts/bench-download.mjs --rounds 5 --size-mib 256
//
// Each round runs curl and our download() once, alternating which goes first. Our download runs in a
// child process so its peak RSS (VmHWM / maxRSS) is its own. Ours verifies sha256 as it goes (curl does
// not), so a `curl + sha256sum` figure is reported too, for the same work. The test file is generated
// with a fixed pattern under the temp folder (never committed) and reused across runs.
// Results: a table on stdout and bench-results/download.json.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
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
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { machineInfo } from './lib/machine.mjs';
import { writeResultFile } from './lib/results.mjs';
import { median, round } from './lib/stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOWNLOADER = join(ROOT, 'packages', 'autobyteus-server', 'dist', 'io', 'download.js');
const WORK = join(tmpdir(), 'autobyteus-bench-download');
const run = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '1024' },
    serve: { type: 'string' },
    client: { type: 'boolean', default: false },
    url: { type: 'string' },
    dest: { type: 'string' },
    sha256: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (args.help) {
  console.log('usage: node scripts/bench-download.mjs [--rounds 3] [--size-mib 1024]');
} else if (args.serve) {
  serve(args.serve);
} else if (args.client) {
  await client(args.url, args.dest, args.sha256);
} else {
  await main();
}

/** Child: a plain file server with Range support, printing its port. */
function serve(file) {
  const size = statSync(file).size;
  const server = createServer((req, res) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (range) {
      res.writeHead(206, { 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` });
    } else {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
    }
    createReadStream(file, { start, highWaterMark: 1 << 20 }).pipe(res);
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
}

/** Child: one download() with timing and peak memory. */
async function client(url, dest, sha256) {
  const { download } = await import(pathToFileURL(DOWNLOADER).href);
  // Node's own floor (runtime + modules) before any byte moves; the peak minus this is the download's share.
  const baselineRssMB = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const result = await download({ url, dest, sha256 });
  const ms = performance.now() - started;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(
    JSON.stringify({
      ms,
      bytes: result.size,
      sha256: result.sha256,
      baselineRssMB,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      vmHwmMB: hwm ? Number(hwm[1]) / 1024 : undefined,
    }),
  );
}

async function main() {
  if (!existsSync(DOWNLOADER)) {
    console.error(`missing ${DOWNLOADER}: run \`npm run build\` first`);
    process.exit(1);
  }
  const rounds = Number(args.rounds);
  const size = Number(args['size-mib']) * 1024 * 1024;
  mkdirSync(WORK, { recursive: true });
  const machine = machineInfo();

  const { file, sha256 } = ensureSource(size);
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => {
      const m = /PORT (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/file.bin`;
  const dest = join(WORK, 'out.bin');
  const results = { ours: [], curl: [], curlPlusSha256sum: [] };

  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['curl', 'ours'] : ['ours', 'curl'];
      for (const who of order) {
        cleanup(dest);
        if (who === 'curl') {
          const t = performance.now();
          const { stdout } = await run('curl', ['-s', '-o', dest, '-w', '%{time_total} %{size_download}', url]);
          const [seconds, bytes] = stdout.trim().split(' ').map(Number);
          if (bytes !== size) throw new Error(`curl got ${bytes} bytes`);
          const hashStarted = performance.now();
          const { stdout: sum } = await run('sha256sum', [dest]);
          const hashMs = performance.now() - hashStarted;
          if (!sum.startsWith(sha256)) throw new Error('curl download has the wrong sha256');
          results.curl.push({ ms: seconds * 1000, wallMs: hashStarted - t, mbps: mbps(size, seconds * 1000) });
          results.curlPlusSha256sum.push({ ms: seconds * 1000 + hashMs, mbps: mbps(size, seconds * 1000 + hashMs) });
        } else {
          const t = performance.now();
          const { stdout } = await run(
            process.execPath,
            [fileURLToPath(import.meta.url), '--client', '--url', url, '--dest', dest, '--sha256', sha256],
            { maxBuffer: 1 << 20 },
          );
          const wallMs = performance.now() - t;
          const r = JSON.parse(stdout.trim().split('\n').pop());
          if (r.bytes !== size || r.sha256 !== sha256) throw new Error('our download is wrong');
          results.ours.push({
            ms: r.ms,
            wallMs,
            mbps: mbps(size, r.ms),
            baselineRssMB: r.baselineRssMB,
            maxRssMB: r.maxRssMB,
            vmHwmMB: r.vmHwmMB,
          });
        }
        const last = results[who].at(-1);
        console.error(
          `round ${round + 1} ${who.padEnd(4)} ${last.mbps.toFixed(0)} MB/s${last.maxRssMB ? `, peak RSS ${last.maxRssMB.toFixed(1)} MB` : ''}`,
        );
      }
    }
  } finally {
    server.kill();
    cleanup(dest);
  }

  const summary = {
    oursMedianMBps: median1(results.ours.map((r) => r.mbps)),
    curlMedianMBps: median1(results.curl.map((r) => r.mbps)),
    curlPlusSha256sumMedianMBps: median1(results.curlPlusSha256sum.map((r) => r.mbps)),
    oursPeakRssMB: Math.max(...results.ours.map((r) => Math.max(r.maxRssMB, r.vmHwmMB ?? 0))),
    oursBaselineRssMB: median1(results.ours.map((r) => r.baselineRssMB)),
  };
  summary.ratioOursToCurl = round(summary.oursMedianMBps / summary.curlMedianMBps, 3);
  summary.ratioOursToCurlPlusSha256sum = round(summary.oursMedianMBps / summary.curlPlusSha256sumMedianMBps, 3);
  summary.targets = {
    ratioAtLeast: 0.9,
    ratioMet: summary.ratioOursToCurl >= 0.9,
    peakRssBelowMB: 100,
    rssMet: summary.oursPeakRssMB < 100,
  };

  const report = {
    part: 'download',
    machine,
    config: {
      fileBytes: size,
      rounds,
      server: 'node http + fs.createReadStream in a child process, loopback',
      ours: 'download() from dist/io/download.js in a child process, sha256 verified while streaming',
      curl: 'curl -s -o (time_total), no verification; curlPlusSha256sum adds `sha256sum` of the file',
      dest: dest,
    },
    summary,
    runs: results,
  };
  writeResultFile('download', report);
  console.log(`download of ${size / 2 ** 20} MiB over loopback, ${rounds} alternating rounds (medians)`);
  console.log(
    `  ours (sha256 verified)  ${summary.oursMedianMBps.toFixed(0)} MB/s   peak RSS ${summary.oursPeakRssMB.toFixed(1)} MB (Node floor ${summary.oursBaselineRssMB} MB)`,
  );
  console.log(
    `  curl -s -o              ${summary.curlMedianMBps.toFixed(0)} MB/s   ratio ours/curl ${summary.ratioOursToCurl}`,
  );
  console.log(
    `  curl + sha256sum        ${summary.curlPlusSha256sumMedianMBps.toFixed(0)} MB/s   ratio ours/(curl+sha256sum) ${summary.ratioOursToCurlPlusSha256sum}`,
  );
  console.log('  -> bench-results/download.json');
}

/** The fixed-pattern source file (and its sha256), generated once and reused. */
function ensureSource(size) {
  const file = join(WORK, `pattern-${size}.bin`);
  const shaFile = `${file}.sha256`;
  if (existsSync(file) && statSync(file).size === size && existsSync(shaFile)) {
    return { file, sha256: readFileSync(shaFile, 'utf8').trim() };
  }
  console.error(`generating ${file} (${size} bytes)`);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + 7) % 251;
  const hash = createHash('sha256');
  const fd = openSync(`${file}.tmp`, 'w');
  for (let written = 0; written < size; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, size - written));
    // Vary each block a little so the file is not one repeated MiB.
    piece.writeUInt32LE(written / block.length, 0);
    writeSync(fd, piece);
    hash.update(piece);
  }
  closeSync(fd);
  const sha256 = hash.digest('hex');
  writeFileSync(shaFile, sha256);
  renameSync(`${file}.tmp`, file);
  return { file, sha256 };
}

function cleanup(dest) {
  for (const path of [dest, `${dest}.partial`, `${dest}.partial.lock`]) rmSync(path, { force: true });
}

function mbps(bytes, ms) {
  return bytes / 1e6 / (ms / 1000);
}

/** The median to one decimal, as MB/s and MB are reported. */
function median1(values) {
  return round(median(values), 1);
}
