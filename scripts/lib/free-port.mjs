// A free loopback port, for the stub and real engines the scripts start.
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
