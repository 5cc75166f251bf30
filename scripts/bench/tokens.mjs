// Benchmark part `tokens`: a real llama-server + SmolLM2-135M generating 256 tokens, streamed by
// LlamaCppLLM.streamMessages vs curl on the same request body, alternating which goes first.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildChatRequestBody, LLMFactory, silentLogger } from 'autobyteus';
import { stopChild } from '../lib/child-processes.mjs';
import { positiveInt } from '../lib/cli-options.mjs';
import { freePort } from '../lib/free-port.mjs';
import { startLlamaServer, testEnginePaths } from '../lib/llama-server.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { runCurl } from './curl-client.mjs';
import { serverTimingsIn } from './llama-timings.mjs';
import { writePartResult } from './part-result.mjs';

const now = () => performance.now();

const PROMPT = 'Write a long story about a lighthouse keeper who finds a message in a bottle.';
const MAX_TOKENS = 256;

/** Waits (polling every 5 s) for `path` to exist: the test set-up may still be building it. */
async function waitForFile(path, what, waitS) {
  const deadline = Date.now() + waitS * 1000;
  let told = false;
  while (!existsSync(path)) {
    if (Date.now() >= deadline) {
      throw new Error(
        `${what} not found at ${path} after waiting ${waitS} s. Build it with \`bash scripts/prepare-test-engines.sh\` ` +
          '(or set AUTOBYTEUS_TEST_CACHE to the cache that has it).',
      );
    }
    if (!told) {
      console.log(
        `  waiting up to ${waitS} s for ${what} at ${path} (is scripts/prepare-test-engines.sh still building it?)`,
      );
      told = true;
    }
    await sleep(5000);
  }
}

/** Runs the part against the test cache's llama-server (waiting up to `--engine-wait-s` for it). */
export async function benchTokens({ options, rounds, children }) {
  console.log(`\n=== tokens: real llama-server, ${MAX_TOKENS} tokens; LlamaCppLLM.streamMessages vs curl ===`);
  const { llamaServer: bin, gguf } = testEnginePaths();
  const waitS = positiveInt('engine-wait-s', options['engine-wait-s']);
  await waitForFile(bin, 'llama-server', waitS);
  await waitForFile(gguf, 'the SmolLM2 GGUF', 60);
  const port = await freePort();
  const tmp = mkdtempSync(join(tmpdir(), 'autobyteus-bench-'));
  let server;
  let factory;
  try {
    server = await startLlamaServer(bin, gguf, port, { track: (c) => children.track(c) });
    console.log(`  llama-server up at ${server.url} (${server.argv.join(' ')})`);
    factory = new LLMFactory({
      settings: {
        llamaCppHosts: [server.url],
        ollamaHosts: [],
        lmStudioHosts: [],
        discoveryTimeoutMs: 30_000,
        requestTimeoutMs: 0,
      },
      logger: silentLogger,
    });
    await factory.ensureInitialized();
    const model = factory.listAvailableModels().find((m) => m.availability === 'served' && !m.stale);
    if (!model) throw new Error(`discovery found no served model: ${JSON.stringify(factory.getHostHealth())}`);
    const config = { maxTokens: MAX_TOKENS, temperature: 0, seed: 1, extraParams: { ignore_eos: true } };
    const llm = factory.createLLM(model.modelIdentifier, config);
    const messages = [{ role: 'user', content: PROMPT }];
    // The very body LlamaCppLLM sends (it adds cache_prompt; the transport forces stream: true).
    const body = {
      cache_prompt: true,
      ...buildChatRequestBody(model.value, messages, llm.config, {}, true),
      stream: true,
    };
    const bodyPath = join(tmp, 'body.json');
    writeFileSync(bodyPath, JSON.stringify(body));
    console.log(`  model ${model.modelIdentifier}; body ${JSON.stringify(body)}`);

    async function ours() {
      const logStart = server.log.text.length;
      const cpu0 = process.cpuUsage();
      const t0 = now();
      let firstMs;
      let last;
      let text = '';
      for await (const chunk of llm.streamMessages(messages)) {
        if (chunk.content) {
          firstMs ??= now() - t0;
          text += chunk.content;
        }
        last = chunk;
      }
      const wallMs = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (!last?.isComplete) throw new Error('ours: stream ended without a complete chunk');
      const tokens = last.usage?.completionTokens;
      if (tokens !== MAX_TOKENS)
        throw new Error(`ours: ${tokens} tokens generated, want ${MAX_TOKENS} (is ignore_eos honoured?)`);
      await sleep(100); // let llama-server flush its timing log lines
      const logged = serverTimingsIn(server.log.text.slice(logStart));
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        firstContentMs: firstMs,
        tokens,
        predictedPerSecond: last.timings?.predictedPerSecond,
        logged,
        text,
      };
    }
    async function curl(outPath = '/dev/null', curlOptions = {}) {
      const logStart = server.log.text.length;
      const r = await runCurl(server.url, bodyPath, outPath, { ...curlOptions, track: (c) => children.track(c) });
      await sleep(100);
      return { ...r, logged: serverTimingsIn(server.log.text.slice(logStart)) };
    }

    // Warm-ups. curl's writes its stream to a file once, to check it generates the same 256 tokens.
    const warmOurs = await ours();
    console.log(
      `  ours warm-up: ${fmt(warmOurs.wallMs)} ms, ${warmOurs.tokens} tokens, server ${fmt(warmOurs.predictedPerSecond, 1)} tok/s`,
    );
    const curlOut = join(tmp, 'curl-out.txt');
    const warmCurl = await curl(curlOut, { measureCpu: true });
    const events = readFileSync(curlOut, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)));
    const curlUsage = events.find((e) => e.usage)?.usage;
    const curlTimings = events.find((e) => e.timings)?.timings;
    const curlText = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    if (curlUsage?.completion_tokens !== MAX_TOKENS)
      throw new Error(`curl: ${curlUsage?.completion_tokens} tokens generated, want ${MAX_TOKENS}`);
    console.log(
      `  curl warm-up: ${fmt(warmCurl.wallMs)} ms wall, ${fmt(warmCurl.timeTotalMs)} ms time_total, ${curlUsage.completion_tokens} tokens, ` +
        `server ${fmt(curlTimings?.predicted_per_second, 1)} tok/s, curl CPU ${fmt(warmCurl.cpuMs, 1)} ms; ` +
        `same text as ours: ${curlText === warmOurs.text}`,
    );

    // Client overhead: the client's time minus the time llama-server itself logged for the request
    // (prompt + generation). It is what the client adds, and it varies far less with machine load
    // than tokens/s does.
    const overhead = (clientMs, logged) => (logged.totalMs === undefined ? null : round(clientMs - logged.totalMs, 1));
    const runs = { ours: [], curl: [] };
    for (let i = 1; i <= rounds; i++) {
      const order = i % 2 ? ['ours', 'curl'] : ['curl', 'ours'];
      for (const name of order) {
        if (name === 'ours') {
          const r = await ours();
          const run = {
            wallMs: round(r.wallMs, 1),
            tokensPerSec: round((MAX_TOKENS / r.wallMs) * 1000, 2),
            firstContentMs: round(r.firstContentMs, 1),
            clientCpuMs: round(r.cpuMs, 1),
            serverPredictedPerSec: round(r.predictedPerSecond, 2),
            serverTotalMs: r.logged.totalMs ?? null,
            overheadMs: overhead(r.wallMs, r.logged),
          };
          runs.ours.push(run);
          console.log(
            `  ours round ${i}: ${fmt(r.wallMs)} ms, ${fmt(run.tokensPerSec, 1)} tok/s (server ${fmt(r.predictedPerSecond, 1)} tok/s, ` +
              `${fmt(run.serverTotalMs)} ms; client overhead ${fmt(run.overheadMs, 1)} ms, client CPU ${fmt(run.clientCpuMs, 1)} ms)`,
          );
        } else {
          const r = await curl();
          const run = {
            wallMs: round(r.wallMs, 1),
            timeTotalMs: round(r.timeTotalMs, 1),
            tokensPerSecWall: round((MAX_TOKENS / r.wallMs) * 1000, 2),
            tokensPerSecTimeTotal: round((MAX_TOKENS / r.timeTotalMs) * 1000, 2),
            serverLoggedPerSec: r.logged.perSecond ?? null,
            serverTotalMs: r.logged.totalMs ?? null,
            overheadMs: overhead(r.timeTotalMs, r.logged),
            overheadWallMs: overhead(r.wallMs, r.logged),
          };
          runs.curl.push(run);
          console.log(
            `  curl round ${i}: ${fmt(r.wallMs)} ms wall, ${fmt(r.timeTotalMs)} ms time_total (${fmt(run.tokensPerSecTimeTotal, 1)} tok/s; ` +
              `server ${fmt(run.serverLoggedPerSec, 1)} tok/s, ${fmt(run.serverTotalMs)} ms; client overhead ${fmt(run.overheadMs, 1)} ms)`,
          );
        }
      }
    }
    const med = (list, key) => {
      const values = list.map((r) => r[key]).filter((v) => typeof v === 'number');
      return values.length ? median(values) : null;
    };
    const oursTps = med(runs.ours, 'tokensPerSec');
    const curlTpsWall = med(runs.curl, 'tokensPerSecWall');
    const curlTpsTotal = med(runs.curl, 'tokensPerSecTimeTotal');
    const pairedTotal = runs.ours.map((r, i) => round(r.tokensPerSec / runs.curl[i].tokensPerSecTimeTotal, 3));
    const pairedServer = runs.ours.map((r, i) =>
      r.serverPredictedPerSec && runs.curl[i].serverLoggedPerSec
        ? round(r.serverPredictedPerSec / runs.curl[i].serverLoggedPerSec, 3)
        : null,
    );
    const result = {
      config: {
        server: `${bin} ${server.argv.join(' ')}`,
        model: model.modelIdentifier,
        body,
        rounds,
        order: 'warm-up each, then A,B / B,A alternating',
        tokensPerSec: `${MAX_TOKENS} / wall seconds from sending the request to the last chunk`,
        overheadMs: 'client time minus llama-server logged total time (prompt + generation) of the same request',
      },
      ours: {
        medianTokensPerSec: oursTps,
        medianFirstContentMs: med(runs.ours, 'firstContentMs'),
        medianClientCpuMs: med(runs.ours, 'clientCpuMs'),
        medianServerPredictedPerSec: med(runs.ours, 'serverPredictedPerSec'),
        medianOverheadMs: med(runs.ours, 'overheadMs'),
        runs: runs.ours,
      },
      curl: {
        medianTokensPerSecWall: curlTpsWall,
        medianTokensPerSecTimeTotal: curlTpsTotal,
        medianServerLoggedPerSec: med(runs.curl, 'serverLoggedPerSec'),
        medianOverheadMs: med(runs.curl, 'overheadMs'),
        medianOverheadWallMs: med(runs.curl, 'overheadWallMs'),
        warmupServerPredictedPerSec: round(curlTimings?.predicted_per_second, 2),
        warmupCpuMs: round(warmCurl.cpuMs, 1),
        sameTextAsOurs: curlText === warmOurs.text,
        runs: runs.curl,
      },
      ratioOursOverCurlTimeTotal: round(oursTps / curlTpsTotal, 3),
      ratioOursOverCurlWall: round(oursTps / curlTpsWall, 3),
      perRoundRatiosTimeTotal: pairedTotal,
      medianPerRoundRatioTimeTotal: median(pairedTotal),
      perRoundServerSpeedRatios: pairedServer,
    };
    printTable(
      `tokens (${MAX_TOKENS} tokens, SmolLM2-135M-Instruct Q4_1, llama-server -t 2)`,
      ['client', 'median tok/s', 'server tok/s', 'client overhead ms', 'client CPU ms', 'runs (tok/s)'],
      [
        [
          'ours: LlamaCppLLM.streamMessages',
          fmt(oursTps, 1),
          fmt(result.ours.medianServerPredictedPerSec, 1),
          fmt(result.ours.medianOverheadMs, 1),
          fmt(result.ours.medianClientCpuMs, 1),
          runs.ours.map((r) => fmt(r.tokensPerSec, 1)).join(' '),
        ],
        [
          'curl, by its time_total',
          fmt(curlTpsTotal, 1),
          fmt(result.curl.medianServerLoggedPerSec, 1),
          fmt(result.curl.medianOverheadMs, 1),
          `${fmt(result.curl.warmupCpuMs, 1)} (warm-up)`,
          runs.curl.map((r) => fmt(r.tokensPerSecTimeTotal, 1)).join(' '),
        ],
        [
          'curl, by wall time incl. spawn',
          fmt(curlTpsWall, 1),
          '',
          fmt(result.curl.medianOverheadWallMs, 1),
          '',
          runs.curl.map((r) => fmt(r.tokensPerSecWall, 1)).join(' '),
        ],
        ['ratio ours / curl time_total (of medians)', fmt(result.ratioOursOverCurlTimeTotal, 3), '', '', '', ''],
        [
          'ratio ours / curl time_total (per round)',
          `${fmt(result.medianPerRoundRatioTimeTotal, 3)} (median)`,
          '',
          '',
          '',
          pairedTotal.map((r) => fmt(r, 3)).join(' '),
        ],
        ['ratio ours / curl wall (of medians)', fmt(result.ratioOursOverCurlWall, 3), '', '', '', ''],
        ['server speed ratio in the same rounds', '', '', '', '', pairedServer.map((r) => fmt(r, 3)).join(' ')],
      ],
    );
    writePartResult('tokens', result);
    return result;
  } finally {
    await factory?.close().catch(() => {});
    await stopChild(server?.child, { graceMs: 5000 });
    rmSync(tmp, { recursive: true, force: true });
  }
}
