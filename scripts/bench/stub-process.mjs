// The stub engines of scripts/bench-stub-server.mjs, run in a child process so their CPU time is not
// charged to the client being measured.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../lib/child-processes.mjs';

const STUB_SERVER = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-stub-server.mjs');

/**
 * Forks the stub server (tracked by `children`), sends it its job, and waits for its ports. `script` is
 * another stub with the same protocol (one job message in, `{ ready, ... }` back, `{ stop: true }`).
 */
export function forkStub(message, children, script = STUB_SERVER) {
  const child = children.track(fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stub server exited early (code ${code})`)));
    child.once('message', (reply) => {
      if (!reply?.ready) reject(new Error(`stub server failed: ${reply?.error}`));
      else resolve({ child, reply });
    });
    child.send(message);
  });
}

/** Asks the stub to stop; kills it if it has not exited within 2 s. */
export function stopStub(child) {
  return stopChild(child, { graceMs: 2000, ask: (c) => c.send({ stop: true }) });
}
