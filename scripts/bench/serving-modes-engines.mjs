// The llama-server processes and requests scripts/bench/serving-modes.mjs drives: process trees and their RSS
// from /proc, single-model and router engines, streamed chat requests, and the router's model status API.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../lib/child-processes.mjs';
import { freePort } from '../lib/free-port.mjs';
import { llamaServerArgs } from '../lib/llama-server.mjs';
import { round } from '../lib/stats.mjs';

const now = () => performance.now();
// The product's engine manager polls /health every 25 ms; the per-process side uses the same cadence.
export const POLL_MS = 25;
/** The model names the bench serves: A.gguf, B.gguf, C.gguf in its models folder. */
export const NAMES = ['A', 'B', 'C'];

// ---- processes: /proc tree, RSS, argv ----------------------------------------------------------------------

/** Every live pid's parent pid, from /proc/<pid>/stat (the field after the parenthesised name). */
function parentsByPid() {
  const parents = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  return parents;
}

/** `pid` and all its descendants. */
export function processTree(pid) {
  const parents = parentsByPid();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  return tree.filter((p) => parents.has(p));
}

/** Summed VmRSS and RssAnon (MiB) of `pids`; a pid that is gone counts 0. */
export function rssMiB(pids) {
  let rss = 0;
  let anon = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      anon += Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {}
  }
  return { rss: round(rss / 1024, 1), anon: round(anon / 1024, 1) };
}

/** The argv of `pid` ([] once it is gone). */
export function argvOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Whether `pid` runs (a zombie does not count). */
export function alive(pid) {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The router's child serving `name` (its argv has `--alias name`), or undefined. */
export function routerChild(routerPid, name) {
  return processTree(routerPid)
    .slice(1)
    .find((pid) => {
      const argv = argvOf(pid);
      return argv[argv.indexOf('--alias') + 1] === name;
    });
}

// ---- engines ---------------------------------------------------------------------------------------------------

/** Starts and stops llama-server engines from binary `bin`, registering each child with `children`. */
export class Engines {
  constructor({ bin, children }) {
    this.bin = bin;
    this.children = children;
  }

  /** Spawns llama-server with `argv`, collecting its log; `log.text` is everything it printed so far. */
  spawn(argv) {
    const child = this.children.track(spawn(this.bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    const log = { text: '' };
    const collect = (data) => {
      if (log.text.length < 32_000_000) log.text += data.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    return { child, log, pid: child.pid };
  }

  /** One single-model llama-server for GGUF `path`, healthy; `spawnToHealthyMs` is the time that took. */
  async startProcess(path) {
    const port = await freePort();
    const t0 = now();
    const engine = this.spawn(llamaServerArgs(path, port, { contextSize: 2048, parallel: 1 }));
    const url = `http://127.0.0.1:${port}`;
    await untilHealthy(url, engine);
    return { ...engine, url, spawnToHealthyMs: now() - t0 };
  }

  /** A router over `modelsDir` with `extra` arguments, healthy (it loads nothing until asked). */
  async startRouter(modelsDir, extra) {
    const port = await freePort();
    const argv = ['--models-dir', modelsDir, '--host', '127.0.0.1', '--port', String(port), ...extra];
    const engine = this.spawn(argv);
    const url = `http://127.0.0.1:${port}`;
    await untilHealthy(url, engine);
    return { ...engine, url, argv };
  }

  /** SIGTERMs an engine and waits for it; a descendant still alive afterwards (a router's child) is SIGKILLed. */
  async stop(engine) {
    const tree = processTree(engine.pid);
    await stopChild(engine.child, { graceMs: 15_000 });
    for (const pid of tree.slice(1)) {
      try {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}

async function untilHealthy(url, engine) {
  const deadline = now() + 120_000;
  while (true) {
    if (engine.child.exitCode !== null) throw new Error(`llama-server exited:\n${engine.log.text.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {}
    if (now() > deadline) throw new Error(`llama-server not healthy in 120 s:\n${engine.log.text.slice(-2000)}`);
    await sleep(POLL_MS);
  }
}

/**
 * The timestamp (ms since that process started) of the last log line after offset `from` whose text after the
 * level letter matches `what`. llama-server starts each line with `M.SS.mmm.uuu L `; a router prefixes its
 * children's lines with `[port] `, and their timestamps count from the child's start.
 */
export function logStampMs(text, what, from = 0) {
  const line = new RegExp(`^(?:\\[\\d+\\] )?(\\d+)\\.(\\d{2})\\.(\\d{3})\\.(\\d{3}) [A-Z] .*${what.source}`, 'gm');
  const all = [...text.slice(from).matchAll(line)];
  if (!all.length) return null;
  const [, min, s, ms, us] = all.at(-1).map(Number);
  return round(min * 60_000 + s * 1000 + ms + us / 1000, 1);
}

/** The engine's own load time: its `model loaded` line's timestamp (the last one after `from`). */
export function engineLoadMs(text, from = 0) {
  return logStampMs(text, /llama_server: model loaded/, from);
}

/** Router clock from its `not loaded` (or `evicting`) line to its `proxying request` line, after log offset `from`. */
export function routerWait(router, from) {
  const asked = logStampMs(router.log.text, /ensure_model: (?:model name=\S+ is not loaded|evicting idle)/, from);
  const proxied = logStampMs(router.log.text, /proxy_reques: proxying request to model/, from);
  return asked == null || proxied == null ? null : round(proxied - asked, 1);
}

// ---- HTTP ------------------------------------------------------------------------------------------------------

/**
 * A streamed chat request to `url` for `model`: `firstMs` until the first chunk with content (or a finish reason),
 * then read to the end. `ok` only for a 200 that ended with [DONE]; `error` says what went wrong otherwise.
 */
export async function chat(url, model, { maxTokens = 1, onFirstToken } = {}) {
  const t0 = now();
  const body = { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: maxTokens, stream: true };
  if (maxTokens > 1) Object.assign(body, { ignore_eos: true });
  let res;
  try {
    res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(180_000),
    });
  } catch (e) {
    return { ok: false, status: null, ms: round(now() - t0), error: e.cause?.code ?? e.message };
  }
  if (res.status !== 200) {
    return { ok: false, status: res.status, ms: round(now() - t0), error: (await res.text()).slice(0, 300) };
  }
  let firstMs = null;
  let tokens = 0;
  let done = false;
  let error;
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const bytes of res.body) {
      buffer += decoder.decode(bytes, { stream: true });
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith('data: ')) continue;
        if (event === 'data: [DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(event.slice(6));
        if (chunk.error) error = chunk.error.message;
        const choice = chunk.choices?.[0];
        if (choice?.delta?.content != null) tokens++;
        if (firstMs === null && (choice?.delta?.content != null || choice?.finish_reason)) {
          firstMs = round(now() - t0);
          onFirstToken?.();
        }
      }
    }
  } catch (e) {
    error = e.cause?.code ?? e.message;
  }
  if (!done && !error) error = 'stream ended without [DONE]';
  return { ok: done && !error, status: 200, firstMs, ms: round(now() - t0), tokens, error };
}

/** A chat that must succeed; returns its time to first token. */
export async function mustChat(url, model) {
  const r = await chat(url, model);
  if (!r.ok) throw new Error(`chat ${model} at ${url} failed: ${JSON.stringify(r)}`);
  return r.firstMs;
}

/** GET `url` as JSON, with its status. */
export async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** POST `body` as JSON to `url`; its status and the first 300 characters of its answer. */
export async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: (await res.text()).slice(0, 300) };
}

/** The router's `status` object for `name` (value, and exit_code/failed after a failure). */
export async function routerStatus(router, name) {
  return (await getJson(`${router.url}/v1/models`)).body.data.find((m) => m.id === name)?.status;
}

/** Polls until `name`'s status value is one of `wanted`; returns that status. */
export async function untilStatus(router, name, wanted, timeoutMs = 60_000) {
  const deadline = now() + timeoutMs;
  for (let s = await routerStatus(router, name); ; s = await routerStatus(router, name)) {
    if (wanted.includes(s?.value)) return s;
    if (now() > deadline) throw new Error(`${name} stayed ${JSON.stringify(s)} (wanted ${wanted})`);
    await sleep(POLL_MS);
  }
}

/** POST /models/unload for every model not unloaded yet, and waits until each is. */
export async function unloadAll(router) {
  for (const name of NAMES) {
    if ((await routerStatus(router, name))?.value === 'unloaded') continue;
    await postJson(`${router.url}/models/unload`, { model: name });
    await untilStatus(router, name, ['unloaded']);
  }
}
