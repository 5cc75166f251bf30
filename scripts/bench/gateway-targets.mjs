// The processes of scripts/bench-gateway.mjs: the stub engine, our gateway (the built
// `autobyteus-server serve`) and the LiteLLM proxy (from PyPI, in a venv the bench installs once).
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../lib/free-port.mjs';
import { agent } from './gateway-client.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'packages/autobyteus-server/dist/cli/main.js');
const STUB = join(ROOT, 'scripts/bench-gateway-stub.mjs');
/** The model name the stub engine serves, and the one clients of the direct target ask for. */
export const ENGINE_MODEL = 'SmolLM2-135M-Instruct';
export const LITELLM_VENV = join(homedir(), '.cache', 'autobyteus-bench', 'litellm-venv');
const LITELLM_KEY = 'sk-autobyteus-bench';

const chatBody = (model) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], stream: true });
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Starts the stub engine (tracked by `children`); `setMode` switches it between paced and flat. */
export async function startStub(children) {
  const child = children.track(fork(STUB, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    target: { name: 'direct', url, headers: JSON_HEADERS, body: chatBody(ENGINE_MODEL), pids: [] },
    setMode: (mode) =>
      new Promise((resolve) => {
        child.once('message', resolve);
        child.send({ mode });
      }),
  };
}

/** GET `url` until `ready(body)` holds (JSON body), for up to `seconds`; throws with `log()` otherwise. */
async function waitReady(url, headers, ready, seconds, log) {
  for (let i = 0; i < seconds * 10; i++) {
    try {
      const res = await request(url, { headers, dispatcher: agent });
      const body = await res.body.text();
      if (res.statusCode === 200 && ready(JSON.parse(body))) return JSON.parse(body);
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not come up:\n${log()}`);
}

/** Collects a child's stderr (last 8 KB) for error messages. */
function tailOf(child) {
  let text = '';
  child.stderr?.on('data', (d) => {
    text = (text + d).slice(-8192);
  });
  child.stdout?.resume();
  return () => text;
}

/**
 * `autobyteus-server serve` with the stub as its one llama.cpp host, default settings (log level info,
 * request logging on). GATEWAY_NODE_ARGS adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * GATEWAY_LOG_LEVEL sets LOG_LEVEL.
 */
export async function startGateway(children, engineUrl) {
  const home = join(tmpdir(), `bench-gateway-${process.pid}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'config.toml'), '');
  const port = await freePort();
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = children.track(
    spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--port', String(port)], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AUTOBYTEUS_HOME: home,
        LLAMACPP_HOSTS: engineUrl,
        OLLAMA_HOSTS: '',
        LMSTUDIO_HOSTS: '',
        ...(process.env.GATEWAY_LOG_LEVEL ? { LOG_LEVEL: process.env.GATEWAY_LOG_LEVEL } : {}),
        // glibc's allocator settings, for memory experiments.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const list = await waitReady(`${url}/v1/models`, {}, (b) => b.data?.length > 0, 30, tailOf(child));
  return {
    child,
    target: { name: 'gateway', url, headers: JSON_HEADERS, body: chatBody(list.data[0].id), pids: [child.pid] },
  };
}

/** The LiteLLM venv's `litellm` program, installed from PyPI (`litellm[proxy]`) when missing. */
export function ensureLiteLLM() {
  const program = join(LITELLM_VENV, 'bin', 'litellm');
  if (existsSync(program)) return program;
  console.log(`installing litellm[proxy] from PyPI into ${LITELLM_VENV} ...`);
  mkdirSync(dirname(LITELLM_VENV), { recursive: true });
  execFileSync('python3', ['-m', 'venv', LITELLM_VENV], { stdio: 'inherit' });
  execFileSync(join(LITELLM_VENV, 'bin', 'pip'), ['install', '--quiet', 'litellm[proxy]'], { stdio: 'inherit' });
  return program;
}

/** The installed LiteLLM version (pip's metadata). */
export function liteLLMVersion() {
  const out = execFileSync(join(LITELLM_VENV, 'bin', 'pip'), ['show', 'litellm'], { encoding: 'utf8' });
  return /^Version:\s*(\S+)/m.exec(out)?.[1] ?? 'unknown';
}

/**
 * The LiteLLM proxy, 1 worker, LITELLM_MASTER_KEY set, one `openai/` model pointing at the stub's
 * /v1; kept offline (local model cost map, no telemetry) and quiet (its per-request logs off).
 */
export async function startLiteLLM(children, engineUrl) {
  const program = ensureLiteLLM();
  const dir = join(tmpdir(), `bench-litellm-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'model_list:',
      '  - model_name: bench',
      '    litellm_params:',
      `      model: openai/${ENGINE_MODEL}`,
      `      api_base: ${engineUrl}/v1`,
      '      api_key: none',
      'litellm_settings:',
      '  telemetry: false',
      '  set_verbose: false',
      'general_settings:',
      '  master_key: os.environ/LITELLM_MASTER_KEY',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = children.track(
    spawn(program, ['--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        LITELLM_MASTER_KEY: LITELLM_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        LITELLM_LOG: 'ERROR',
        LITELLM_TELEMETRY: 'False',
        DISABLE_ADMIN_UI: 'True',
        NO_DOCS: 'True',
        NO_PROXY: '*',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const headers = { ...JSON_HEADERS, authorization: `Bearer ${LITELLM_KEY}` };
  await waitReady(`${url}/v1/models`, headers, (b) => b.data?.length > 0, 120, tailOf(child));
  return { child, target: { name: 'litellm', url, headers, body: chatBody('bench'), pids: [child.pid] } };
}

/** RSS now and at peak (VmHWM), in MB, summed over `pids` and their child processes. */
export function rssOf(pids) {
  let rss = 0;
  let peak = 0;
  const seen = new Set();
  const visit = (pid) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      rss += kb('VmRSS');
      peak += kb('VmHWM');
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(/\s+/) : []) visit(Number(kid));
    } catch {}
  };
  for (const pid of pids) visit(pid);
  return { rssMB: +(rss / 1024).toFixed(1), peakMB: +(peak / 1024).toFixed(1), processes: seen.size };
}

/** CPU time (user + system) used so far by `pids` and their child processes, in ms. */
export function cpuMsOf(pids) {
  let ticks = 0;
  const seen = new Set();
  const visit = (pid) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    try {
      // Fields after the command name: state is field 3, utime 14, stime 15 (1-based).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(/\s+/) : []) visit(Number(kid));
    } catch {}
  };
  for (const pid of pids) visit(pid);
  // USER_HZ is 100 on Linux.
  return ticks * 10;
}
