import { describe, expect, it } from 'vitest';
import { startServerProcess, tempHome } from '../support/server-process.js';

describe('server lifecycle', () => {
  it('exits on SIGTERM even after its stdout became a broken pipe (its parent went away)', async () => {
    const server = await startServerProcess(
      tempHome('[server]\nport = 0\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n'),
    );
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    // Request logs now go to a closed pipe.
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000))]);
    if (code === 'hung') server.child.kill('SIGKILL');
    expect(code).toBe(0);
  });
});
