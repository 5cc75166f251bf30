// Readiness detection latency of the managed-engine process manager (issue target: < 50 ms from the
// engine being ready to the manager reporting `ready`). Uses the BUILT server package: run
// `npm run build` first.
//
//   node scripts/bench-readiness.mjs [--runs 20] [--llama-runs 20] [--only fake|llama]
//
// Parts (the manager uses its default llamaCppReadiness: GET /health every 25 ms, plus one immediate
// poll when llama-server logs `model loaded`; the llama part also runs with the poll alone):
//   fake   a Node HTTP engine answering /health 503 for a random 300-800 ms, then 200. Per run:
//          first200  = manager ready time - the instant the engine sent its first 200 (engine clock);
//          fromReady = manager ready time - the instant /health began to answer 200 (the end of the
//                      random "loading" time), i.e. including the wait for the next 25 ms poll.
//   llama  the real llama-server + SmolLM2 (from ~/.cache/autobyteus-test). The engine's first 200 can
//          only be seen by the manager's own poll (a second poller would race it), so the reference is
//          llama-server's own log line `llama_server: model loaded`, printed right after it switched its
//          state to ready (the `listening on` line follows it):
//          lineSeen   = manager ready time - when the manager's process read that line (same clock);
//          engineLog  = manager ready time - (launch time + the line's own timestamp, time since
//                       llama-server's start); overstates latency by the process start-up time.
// Times are high-resolution epoch milliseconds (performance.timeOrigin + performance.now()) in each process.
// Results: a table on stdout and bench-results/readiness.json.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './lib/free-port.mjs';
import { testEnginePaths } from './lib/llama-server.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeResultFile } from './lib/results.mjs';
import { rankSummary, round } from './lib/stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(ROOT, 'packages', 'autobyteus-server');
const DIST = join(SERVER, 'dist', 'engines', 'process', 'index.js');
const FAKE_ENGINE = join(SERVER, 'test', 'engines', 'process', 'fixtures', 'fake-engine.mjs');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'llama-runs': { type: 'string', default: '20' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout.write('usage: node scripts/bench-readiness.mjs [--runs N] [--llama-runs N] [--only fake|llama]\n');
  process.exit(0);
}
if (!existsSync(DIST)) {
  process.stderr.write(`${DIST} does not exist: run \`npm run build\` first\n`);
  process.exit(1);
}
const { ManagedLocalEngine, llamaCppReadiness, llamaServerCommand } = await import(DIST);
const { pino } = await import('pino');

const now = () => performance.timeOrigin + performance.now();
const silent = pino({ level: 'silent' });

/** Starts `command` under a fresh manager; resolves with the times the bench needs, then stops it. */
async function runOnce({ name, command, port, stateDir, onLine, wakeOnLogLine = true, seen = () => true }) {
  let readyAt;
  let startingAt;
  const engine = new ManagedLocalEngine({
    name,
    command,
    hostUrl: `http://127.0.0.1:${port}`,
    readiness: llamaCppReadiness({ timeoutMs: 120_000, wakeOnLogLine }),
    logger: silent,
    stateDir,
    stopGraceMs: 5_000,
  });
  engine.onStateChange((status) => {
    if (status.state === 'starting') startingAt ??= now();
    if (status.state === 'ready') readyAt ??= now();
  });
  engine.onOutput((line) => onLine(line.text, now()));
  try {
    await engine.start();
    // The reference line can trail the ready state (llama.cpp logs from a separate thread): let it arrive.
    for (let waited = 0; !seen() && waited < 3_000; waited += 10) await sleep(10);
  } finally {
    await engine.stop();
  }
  return { readyAt, startingAt };
}

async function benchFake(runs, stateDir) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    let first200;
    let readyFrom;
    const { readyAt } = await runOnce({
      name: 'llama-cpp',
      command: [process.execPath, FAKE_ENGINE, '--port', String(port), '--loading-ms', '300-800'],
      port,
      stateDir,
      seen: () => first200 !== undefined && readyFrom !== undefined,
      onLine: (text) => {
        const m = /^(first-200|ready-from) (\d+\.\d+)$/.exec(text);
        if (m?.[1] === 'first-200') first200 = Number(m[2]);
        if (m?.[1] === 'ready-from') readyFrom = Number(m[2]);
      },
    });
    if (first200 === undefined) {
      // The line may still be in the pipe when ready is reported: it is printed after the response.
      throw new Error('the fake engine did not report its first 200');
    }
    rows.push({ run: i + 1, first200Ms: round(readyAt - first200), fromReadyMs: round(readyAt - readyFrom) });
  }
  return rows;
}

async function benchLlama(runs, stateDir, wakeOnLogLine) {
  const { llamaServer: binary, gguf: model } = testEnginePaths();
  for (const path of [binary, model]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`bash scripts/prepare-test-engines.sh\``);
  }
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const hostUrl = `http://127.0.0.1:${port}`;
    const { argv } = llamaServerCommand({
      binary,
      modelPath: model,
      hostUrl,
      allowRemote: false,
      extraArgs: ['-c', '1024', '-np', '1', '-t', '2'],
    });
    let lineSeen;
    let lineStamp;
    const { readyAt, startingAt } = await runOnce({
      name: 'llama-cpp',
      command: argv,
      port,
      stateDir,
      wakeOnLogLine,
      seen: () => lineSeen !== undefined,
      onLine: (text, at) => {
        const m = /^(\d+)\.(\d{2})\.(\d{3})\.(\d{3}) I .*llama_server: model loaded/.exec(text);
        if (m && lineSeen === undefined) {
          lineSeen = at;
          const [, min, s, ms, us] = m.map(Number);
          lineStamp = min * 60_000 + s * 1000 + ms + us / 1000;
        }
      },
    });
    if (lineSeen === undefined) throw new Error('llama-server printed no "model loaded" line');
    rows.push({
      run: i + 1,
      lineSeenMs: round(readyAt - lineSeen),
      engineLogMs: round(readyAt - (startingAt + lineStamp)),
      startMs: round(readyAt - startingAt),
    });
  }
  return rows;
}

function table(title, rows, columns) {
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(
    `${'metric'.padEnd(34)}${['n', 'p50', 'p95', 'max', 'min'].map((h) => h.padStart(9)).join('')}\n`,
  );
  const summary = {};
  for (const [key, label] of columns) {
    const s = rankSummary(rows.map((r) => r[key]));
    summary[key] = s;
    process.stdout.write(
      `${label.padEnd(34)}${[s.n, s.p50, s.p95, s.max, s.min].map((v) => String(v).padStart(9)).join('')}\n`,
    );
  }
  return summary;
}

const runs = Number(args.runs);
const llamaRuns = Number(args['llama-runs']);
const stateDir = mkdtempSync(join(tmpdir(), 'autobyteus-bench-run-'));
const result = {
  part: 'readiness',
  targetMs: 50,
  pollIntervalMs: 25,
  machine: machineInfo(),
};
process.stdout.write('readiness detection latency (ms): manager ready time minus engine ready time\n');
if (!args.only || args.only === 'fake') {
  const rows = await benchFake(runs, stateDir);
  result.fake = {
    description: 'Node HTTP engine, /health 503 for a random 300-800 ms then 200',
    summary: table(`fake engine, ${runs} runs`, rows, [
      ['first200Ms', 'ready - engine sent first 200'],
      ['fromReadyMs', 'ready - engine became ready'],
    ]),
    runs: rows,
  };
}
if (!args.only || args.only === 'llama') {
  result.llama = {};
  for (const [key, wake, title] of [
    ['pollOnly', false, '/health poll every 25 ms only'],
    ['wakeOnLogLine', true, '/health poll every 25 ms + immediate poll on the "model loaded" line (default)'],
  ]) {
    const rows = await benchLlama(llamaRuns, stateDir, wake);
    result.llama[key] = {
      description: `real llama-server + SmolLM2-135M Q4_1, -c 1024 -np 1 -t 2; ${title}`,
      summary: table(`real llama-server, ${llamaRuns} runs, ${title}`, rows, [
        ['lineSeenMs', 'ready - "model loaded" line read'],
        ['engineLogMs', 'ready - line timestamp (engine)'],
        ['startMs', 'launch to ready (model load)'],
      ]),
      runs: rows,
    };
  }
}
rmSync(stateDir, { recursive: true, force: true });
writeResultFile('readiness', result);
process.stdout.write('\nwritten: bench-results/readiness.json\n');
