// The pieces scripts/bench/pools.mjs drives: stub llama.cpp hosts in child processes, the built server over a
// temporary AUTOBYTEUS_HOME whose config.toml lists those hosts, and the chat requests sent to either.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { stopChild } from '../lib/child-processes.mjs';
import { freePort } from '../lib/free-port.mjs';
import { forkStub, stopStub } from './stub-process.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SERVER_MAIN = join(HERE, '..', '..', 'packages', 'autobyteus-server', 'dist', 'cli', 'main.js');
const HOST_STUB = join(HERE, 'pool-host-stub.mjs');
/** The model every stub host serves (the recorded llama-server's alias). */
export const NAME = 'SmolLM2-135M-Instruct';
/** The header the gateway reports its own time in. */
const OVERHEAD_HEADER = 'x-autobyteus-overhead-ms';
const now = () => performance.now();

/** One client connection pool for every request of the bench (keep-alive, as a real client would). */
export const agent = new Agent({ connections: 512, keepAliveTimeout: 60_000, pipelining: 1 });

/**
 * A stub llama.cpp host in its own process (`settings`: port, slots, tokens, tokenDelayMs; see
 * pool-host-stub.mjs). `firstChat` resolves when it gets its first chat request, with performance.now().
 */
export async function startHost(children, settings) {
  const { child, reply } = await forkStub(settings, children, HOST_STUB);
  const firstChat = new Promise((resolve) => {
    child.on('message', (msg) => {
      if (msg?.firstChat) resolve(now());
    });
  });
  return { child, port: reply.port, url: `http://127.0.0.1:${reply.port}`, settings, firstChat };
}

/** The host's counters: chats served, most in flight at once, longest wait line for a slot. */
export function hostStats(host) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (!msg?.stats) return;
      host.child.off('message', onMessage);
      resolve(msg.stats);
    };
    host.child.on('message', onMessage);
    host.child.send({ stats: true });
  });
}

export const stopHost = (host) => stopStub(host.child);

/** The identifier that pins `host` (what `/v1/models` lists for it). */
export const identifierOf = (host) => `${NAME}:llama_cpp@127.0.0.1:${host.port}`;

/**
 * Starts `autobyteus-server serve` over a fresh home whose config.toml lists `hosts` (llama.cpp only), with
 * LOG_LEVEL=warn and `env` on top; resolves once `/api/health` shows every host up.
 */
export async function startPoolServer(children, hosts, env = {}) {
  const home = mkdtempSync(join(tmpdir(), 'bench-pools-'));
  const list = hosts.map((h) => `"${h.url}"`).join(', ');
  writeFileSync(
    join(home, 'config.toml'),
    `[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n[llama_cpp]\nhosts = [${list}]\n`,
  );
  const port = await freePort();
  // The user's own settings must not leak in (hosts lists, a log level, a token).
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AUTOBYTEUS_|LLAMACPP_|MLX_|OLLAMA_|LMSTUDIO_|LLM_|LOG_)/.test(k)),
  );
  const ours = { HOME: home, AUTOBYTEUS_HOME: home, AUTOBYTEUS_PORT: `${port}`, LOG_LEVEL: 'warn' };
  const child = children.track(
    spawn(process.execPath, [SERVER_MAIN, 'serve'], {
      env: { ...base, ...ours, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let log = '';
  const keep = (d) => {
    log = (log + d).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}:\n${log}`);
    const health = await getJson(`${url}/api/health`).catch(() => null);
    const up = health?.hosts?.filter((h) => h.runtime === 'llama_cpp' && h.status === 'up').length ?? 0;
    if (up === hosts.length) break;
    if (now() > deadline) throw new Error(`the server did not see ${hosts.length} hosts up within 60 s:\n${log}`);
    await sleep(50);
  }
  return {
    url,
    child,
    log: () => log,
    stop: async () => {
      await stopChild(child, { graceMs: 5000 });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** GET `url` as JSON (throws on a non-200). */
export async function getJson(url) {
  const res = await request(url, { dispatcher: agent });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`GET ${url}: ${res.statusCode}`);
  }
  return res.body.json();
}

/** A request body for `model`, serialised once (a small chat, `max_tokens` 8). */
export function chatBody(model, stream) {
  return JSON.stringify({ model, stream, max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] });
}

/** A non-streamed chat with a ready-made `body`: ms to the whole answer, and the gateway's own time (or null). */
export async function complete(url, body) {
  const t0 = now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher: agent,
  });
  const text = await res.body.text();
  const ms = now() - t0;
  if (res.statusCode !== 200) throw new Error(`chat at ${url}: ${res.statusCode} ${text.slice(0, 300)}`);
  const own = res.headers[OVERHEAD_HEADER];
  return { ms, ownMs: own == null ? null : Number(own) };
}

/**
 * A streamed chat read to its end: when it was sent, got its 200 head and ended (performance.now()), whether
 * it ended with `data: [DONE]`, and why not. Never throws: a reset stream is a failed request.
 */
export async function streamChat(url, body) {
  const r = { sentAt: now(), headAt: null, endAt: null, ok: false, status: null, error: null };
  try {
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      dispatcher: agent,
    });
    r.headAt = now();
    r.status = res.statusCode;
    const text = await res.body.text();
    r.ok = res.statusCode === 200 && text.endsWith('data: [DONE]\n\n');
    if (!r.ok) r.error = `${res.statusCode}: ${text.slice(-200)}`;
  } catch (error) {
    r.error = String(error?.code ?? error?.message ?? error);
  }
  r.endAt = now();
  return r;
}
