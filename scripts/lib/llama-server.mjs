// The real llama-server the benchmarks run: where the test set-up keeps it, its command line, and a
// started server that is healthy.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The test cache (AUTOBYTEUS_TEST_CACHE or ~/.cache/autobyteus-test), its llama-server and the SmolLM2 GGUF. */
export function testEnginePaths(env = process.env) {
  const cache = env.AUTOBYTEUS_TEST_CACHE || join(homedir(), '.cache', 'autobyteus-test');
  return {
    cache,
    llamaServer: join(cache, 'llama-server', 'bin', 'llama-server'),
    gguf: join(cache, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'),
  };
}

/** `llama-server` arguments for SmolLM2 on loopback: context size, parallel slots, 2 threads. */
export function llamaServerArgs(gguf, port, { contextSize = 2048, parallel = 1 } = {}) {
  return [
    '-m',
    gguf,
    '--alias',
    'SmolLM2-135M-Instruct',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-c',
    String(contextSize),
    '-np',
    String(parallel),
    '-t',
    '2',
  ];
}

/**
 * Starts llama-server on `port` and resolves once `/health` answers 200 (within 120 s), with its
 * child, url, argv and `log.text` (everything it printed). `track` registers the child for clean-up.
 */
export async function startLlamaServer(bin, gguf, port, { contextSize, parallel, track = (c) => c } = {}) {
  const argv = llamaServerArgs(gguf, port, { contextSize, parallel });
  const child = track(spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  const log = { text: '' };
  const collect = (data) => {
    // Offsets into this text mark where each request's lines start, so it is never trimmed
    // (a few hundred bytes per request); a runaway log just stops being collected.
    if (log.text.length < 64_000_000) log.text += data.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (true) {
    if (spawnError) throw new Error(`could not start llama-server ${bin}: ${spawnError.message}`);
    if (child.exitCode !== null)
      throw new Error(`llama-server exited with code ${child.exitCode}:\n${log.text.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`llama-server did not become healthy within 120 s:\n${log.text.slice(-2000)}`);
    await sleep(200);
  }
  return { child, url, argv, log };
}
