// Gateway overhead, side by side with direct engine access in one run (issue: autobyteus-server).
//   npm run build && node scripts/bench-gateway.mjs [--only stub|real] [--ttft-requests N]
// Parts:
//   stub: a local stub engine (separate process) streaming 256 chunks as fast as it can.
//         Added time to first token (p50, p99), chunks/s ratio gateway/direct at 1, 16, 128
//         concurrent streams, and the server's RSS.
//   real: the real llama-server with SmolLM2 (from the test cache): added time to first token and
//         tokens/s ratio at 1 and 4 concurrent streams.
// Ratios, not absolute numbers, are the result: this machine is shared and noisy.
// GATEWAY_LOG_LEVEL sets the server's LOG_LEVEL; GATEWAY_NODE_ARGS adds node flags (e.g. --cpu-prof).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { freePort } from './lib/free-port.mjs';
import { startLlamaServer, testEnginePaths } from './lib/llama-server.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeResultFile } from './lib/results.mjs';
import { quantile } from './lib/stats.mjs';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const ttftRequests = args.includes('--ttft-requests') ? Number(args[args.indexOf('--ttft-requests') + 1]) : 300;
const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'packages/autobyteus-server/dist/cli/main.js');
const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000, pipelining: 1 });

// This benchmark has always reported the upper middle as its median (see lib/stats.mjs quantile).
const median = (values) => quantile(values, 0.5);

/** One streamed chat request; returns time to first content byte and total, in ms, and events seen. */
async function streamOnce(url, body) {
  const started = performance.now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher: agent,
  });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${await res.body.text()}`);
  let ttft;
  let events = 0;
  for await (const chunk of res.body) {
    ttft ??= performance.now() - started;
    // Count event separators; cheap and the same for both paths.
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) if (chunk[i + 1] === 10) events++;
  }
  return {
    ttft,
    total: performance.now() - started,
    events,
    overhead: Number(res.headers['x-autobyteus-overhead-ms'] ?? Number.NaN),
  };
}

async function startGateway(env) {
  const home = join(tmpdir(), `bench-gateway-${process.pid}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), '');
  const port = await freePort();
  const nodeArgs = process.env.GATEWAY_NODE_ARGS ? process.env.GATEWAY_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--port', String(port)], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AUTOBYTEUS_HOME: home,
      OLLAMA_HOSTS: '',
      LMSTUDIO_HOSTS: '',
      ...(process.env.GATEWAY_LOG_LEVEL ? { LOG_LEVEL: process.env.GATEWAY_LOG_LEVEL } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume();
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      const res = await request(`${url}/v1/models`, { dispatcher: agent });
      const body = await res.body.json();
      if (body.data?.length) return { url, child, models: body.data.map((m) => m.id) };
    } catch {}
    await sleep(100);
  }
  child.kill();
  throw new Error(`gateway did not come up:\n${err}`);
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMB: +(kb('VmRSS') / 1024).toFixed(1), peakMB: +(kb('VmHWM') / 1024).toFixed(1) };
}

/** Alternates direct and gateway requests one at a time; returns TTFT samples for each. */
async function ttftSeries(directUrl, gatewayUrl, directBody, gatewayBody, n) {
  const direct = [];
  const gateway = [];
  const overheads = [];
  for (let i = 0; i < 20; i++) {
    await streamOnce(directUrl, directBody);
    await streamOnce(gatewayUrl, gatewayBody);
  }
  for (let i = 0; i < n; i++) {
    const first = i % 2 === 0;
    const a = first ? await streamOnce(directUrl, directBody) : undefined;
    const g = await streamOnce(gatewayUrl, gatewayBody);
    const b = first ? undefined : await streamOnce(directUrl, directBody);
    direct.push((a ?? b).ttft);
    gateway.push(g.ttft);
    overheads.push(g.overhead);
  }
  return {
    directP50: +median(direct).toFixed(3),
    directP99: +quantile(direct, 0.99).toFixed(3),
    gatewayP50: +median(gateway).toFixed(3),
    gatewayP99: +quantile(gateway, 0.99).toFixed(3),
    addedP50: +(median(gateway) - median(direct)).toFixed(3),
    addedP99: +(quantile(gateway, 0.99) - quantile(direct, 0.99)).toFixed(3),
    overheadHeaderP50: +median(overheads).toFixed(3),
    overheadHeaderP99: +quantile(overheads, 0.99).toFixed(3),
  };
}

/**
 * `concurrency` streams at once, `perStream` requests each; aggregate tokens/s. Every request
 * streams the same fixed number of tokens (the stub's 256, or max_tokens with ignore_eos), so
 * completed requests × tokens per request is exact for both paths.
 */
async function throughput(url, body, concurrency, perStream, tokensPerRequest) {
  const started = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perStream; i++) {
        await streamOnce(url, body);
        done++;
      }
    }),
  );
  return (done * tokensPerRequest) / ((performance.now() - started) / 1000);
}

async function throughputSeries(
  directUrl,
  gatewayUrl,
  directBody,
  gatewayBody,
  concurrency,
  perStream,
  rounds,
  tokens,
) {
  const direct = [];
  const gateway = [];
  await throughput(gatewayUrl, gatewayBody, concurrency, 1, tokens);
  await throughput(directUrl, directBody, concurrency, 1, tokens);
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      direct.push(await throughput(directUrl, directBody, concurrency, perStream, tokens));
      gateway.push(await throughput(gatewayUrl, gatewayBody, concurrency, perStream, tokens));
    } else {
      gateway.push(await throughput(gatewayUrl, gatewayBody, concurrency, perStream, tokens));
      direct.push(await throughput(directUrl, directBody, concurrency, perStream, tokens));
    }
  }
  return {
    concurrency,
    directPerSec: Math.round(median(direct)),
    gatewayPerSec: Math.round(median(gateway)),
    ratio: +(median(gateway) / median(direct)).toFixed(3),
  };
}

/** The machine, under the key names this benchmark's results have always used. */
const machine = () => {
  const { cpuModel, cores, node, loadavgAtStart, date } = machineInfo();
  return { cpu: cpuModel, cores, node, loadavg: loadavgAtStart, date };
};

async function stubPart() {
  const stub = fork(join(ROOT, 'scripts/bench-gateway-stub.mjs'), ['256'], { stdio: 'ignore' });
  const { port } = await new Promise((resolve) => stub.once('message', resolve));
  const directUrl = `http://127.0.0.1:${port}`;
  const gw = await startGateway({ LLAMACPP_HOSTS: directUrl });
  try {
    const messages = [{ role: 'user', content: 'hello' }];
    const directBody = JSON.stringify({ model: 'SmolLM2-135M-Instruct', messages, stream: true });
    const gatewayBody = JSON.stringify({ model: gw.models[0], messages, stream: true });
    const ttft = await ttftSeries(directUrl, gw.url, directBody, gatewayBody, ttftRequests);
    const rows = [];
    for (const [c, per] of [
      [1, 200],
      [16, 25],
      [128, 5],
    ]) {
      rows.push(await throughputSeries(directUrl, gw.url, directBody, gatewayBody, c, per, 5, 256));
    }
    const rss = rssOf(gw.child.pid);
    return { part: 'stub', machine: machine(), chunksPerStream: 256, ttft, throughput: rows, serverMemory: rss };
  } finally {
    gw.child.kill();
    stub.kill();
  }
}

async function realPart() {
  const { llamaServer, gguf } = testEnginePaths();
  const port = await freePort();
  const engine = await startLlamaServer(llamaServer, gguf, port, { contextSize: 4096, parallel: 4 });
  const directUrl = engine.url;
  try {
    const gw = await startGateway({ LLAMACPP_HOSTS: directUrl });
    try {
      const messages = [{ role: 'user', content: 'Write a short story about a lighthouse.' }];
      const fields = { messages, stream: true, max_tokens: 64, temperature: 0, seed: 1, ignore_eos: true };
      const directBody = JSON.stringify({ model: 'SmolLM2-135M-Instruct', ...fields });
      const gatewayBody = JSON.stringify({ model: gw.models[0], ...fields });
      const ttftBody = (m) => JSON.stringify({ model: m, messages, stream: true, max_tokens: 1, temperature: 0 });
      const ttft = await ttftSeries(directUrl, gw.url, ttftBody('SmolLM2-135M-Instruct'), ttftBody(gw.models[0]), 60);
      const rows = [
        await throughputSeries(directUrl, gw.url, directBody, gatewayBody, 1, 2, 5, 64),
        await throughputSeries(directUrl, gw.url, directBody, gatewayBody, 4, 1, 5, 64),
      ];
      return {
        part: 'real',
        machine: machine(),
        tokensPerStream: 64,
        ttft,
        throughput: rows,
        serverMemory: rssOf(gw.child.pid),
      };
    } finally {
      gw.child.kill();
    }
  } finally {
    engine.child.kill();
  }
}

for (const [name, run] of [
  ['stub', stubPart],
  ['real', realPart],
]) {
  if (only && only !== name) continue;
  const result = await run();
  writeResultFile(`gateway-${name}`, result);
  console.log(`\n== gateway / ${name} (${result.machine.cpu}, load ${result.machine.loadavg.join(' ')})`);
  console.log(
    `time to first token, ms: direct p50 ${result.ttft.directP50} p99 ${result.ttft.directP99} | gateway p50 ${result.ttft.gatewayP50} p99 ${result.ttft.gatewayP99} | added p50 ${result.ttft.addedP50} p99 ${result.ttft.addedP99} | header p50 ${result.ttft.overheadHeaderP50}`,
  );
  for (const row of result.throughput) {
    console.log(
      `  ${String(row.concurrency).padStart(3)} streams: direct ${row.directPerSec}/s  gateway ${row.gatewayPerSec}/s  ratio ${row.ratio}`,
    );
  }
  console.log(`  server memory: RSS ${result.serverMemory.rssMB} MB, peak ${result.serverMemory.peakMB} MB`);
}
await agent.close();
