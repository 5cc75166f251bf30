// The client side of scripts/bench-gateway.mjs: streamed chat requests over one undici pool, time to
// first token, and tokens/s of N concurrent streams, for any target (direct engine, gateway, LiteLLM).
import { Agent, request } from 'undici';

export const agent = new Agent({ connections: 512, keepAliveTimeout: 60_000, pipelining: 1 });

const CONTENT = Buffer.from('"content":"');

/**
 * One streamed chat request to `target` ({ url, headers, body }). Returns the time to the first byte
 * carrying token text (TTFT), the total time and the tokens seen, in ms. Throws on a non-200 answer or
 * an answer with fewer tokens than `expectTokens`, so a target that drops tokens cannot look fast.
 */
export async function streamOnce(target, expectTokens) {
  const started = performance.now();
  const res = await request(`${target.url}/v1/chat/completions`, {
    method: 'POST',
    headers: target.headers,
    body: target.body,
    dispatcher: agent,
  });
  if (res.statusCode !== 200) throw new Error(`${target.name}: HTTP ${res.statusCode}: ${await res.body.text()}`);
  let ttft;
  let tokens = 0;
  for await (const chunk of res.body) {
    for (let i = chunk.indexOf(CONTENT); i !== -1; i = chunk.indexOf(CONTENT, i + CONTENT.length)) tokens++;
    if (ttft === undefined && tokens > 0) ttft = performance.now() - started;
  }
  if (tokens < expectTokens) throw new Error(`${target.name}: ${tokens} tokens, want ${expectTokens}`);
  const overhead = Number(res.headers['x-autobyteus-overhead-ms'] ?? Number.NaN);
  return { ttft, total: performance.now() - started, tokens, overhead };
}

/**
 * `streams` concurrent streams, each sending requests one after another: `perStream` of them, or as many
 * as fit in `minMs` (at least one). Returns tokens/s (completed tokens over wall time), every TTFT,
 * every overhead header (NaN where the target sends none), and with `tolerateErrors` the failed requests'
 * error codes (otherwise the first failure throws).
 */
export async function concurrentRun(target, { streams, perStream, minMs, tokens, tolerateErrors = false }) {
  const started = performance.now();
  const ttfts = [];
  const overheads = [];
  const errors = [];
  let done = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      for (let i = 0; ; i++) {
        if (perStream !== undefined ? i >= perStream : i > 0 && performance.now() - started >= minMs) break;
        let r;
        try {
          r = await streamOnce(target, tokens);
        } catch (error) {
          if (!tolerateErrors) throw error;
          errors.push(error.code ?? error.message);
          continue;
        }
        ttfts.push(r.ttft);
        overheads.push(r.overhead);
        done += r.tokens;
      }
    }),
  );
  const tokensPerSec = done / ((performance.now() - started) / 1000);
  return { tokensPerSec, ttfts, overheads, requests: ttfts.length, errors };
}
