// What the recorder asks a running server before recording: is it up, and which model does it serve.
import { setTimeout as sleep } from 'node:timers/promises';
import { die } from './log.mjs';
import { rawRequest } from './raw-request.mjs';

/**
 * Polls `/health` until it answers 200; dies if `child` (a spawned server) exits first, naming
 * `logDir` for its output, or when `timeoutMs` runs out.
 */
export async function waitHealthy(base, { timeoutMs = 120_000, child, logDir } = {}) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child && child.exitCode !== null) die(`server exited early with code ${child.exitCode}; see ${logDir}`);
    const r = await rawRequest(base, { method: 'GET', path: '/health' }, 2000);
    if (r.status === 200) return;
    await sleep(200);
  }
  die(`${base}/health did not answer 200 within ${timeoutMs} ms`);
}

/** Polls `/health` every 5 ms until anything answers (the socket is bound); resolves with that answer. */
export async function waitPort(base, child, { timeoutMs = 60_000, logDir }) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) die(`server exited early with code ${child.exitCode}; see ${logDir}`);
    const r = await rawRequest(base, { method: 'GET', path: '/health' }, 1000);
    if (r.status !== null) return r;
    await sleep(5);
  }
  die(`nothing listened at ${base} within ${timeoutMs} ms`);
}

/** The first model id `/v1/models` lists (asked with `headers`); dies when there is none. */
export async function firstModelId(base, headers) {
  const res = await rawRequest(base, { method: 'GET', path: '/v1/models', headers });
  try {
    return JSON.parse(res.body).data[0].id;
  } catch {
    die(`could not read a model id from ${base}/v1/models (status ${res.status}): ${res.body.slice(0, 200)}`);
  }
}
