// Benchmark part `stream`: an N-chunk SSE body from a stub in a child process, parsed by our
// OpenAICompatibleTransport vs the openai SDK, alternating which goes first.
import { buildChatRequestBody, HttpClient, OpenAICompatibleTransport } from 'autobyteus';
import OpenAI from 'openai';
import { positiveInt } from '../lib/cli-options.mjs';
import { median, round } from '../lib/stats.mjs';
import { fmt, printTable } from '../lib/table.mjs';
import { writePartResult } from './part-result.mjs';
import { forkStub, stopStub } from './stub-process.mjs';

const now = () => performance.now();

/** Runs the part with `options.chunks` chunks per body; returns its result. */
export async function benchStream({ options, rounds, children }) {
  const N = positiveInt('chunks', options.chunks);
  console.log(`\n=== stream: ${fmt(N)}-chunk SSE body from a stub in a child process; ours vs openai SDK ===`);
  const { child, reply } = await forkStub({ mode: 'stream', chunks: N }, children);
  const baseUrl = `http://127.0.0.1:${reply.port}`;
  const http = new HttpClient({ connectTimeoutMs: 5000, queueTimeoutMs: 60000, idleTimeoutMs: 60000 });
  const transport = new OpenAICompatibleTransport({ runtime: 'llama_cpp', baseUrl, http, requestTimeoutMs: 0 });
  const sdk = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'x', maxRetries: 0 });
  const messages = [{ role: 'user', content: 'x' }];
  try {
    async function ours() {
      const t0 = now();
      let content = 0;
      let events = 0;
      let last;
      for await (const chunk of transport.stream(buildChatRequestBody('m', messages, {}, {}, true))) {
        events++;
        if (chunk.content) content++;
        last = chunk;
      }
      const ms = now() - t0;
      if (content !== N || !last?.isComplete || last.finishReason !== 'stop' || last.usage?.completionTokens !== N) {
        throw new Error(`ours: got ${content} content chunks (want ${N}), last ${JSON.stringify(last)}`);
      }
      return { ms, content, events };
    }
    async function theirs() {
      const t0 = now();
      let content = 0;
      let events = 0;
      let finish;
      let usage;
      const stream = await sdk.chat.completions.create({ model: 'm', messages, stream: true });
      for await (const chunk of stream) {
        events++;
        const choice = chunk.choices[0];
        if (choice?.delta?.content) content++;
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      const ms = now() - t0;
      if (content !== N || finish !== 'stop' || usage?.completion_tokens !== N) {
        throw new Error(`sdk: got ${content} content chunks (want ${N}), finish ${finish}`);
      }
      return { ms, content, events };
    }
    const clients = { ours, sdk: theirs };
    const runs = { ours: [], sdk: [] };
    const report = (name, label, r) =>
      console.log(
        `  ${name.padEnd(4)} ${label}: ${fmt(r.ms)} ms, ${fmt((N / r.ms) * 1000)} chunks/s (${r.events} events)`,
      );
    report('ours', 'warm-up', await ours());
    report('sdk', 'warm-up', await theirs());
    for (let i = 1; i <= rounds; i++) {
      // A,B then B,A: neither client always runs right after the other's garbage.
      const order = i % 2 ? ['ours', 'sdk'] : ['sdk', 'ours'];
      for (const name of order) {
        const r = await clients[name]();
        runs[name].push({ ms: round(r.ms, 1), chunksPerSec: Math.round((N / r.ms) * 1000), events: r.events });
        report(name, `round ${i}`, r);
      }
    }
    const med = (name) => median(runs[name].map((r) => r.chunksPerSec));
    const result = {
      config: { chunks: N, bodyBytes: reply.bytes, rounds, order: 'warm-up each, then A,B / B,A alternating' },
      ours: { medianChunksPerSec: med('ours'), medianMs: median(runs.ours.map((r) => r.ms)), runs: runs.ours },
      sdk: { medianChunksPerSec: med('sdk'), medianMs: median(runs.sdk.map((r) => r.ms)), runs: runs.sdk },
      ratioOursOverSdk: round(med('ours') / med('sdk'), 3),
      perRoundRatios: runs.ours.map((r, i) => round(r.chunksPerSec / runs.sdk[i].chunksPerSec, 3)),
    };
    printTable(
      `stream (${fmt(N)} chunks, ${fmt(reply.bytes / 1e6, 1)} MB SSE body)`,
      ['client', 'median ms', 'median chunks/s', 'runs (chunks/s)'],
      [
        [
          'ours: OpenAICompatibleTransport.stream',
          fmt(result.ours.medianMs),
          fmt(result.ours.medianChunksPerSec),
          runs.ours.map((r) => fmt(r.chunksPerSec)).join(' '),
        ],
        [
          'openai SDK chat.completions.create',
          fmt(result.sdk.medianMs),
          fmt(result.sdk.medianChunksPerSec),
          runs.sdk.map((r) => fmt(r.chunksPerSec)).join(' '),
        ],
        [
          'ratio ours / SDK',
          '',
          `${fmt(result.ratioOursOverSdk, 3)}`,
          result.perRoundRatios.map((r) => fmt(r, 2)).join(' '),
        ],
      ],
    );
    writePartResult('stream', result);
    return result;
  } finally {
    await http.close();
    await stopStub(child);
  }
}
