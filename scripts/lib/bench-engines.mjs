// Shared by the benchmark scripts: a free loopback port and the llama-server command line they run.
import { createServer } from 'node:net';

/** A port nobody listens on right now (bound on 127.0.0.1, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
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
